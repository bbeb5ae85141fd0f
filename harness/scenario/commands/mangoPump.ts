import * as fc from "fast-check";
import { min } from "../../model/math.js";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { fundMargin, keeper, roundBlock, warpTo } from "./adversary.js";
import { int, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { recourseIfShort } from "./recourse.js";
import { sizeForLeverage } from "./sizing.js";

const endings = ["hold", "close", "dump"] as const;
type Args = {
  units: number;
  leverageBps: number;
  steps: number;
  stepBps: number;
  /** Seconds between pump rounds (slow enough, the volatility estimate barely moves). */
  stepSeconds: number;
  withdrawBps: number;
  ending: (typeof endings)[number];
};

/**
 * The Mango shape: the attacker borrows `units`, goes long at `leverageBps`, then pumps both feeds (a thin
 * market, a compromised pair) in `steps` rounds each under the jump band, withdraws `withdrawBps` of its
 * free margin (unrealised profit) while the position is still open, and then holds, closes, or lets the
 * price fall back to where it started (the pump abandoned).
 */
export class MangoPumpCommand extends Command<Args> {
  readonly name = "mangoPump";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.mode() <= 1;
  }
  async act(step: Step) {
    const { m, w } = step;
    const attacker = m.actors.attacker;
    const k = keeper(step);
    await fundMargin(step, attacker, BigInt(this.a.units));
    const start = m.port.feed("primary").latestAnswer;
    await step.act(calls.modify(w, attacker, sizeForLeverage(m.port, attacker, 1, this.a.leverageBps), 0n));
    for (let i = 0; i < this.a.steps; i++) {
      await warpTo(step, step.w.clock.latest + BigInt(this.a.stepSeconds));
      await step.block(roundBlock(step, { moveBps: this.a.stepBps, secondary: true, refresher: k }));
    }
    const h = m.port.health(attacker);
    const free = h.equity - h.initialRequired;
    const margin = m.port.account(attacker).margin;
    const limit = min(free, margin);
    const amount = (limit * BigInt(this.a.withdrawBps)) / 10_000n;
    if (amount > 0n) await step.act(calls.withdraw(w, attacker, amount));
    if (this.a.ending === "close" && m.port.account(attacker).size !== 0n) {
      // A winner whose profit outgrew the pool's cash settles the losers first, as any winner can (manipulation 808).
      await recourseIfShort(step, attacker);
      await step.act(calls.close(w, attacker, 0n));
    } else if (this.a.ending === "dump") {
      for (let i = 0; i < this.a.steps && m.port.feed("primary").latestAnswer > start; i++) {
        await warpTo(step, step.w.clock.latest + BigInt(this.a.stepSeconds));
        await step.block(roundBlock(step, { moveBps: -this.a.stepBps, secondary: true, refresher: k }));
      }
    }
  }
  toString() {
    return `mangoPump(attacker borrows ${this.a.units}, long ${this.a.leverageBps / 10_000}x, ${this.a.steps} x +${this.a.stepBps / 100}% every ${this.a.stepSeconds}s, withdraws ${this.a.withdrawBps / 100}% of free margin while open, then ${this.a.ending})`;
  }
}

export const mangoPump: CommandSpec = {
  name: "mangoPump",
  build: (args) =>
    new MangoPumpCommand({
      units: int(args, "units", 0, 10_000_000),
      leverageBps: int(args, "leverageBps", 1, 100_000),
      steps: int(args, "steps", 1, 16),
      stepBps: int(args, "stepBps", 1, 990),
      stepSeconds: int(args, "stepSeconds", 12, 3_600),
      withdrawBps: int(args, "withdrawBps", 0, 10_000),
      ending: oneOf(args, "ending", endings),
    }),
  arbitrary: fc
    .record({
      units: fc.integer({ min: 0, max: 200_000 }),
      leverageBps: fc.integer({ min: 20_000, max: 95_000 }),
      steps: fc.integer({ min: 1, max: 10 }),
      stepBps: fc.integer({ min: 300, max: 990 }),
      stepSeconds: fc.oneof(fc.integer({ min: 600, max: 3_600 }), fc.integer({ min: 12, max: 600 })),
      withdrawBps: fc.oneof(fc.integer({ min: 9_000, max: 10_000 }), fc.integer({ min: 1_000, max: 10_000 })),
      ending: fc.constantFrom(...endings),
    })
    .map((a) => new MangoPumpCommand(a)),
};
