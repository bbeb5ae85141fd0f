import * as fc from "fast-check";
import type { Address } from "viem";
import { calls } from "../calls.js";
import type { Step } from "../step.js";
import { bool, int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { moved } from "./sizing.js";

type Args = { count: number; up: boolean; bps: number };

/**
 * Walks the price with repeated rounds just under the 10% jump band, one per block, on both feeds (a
 * compromised pair, or a genuinely violent market): every reading is Valid, so only the volatility
 * estimate and the margins stand between this and the pool.
 */
export class UnderBandCommand extends Command<Args> {
  readonly name = "underBand";
  async act(step: Step) {
    const { m, w } = step;
    const move = this.a.up ? this.a.bps : -this.a.bps;
    for (let i = 0; i < this.a.count; i++) {
      const answer = moved(m.port.feed("primary").latestAnswer, move);
      await step.block([
        calls.feedAnswer(w, "primary", answer),
        calls.feedAnswer(w, "secondary", answer),
        calls.refresh(w, m.actors.keepers[0] as Address),
      ]);
    }
  }
  toString() {
    return `underBand(${this.a.count} rounds ${this.a.up ? "+" : "-"}${this.a.bps / 100}%)`;
  }
}

export const underBand: CommandSpec = {
  name: "underBand",
  build: (args) =>
    new UnderBandCommand({
      count: int(args, "count", 1, 16),
      up: bool(args, "up"),
      bps: int(args, "bps", 1, 2_000),
    }),
  arbitrary: fc
    .record({
      count: fc.integer({ min: 2, max: 6 }),
      up: fc.boolean(),
      bps: fc.integer({ min: 900, max: 999 }),
    })
    .map((a) => new UnderBandCommand(a)),
};
