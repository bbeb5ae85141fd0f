import * as fc from "fast-check";
import type { Address } from "viem";
import { settleableLoss } from "../../../src-ts/protocol/settleLoss.js";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { actorArg, lpRefs, pick, resolve, tradingRefs } from "./actorRef.js";
import { fundMargin, keeper, roundBlock, warpTo } from "./adversary.js";
import { int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

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

/**
 * The winner's recourse when the pool's cash is short of its claim (the losers' losses are not cash until they
 * close): before it closes it settles every solvent loser's loss into the pool (`settleLoss`) and, if the cash is
 * still short, liquidates every liquidatable account (both permissionless, as the keeper does them), so that a loss
 * beyond a loser's margin is booked as bad debt (insurance, then the LPs, and the mode the market then takes) rather
 * than counted as cash the pool will never collect.
 */
async function recourseIfShort(step: Step, winner: Address) {
  const { m, w } = step;
  // Judged at the price the close will read: a round published since the last read is accepted first.
  await step.act(calls.refresh(w, winner));
  const view = m.port.view(m.actors.accounts);
  const me = view.accounts.find((a) => a.account.toLowerCase() === winner.toLowerCase());
  const claim = me ? me.equity - me.state.margin : 0n;
  if (claim <= 0n || view.market.agg.poolCash >= claim) return;
  for (const loser of view.accounts.filter((a) => settleableLoss(a) > 0n)) {
    await step.act(calls.settleLoss(w, winner, loser.account));
  }
  const settled = m.port.view(m.actors.accounts);
  if (settled.market.agg.poolCash >= claim) return;
  for (const loser of settled.accounts.filter((a) => a.liquidatable)) {
    await step.act(calls.liquidate(w, winner, loser.account));
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
