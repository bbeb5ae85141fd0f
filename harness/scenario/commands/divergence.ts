import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { Step } from "../step.js";
import { actorArg, pick, tradingRefs } from "./actorRef.js";
import { int, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { moved } from "./sizing.js";
import { victimArb, victimKinds, victimPlan } from "./victim.js";

type Args = { bps: number; victim: (typeof victimKinds)[number]; actor: string };

/** The primary publishes a round away from the secondary (beyond or near the band); someone acts in the same block. */
export class DivergenceCommand extends Command<Args> {
  readonly name = "divergence";
  async act(step: Step) {
    const { m, w } = step;
    const victim = victimPlan(step, this.a.victim, this.a.actor);
    const answer = moved(m.port.feed("secondary").latestAnswer, this.a.bps);
    await step.block([calls.feedAnswer(w, "primary", answer), victim]);
  }
  toString() {
    return `divergence(primary ${this.a.bps > 0 ? "+" : ""}${this.a.bps / 100}% off secondary, ${this.a.victim} by ${this.a.actor})`;
  }
}

export const divergence: CommandSpec = {
  name: "divergence",
  build: (args) =>
    new DivergenceCommand({
      bps: int(args, "bps", -9_500, 50_000),
      victim: oneOf(args, "victim", victimKinds),
      actor: actorArg(args, "actor", tradingRefs),
    }),
  arbitrary: fc
    .record({
      bps: fc.integer({ min: 150, max: 1_500 }).chain((b) => fc.constantFrom(b, -b)),
      victim: victimArb,
      actor: pick(tradingRefs),
    })
    .map((a) => new DivergenceCommand(a)),
};
