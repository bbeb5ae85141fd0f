import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { actorArg, lpRefs, pick, resolve, tradingRefs } from "./actorRef.js";
import { fundMargin, keeper, roundBlock, warpTo } from "./adversary.js";
import { int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { recourseIfShort } from "./recourse.js";

type Args = {
  winner: string;
  loser: string;
  capBps: number;
  steps: number;
  stepBps: number;
  days: number;
  reduceBps: number;
};

const VALUE = 10n ** 30n;

/**
 * Liquidity drain then close: a balanced book (the winner long x, the loser short x: the pool has no net
 * exposure, so its required backing is nil), the price walks `steps` rounds of `stepBps` in the winner's
 * favour, the LPs withdraw what the limiter allows for `days` windows, then the winner reduces
 * `reduceBps` of its position (10,000: closes).
 */
export class DrainThenCloseCommand extends Command<Args> {
  readonly name = "drainThenClose";
  override check(m: Readonly<ScenarioModel>) {
    return this.a.winner !== this.a.loser && m.port.mode() <= 1;
  }
  async act(step: Step) {
    const { m, w } = step;
    const winner = resolve(m.actors, this.a.winner);
    const loser = resolve(m.actors, this.a.loser);
    const x = (m.port.risk().maxOpenInterest * BigInt(this.a.capBps)) / 10_000n;
    const margin = (x * m.port.price() * 3n * m.port.initialMarginRatio()) / (VALUE * 10n ** 18n);
    const units = margin / 1_000_000n + 1_000n;
    await fundMargin(step, winner, units);
    await fundMargin(step, loser, 2n * units);
    await step.block([calls.modify(w, winner, x, 0n), calls.modify(w, loser, -x, 0n)]);
    for (let i = 0; i < this.a.steps; i++) {
      await step.block(
        roundBlock(step, { moveBps: this.a.stepBps, secondary: true, refresher: keeper(step) }),
      );
    }
    for (let day = 0; day < this.a.days; day++) {
      if (day > 0) {
        const window = m.port.outflowWindow();
        await warpTo(step, window.start + window.length);
        await step.block(roundBlock(step, { moveBps: 0, secondary: true, refresher: keeper(step) }));
      }
      for (const ref of lpRefs) {
        const lp = resolve(m.actors, ref);
        const shares = m.port.maxRedeem(lp, step.w.clock.next());
        if (shares > 0n) await step.act(calls.lpRedeem(w, lp, shares));
      }
    }
    const size = m.port.account(winner).size;
    if (size === 0n) return;
    await recourseIfShort(step, winner);
    const reduce = (size * BigInt(this.a.reduceBps)) / 10_000n;
    if (this.a.reduceBps >= 10_000) await step.act(calls.close(w, winner, 0n));
    else if (reduce !== 0n) await step.act(calls.modify(w, winner, -reduce, 0n));
  }
  toString() {
    return `drainThenClose(${this.a.winner} long / ${this.a.loser} short ${this.a.capBps / 100}% of the OI cap; ${this.a.steps} x +${this.a.stepBps / 100}%; LPs drain ${this.a.days} window(s); ${this.a.winner} reduces ${this.a.reduceBps / 100}%)`;
  }
}

export const drainThenClose: CommandSpec = {
  name: "drainThenClose",
  build: (args) =>
    new DrainThenCloseCommand({
      winner: actorArg(args, "winner", tradingRefs),
      loser: actorArg(args, "loser", tradingRefs),
      capBps: int(args, "capBps", 1, 10_000),
      steps: int(args, "steps", 0, 10),
      stepBps: int(args, "stepBps", -990, 990),
      days: int(args, "days", 1, 8),
      reduceBps: int(args, "reduceBps", 1, 10_000),
    }),
  arbitrary: fc
    .record({
      winner: pick(tradingRefs),
      loser: pick(tradingRefs),
      capBps: fc.integer({ min: 1_000, max: 9_000 }),
      steps: fc.integer({ min: 0, max: 6 }),
      stepBps: fc.integer({ min: 100, max: 990 }),
      days: fc.integer({ min: 1, max: 6 }),
      reduceBps: fc.oneof(fc.constant(10_000), fc.integer({ min: 1_000, max: 10_000 })),
    })
    .filter((a) => a.winner !== a.loser)
    .map((a) => new DrainThenCloseCommand(a)),
};
