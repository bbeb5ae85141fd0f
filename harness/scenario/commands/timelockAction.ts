import * as fc from "fast-check";
import type { Address } from "viem";
import { timelockAbi } from "../../../src-ts/protocol/governanceAbis.js";
import { encodeFunctionData } from "../../fast/encodeCall.js";
import { type Mode, Mode as Modes, type RiskParams } from "../../model/types.js";
import { governanceData, modeName } from "../calls.js";
import {
  executeOnTimelock,
  scheduleThroughSafe,
  timelockMinDelay,
  timelockOperation,
} from "../governance.js";
import type { ModelAction } from "../model/port.js";
import type { ScenarioModel, Step } from "../step.js";
import { warp } from "../world/exec.js";
import { actorArg, keeperRefs, pick, resolve } from "./actorRef.js";
import { int, oneOf, pair } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = {
  op: "setMode" | "riskParams" | "settle" | "updateDelay";
  to: number;
  scaleBps: number;
  signers: [number, number];
  executor: string;
};

/**
 * Timelocked governance: the Safe schedules a market call on the TimelockController, the delay (which
 * covers the whole exit window) passes, anyone executes. setMode may loosen (the only way out of a
 * non-breaker halt); riskParams scales fee, penalty, backing and OI cap (beyond 2x is refused).
 */
export class TimelockActionCommand extends Command<Args> {
  readonly name = "timelockAction";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.mode() !== Modes.Settlement;
  }
  async act(step: Step) {
    const { m, w } = step;
    let target = w.system.addresses.market;
    let data: `0x${string}`;
    let action: ModelAction;
    if (this.a.op === "updateDelay") {
      // The timelock administers itself: a scheduled call to its own updateDelay (the market is not told, but
      // its getMinDelay staticcall reads the new delay from then on).
      target = w.timelock;
      data = encodeFunctionData({ abi: timelockAbi, functionName: "updateDelay", args: [this.newDelay()] });
      action = { kind: "timelockDelay", delay: this.newDelay() };
    } else if (this.a.op === "setMode") {
      data = governanceData.setMode(this.a.to as Mode);
      action = { kind: "setMode", from: w.timelock, to: this.a.to as Mode };
    } else if (this.a.op === "settle") {
      data = governanceData.settle();
      action = { kind: "settle", from: w.timelock };
    } else {
      const params = scaled(m.port.risk(), this.a.scaleBps);
      data = governanceData.setRiskParams(params);
      action = { kind: "setRiskParams", from: w.timelock, params };
    }
    const op = timelockOperation(w, target, data);
    const { planned, delay } = await scheduleThroughSafe(w, op, this.a.signers, this.describeOp());
    for (const p of planned) await step.act(p);
    await warp(w, delay);
    const timelockDelay = await timelockMinDelay(w);
    // What the market sees when the timelock executes (the block after the warp).
    const mode = m.port.mode();
    const exitOpensAt = m.port.exitOpensAt();
    const safety = m.port.safety();
    const { actual } = await step.act(
      executeOnTimelock(w, resolve(m.actors, this.a.executor) as Address, op, action, this.describeOp()),
    );
    if (this.a.op === "updateDelay") return;
    step.facts.governance = {
      call: this.describeOp(),
      ok: actual.status === "ok",
      error: actual.status === "reverted" ? actual.error : undefined,
      timelockDelay,
      exitWindow: BigInt(safety.maxHaltDuration + safety.settlementWindow),
      openToAnyone: this.a.op === "settle" && mode === Modes.Halted && w.clock.latest >= exitOpensAt,
    };
  }
  /** updateDelay: the current default delay (4 days) scaled by scaleBps (x0.25 = 1 day). */
  private newDelay(): bigint {
    return (4n * 86_400n * BigInt(this.a.scaleBps)) / 10_000n;
  }
  private describeOp() {
    if (this.a.op === "setMode") return `setMode(${modeName(this.a.to)})`;
    if (this.a.op === "settle") return "settle()";
    if (this.a.op === "updateDelay") return `timelock.updateDelay(${this.newDelay()}s)`;
    return `setRiskParams(x${this.a.scaleBps / 10_000})`;
  }
  toString() {
    return `timelockAction(${this.describeOp()}, owners ${this.a.signers.join("+")}, executed by ${this.a.executor})`;
  }
}

function scaled(r: RiskParams, bps: number): RiskParams {
  const s = (x: bigint) => (x * BigInt(bps)) / 10_000n;
  return {
    ...r,
    tradingFee: s(r.tradingFee),
    liquidationPenalty: s(r.liquidationPenalty),
    minBacking: s(r.minBacking),
    maxOpenInterest: s(r.maxOpenInterest),
  };
}

export const timelockAction: CommandSpec = {
  name: "timelockAction",
  build: (args) =>
    new TimelockActionCommand({
      op: oneOf(args, "op", ["setMode", "riskParams", "settle", "updateDelay"] as const),
      to: int(args, "to", 0, 4),
      scaleBps: int(args, "scaleBps", 1, 100_000),
      signers: pair(args, "signers"),
      executor: actorArg(args, "executor", keeperRefs),
    }),
  arbitrary: fc
    .record({
      op: fc.oneof(
        { weight: 3, arbitrary: fc.constant("setMode" as const) },
        { weight: 2, arbitrary: fc.constant("riskParams" as const) },
        { weight: 1, arbitrary: fc.constant("settle" as const) },
        { weight: 1, arbitrary: fc.constant("updateDelay" as const) },
      ),
      to: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 4 })),
      scaleBps: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 5_000, max: 20_000 }) },
        fc.integer({ min: 2_000, max: 30_000 }),
      ),
      signers: fc.constantFrom<[number, number]>([0, 1], [1, 2], [0, 2]),
      executor: pick(keeperRefs),
    })
    .map((a) => new TimelockActionCommand(a)),
};
