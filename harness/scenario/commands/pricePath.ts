import * as fc from "fast-check";
import type { Address } from "viem";
import { noiseArb, pricePathArb } from "../arbitraries/pricePath.js";
import { calls } from "../calls.js";
import type { Planned, Step } from "../step.js";
import { int, ints, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { moved } from "./sizing.js";

type Args = { regime: string; moves: number[]; noiseBps: number };

/**
 * Honest price steps: each block pushes a new primary round, a secondary round near it, and a refresh
 * (which accepts the round, accrues funding, may reset the breaker and tightens on pool health). The
 * operator also undoes a leftover reported-round override, as a feed operator would.
 */
export class PricePathCommand extends Command<Args> {
  readonly name = "pricePath";
  async act(step: Step) {
    const { m, w } = step;
    const keeper = m.actors.keepers[0] as Address;
    for (const move of this.a.moves) {
      const primary = m.port.feed("primary");
      const answer = moved(primary.latestAnswer, move);
      const block: Planned[] = [];
      if (primary.reportedOverride !== 0n) block.push(calls.feedReportedRound(w, "primary", 0n));
      block.push(calls.feedAnswer(w, "primary", answer));
      block.push(calls.feedAnswer(w, "secondary", moved(answer, this.a.noiseBps)));
      block.push(calls.refresh(w, keeper));
      await step.block(block);
    }
  }
  toString() {
    return `pricePath(${this.a.regime}: ${this.a.moves.map((b) => `${b > 0 ? "+" : ""}${b / 100}%`).join(" ")}, secondary ${this.a.noiseBps / 100}%)`;
  }
}

export const pricePath: CommandSpec = {
  name: "pricePath",
  build: (args) =>
    new PricePathCommand({
      regime: oneOf(args, "regime", ["calm", "volatile", "crash", "rally", "crashDrops"] as const),
      moves: ints(args, "moves", -9_500, 20_000, [1, 16]),
      noiseBps: int(args, "noiseBps", -2_000, 2_000),
    }),
  arbitrary: fc
    .record({ path: pricePathArb(), noiseBps: noiseArb })
    .map(({ path, noiseBps }) => new PricePathCommand({ regime: path.regime, moves: path.moves, noiseBps })),
};
