import * as fc from "fast-check";
import type { Address } from "viem";
import { calls } from "../calls.js";
import type { Planned, Step } from "../step.js";
import { actorArg, pick, resolve, tradingRefs } from "./actorRef.js";
import { fundMargin } from "./adversary.js";
import { bool, int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { a: string; b: string; capBps: number; oneBlock: boolean; closeA: boolean };

const VALUE = 10n ** 30n;

/**
 * Two accounts whose trades net to nothing but move the pool's exposure through the backing limit: A opens
 * x, B opens -2x, A adds x (flat book), B closes (the pool is now exposed to 2x, unchecked: a close only
 * reduces B), A closes. x is `capBps` of half the open-interest cap; both borrow the margin they need.
 * In one block (one bundle) or one block each.
 */
export class NettingCommand extends Command<Args> {
  readonly name = "netting";
  override check(m: Readonly<import("../step.js").ScenarioModel>) {
    return this.a.a !== this.a.b && m.port.mode() <= 1;
  }
  async act(step: Step) {
    const { m, w } = step;
    const a = resolve(m.actors, this.a.a);
    const b = resolve(m.actors, this.a.b);
    const x = (m.port.risk().maxOpenInterest * BigInt(this.a.capBps)) / 20_000n;
    if (x === 0n) return;
    // Margin for 2x at 1.5 times the initial margin ratio, with room for fees.
    const need = (2n * x * m.port.price() * 3n * m.port.initialMarginRatio()) / (2n * VALUE * 10n ** 18n);
    const units = need / 1_000_000n + 1_000n;
    await fundMargin(step, a, units);
    await fundMargin(step, b, units);
    const trades: Planned[] = [
      calls.modify(w, a, x, 0n),
      calls.modify(w, b, -2n * x, 0n),
      calls.modify(w, a, x, 0n),
      calls.close(w, b, 0n),
    ];
    if (this.a.closeA) trades.push(calls.close(w, a as Address, 0n));
    if (this.a.oneBlock) await step.block(trades);
    else for (const t of trades) await step.act(t);
  }
  toString() {
    return `netting(${this.a.a} +x, ${this.a.b} -2x, ${this.a.a} +x, ${this.a.b} closes${this.a.closeA ? `, ${this.a.a} closes` : ""}; x = ${this.a.capBps / 100}% of half the OI cap${this.a.oneBlock ? ", one block" : ""})`;
  }
}

export const netting: CommandSpec = {
  name: "netting",
  build: (args) =>
    new NettingCommand({
      a: actorArg(args, "a", tradingRefs),
      b: actorArg(args, "b", tradingRefs),
      capBps: int(args, "capBps", 1, 10_000),
      oneBlock: bool(args, "oneBlock"),
      closeA: bool(args, "closeA"),
    }),
  arbitrary: fc
    .record({
      a: pick(tradingRefs),
      b: pick(tradingRefs),
      capBps: fc.oneof(fc.integer({ min: 8_000, max: 10_000 }), fc.integer({ min: 1_000, max: 10_000 })),
      oneBlock: fc.boolean(),
      closeA: fc.boolean(),
    })
    .filter((a) => a.a !== a.b)
    .map((a) => new NettingCommand(a)),
};
