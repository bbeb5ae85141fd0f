import * as fc from "fast-check";
import type { Address } from "viem";
import { governanceData, modeName } from "../calls.js";
import { executeOnTimelock, scheduleThroughSafe, timelockOperation } from "../governance.js";
import type { ModelAction } from "../model/port.js";
import { type Mode, Mode as Modes, type RiskParams } from "../model/types.js";
import type { ScenarioModel, Step } from "../step.js";
import { warp } from "../world/exec.js";
import { actorArg, keeperRefs, pick, resolve } from "./actorRef.js";
import { int, oneOf, pair } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = {
  op: "setMode" | "riskParams" | "settle";
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
    const target = w.system.addresses.market;
    let data: `0x${string}`;
    let action: ModelAction;
    if (this.a.op === "setMode") {
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
    await step.act(
      executeOnTimelock(w, resolve(m.actors, this.a.executor) as Address, op, action, this.describeOp()),
    );
  }
  private describeOp() {
    if (this.a.op === "setMode") return `setMode(${modeName(this.a.to)})`;
    if (this.a.op === "settle") return "settle()";
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
      op: oneOf(args, "op", ["setMode", "riskParams", "settle"] as const),
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
