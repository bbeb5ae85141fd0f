import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { Planned, Step } from "../step.js";
import { actorArg, pick, tradingRefs } from "./actorRef.js";
import { bool, int, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { victimArb, victimKinds, victimPlan } from "./victim.js";

type Args = { back: number; victim: (typeof victimKinds)[number]; actor: string; clear: boolean };

/**
 * The primary reports an older round than the guard already accepted (MockAggregator.setReportedRound);
 * someone acts in the same block; the override is cleared at the end of the block unless `clear` is off
 * (then the feed looks stuck until the next price step's operator fixes it).
 */
export class RoundRegressionCommand extends Command<Args> {
  readonly name = "roundRegression";
  async act(step: Step) {
    const { m, w } = step;
    const latest = m.port.feed("primary").latestRound;
    const round = latest - BigInt(this.a.back) >= 1n ? latest - BigInt(this.a.back) : 1n;
    const block: Planned[] = [
      calls.feedReportedRound(w, "primary", round),
      victimPlan(step, this.a.victim, this.a.actor),
    ];
    if (this.a.clear) block.push(calls.feedReportedRound(w, "primary", 0n));
    await step.block(block);
  }
  toString() {
    return `roundRegression(primary reports round latest-${this.a.back}, ${this.a.victim} by ${this.a.actor}${this.a.clear ? ", cleared" : ", left"})`;
  }
}

export const roundRegression: CommandSpec = {
  name: "roundRegression",
  build: (args) =>
    new RoundRegressionCommand({
      back: int(args, "back", 1, 100),
      victim: oneOf(args, "victim", victimKinds),
      actor: actorArg(args, "actor", tradingRefs),
      clear: bool(args, "clear"),
    }),
  arbitrary: fc
    .record({
      back: fc.integer({ min: 1, max: 3 }),
      victim: victimArb,
      actor: pick(tradingRefs),
      clear: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.constant(false)),
    })
    .map((a) => new RoundRegressionCommand(a)),
};
