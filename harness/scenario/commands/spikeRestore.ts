import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { Planned, Step } from "../step.js";
import { actorArg, pick, tradingRefs } from "./actorRef.js";
import { bool, int, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { moved } from "./sizing.js";
import { victimArb, victimKinds, victimPlan } from "./victim.js";

type Args = { spikeBps: number; both: boolean; victim: (typeof victimKinds)[number]; actor: string };

/**
 * A single-block sandwich with explicit ordering: push a spiked round (primary, or both feeds when the
 * attacker controls both), the victim's or attacker's action, then push the old answers back — all in
 * ONE block, so no other transaction sees the spike.
 */
export class SpikeRestoreCommand extends Command<Args> {
  readonly name = "spikeRestore";
  async act(step: Step) {
    const { m, w } = step;
    const primary = m.port.feed("primary").latestAnswer;
    const secondary = m.port.feed("secondary").latestAnswer;
    const victim = victimPlan(step, this.a.victim, this.a.actor);
    const block: Planned[] = [calls.feedAnswer(w, "primary", moved(primary, this.a.spikeBps))];
    if (this.a.both) block.push(calls.feedAnswer(w, "secondary", moved(secondary, this.a.spikeBps)));
    block.push(victim);
    block.push(calls.feedAnswer(w, "primary", primary));
    if (this.a.both) block.push(calls.feedAnswer(w, "secondary", secondary));
    await step.block(block);
  }
  toString() {
    const feeds = this.a.both ? "both feeds" : "primary";
    return `spikeRestore(${feeds} ${this.a.spikeBps > 0 ? "+" : ""}${this.a.spikeBps / 100}% | ${this.a.victim} by ${this.a.actor} | restore)`;
  }
}

export const spikeRestore: CommandSpec = {
  name: "spikeRestore",
  build: (args) =>
    new SpikeRestoreCommand({
      spikeBps: int(args, "spikeBps", -9_500, 50_000),
      both: bool(args, "both"),
      victim: oneOf(args, "victim", victimKinds),
      actor: actorArg(args, "actor", tradingRefs),
    }),
  arbitrary: fc
    .record({
      spikeBps: fc.oneof(
        fc.integer({ min: 50, max: 990 }).chain((b) => fc.constantFrom(b, -b)),
        fc.integer({ min: 1_000, max: 5_000 }).chain((b) => fc.constantFrom(b, -b)),
      ),
      both: fc.boolean(),
      victim: victimArb,
      actor: fc.oneof(fc.constant("attacker"), pick(tradingRefs)),
    })
    .map((a) => new SpikeRestoreCommand(a)),
};
