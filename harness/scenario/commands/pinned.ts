import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { Planned, Step } from "../step.js";
import { actorArg, pick, tradingRefs } from "./actorRef.js";
import { oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { victimArb, victimKinds, victimPlan } from "./victim.js";

type Args = { bound: "min" | "max" | "nonPositive"; victim: (typeof victimKinds)[number]; actor: string };

/**
 * The aggregator's clamp: an answer beyond min/max is published pinned at the bound (AtBounds); with the
 * clamp lowered below zero, a zero answer goes through (NonPositive). Someone acts in the same block; the
 * clamp is put back at the end of it.
 */
export class PinnedCommand extends Command<Args> {
  readonly name = "pinned";
  async act(step: Step) {
    const { m, w } = step;
    const feed = m.port.feed("primary");
    const victim = victimPlan(step, this.a.victim, this.a.actor);
    const block: Planned[] = [];
    if (this.a.bound === "max") block.push(calls.feedAnswer(w, "primary", feed.maxAnswer + 1n));
    else if (this.a.bound === "min") block.push(calls.feedAnswer(w, "primary", 0n));
    else {
      block.push(calls.feedBounds(w, "primary", -1n, feed.maxAnswer));
      block.push(calls.feedAnswer(w, "primary", 0n));
    }
    block.push(victim);
    if (this.a.bound === "nonPositive")
      block.push(calls.feedBounds(w, "primary", feed.minAnswer, feed.maxAnswer));
    await step.block(block);
  }
  toString() {
    return `pinned(primary at ${this.a.bound}, ${this.a.victim} by ${this.a.actor})`;
  }
}

export const pinned: CommandSpec = {
  name: "pinned",
  build: (args) =>
    new PinnedCommand({
      bound: oneOf(args, "bound", ["min", "max", "nonPositive"] as const),
      victim: oneOf(args, "victim", victimKinds),
      actor: actorArg(args, "actor", tradingRefs),
    }),
  arbitrary: fc
    .record({
      bound: fc.constantFrom("min" as const, "max" as const, "nonPositive" as const),
      victim: victimArb,
      actor: pick(tradingRefs),
    })
    .map((a) => new PinnedCommand(a)),
};
