import * as fc from "fast-check";
import type { Step } from "../step.js";
import { warp } from "../world/exec.js";
import { actorArg, pick, tradingRefs } from "./actorRef.js";
import { int, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { victimArb, victimKinds, victimPlan } from "./victim.js";

type Args = { seconds: number; victim: (typeof victimKinds)[number]; actor: string };

/** The feeds stop publishing: time passes past the heartbeat, then someone acts on the stale reading. */
export class StaleFeedCommand extends Command<Args> {
  readonly name = "staleFeed";
  async act(step: Step) {
    await warp(step.w, BigInt(this.a.seconds));
    await step.act(victimPlan(step, this.a.victim, this.a.actor));
  }
  toString() {
    return `staleFeed(${this.a.seconds}s without rounds, then ${this.a.victim} by ${this.a.actor})`;
  }
}

export const staleFeed: CommandSpec = {
  name: "staleFeed",
  build: (args) =>
    new StaleFeedCommand({
      seconds: int(args, "seconds", 1, 30 * 86_400),
      victim: oneOf(args, "victim", victimKinds),
      actor: actorArg(args, "actor", tradingRefs),
    }),
  arbitrary: fc
    .record({ seconds: fc.integer({ min: 3_000, max: 20_000 }), victim: victimArb, actor: pick(tradingRefs) })
    .map((a) => new StaleFeedCommand(a)),
};
