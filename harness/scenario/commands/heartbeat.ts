import * as fc from "fast-check";
import type { Address } from "viem";
import { calls } from "../calls.js";
import type { Step } from "../step.js";
import { keeper, roundBlock, warpTo } from "./adversary.js";
import { int, ints, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

const cadences = ["heartbeat", "deviation", "short"] as const;
const readers = ["none", "griefer", "keeper"] as const;

type Args = {
  cadence: (typeof cadences)[number];
  /** heartbeat: seconds late after maxAge; deviation: seconds between rounds; short: seconds (updatedAt gap). */
  seconds: number;
  moves: number[];
  /** The secondary publishes every k-th round only (a longer heartbeat); 0: never. */
  secondaryEvery: number;
  /** Who reads the feed in the stale window before each late round (a griefer's or a keeper's refresh). */
  staleReader: (typeof readers)[number];
};

/**
 * Feeds as they really publish: heartbeat rounds that land `seconds` late (the stale window around every
 * heartbeat, read by whoever refreshes in it), deviation-triggered rounds at shorter intervals,
 * short-interval rounds a few seconds apart (updatedAt), and a secondary with a longer heartbeat than the
 * primary. A keeper refreshes after every round.
 */
export class HeartbeatCommand extends Command<Args> {
  readonly name = "heartbeat";
  async act(step: Step) {
    const { m } = step;
    const maxAge = BigInt(m.port.oracleParams().maxAge);
    const k = keeper(step);
    for (let i = 0; i < this.a.moves.length; i++) {
      const last = m.port.feed("primary").updatedAt;
      const secondary = this.a.secondaryEvery !== 0 && (i + 1) % this.a.secondaryEvery === 0;
      const moveBps = this.a.moves[i] as number;
      if (this.a.cadence === "heartbeat") {
        if (this.a.staleReader !== "none" && this.a.seconds > 0) {
          await warpTo(step, last + maxAge + 1n);
          const reader: Address = this.a.staleReader === "griefer" ? m.actors.griefer : k;
          await step.act(calls.refresh(step.w, reader));
        }
        await warpTo(step, last + maxAge + BigInt(this.a.seconds));
        await step.block(roundBlock(step, { moveBps, secondary, refresher: k }));
      } else if (this.a.cadence === "deviation") {
        await warpTo(step, last + BigInt(this.a.seconds));
        await step.block(roundBlock(step, { moveBps, secondary, refresher: k }));
      } else {
        // The round is stamped a few seconds after the last one, whatever block it lands in.
        await step.block(
          roundBlock(step, { moveBps, secondary, refresher: k, updatedAt: last + BigInt(this.a.seconds) }),
        );
      }
    }
  }
  toString() {
    const moves = this.a.moves.map((b) => `${b > 0 ? "+" : ""}${b / 100}%`).join(" ");
    const sec = this.a.secondaryEvery === 0 ? "no secondary" : `secondary every ${this.a.secondaryEvery}`;
    const reader = this.a.staleReader === "none" ? "" : `, ${this.a.staleReader} reads the stale window`;
    return `heartbeat(${this.a.cadence} ${this.a.seconds}s: ${moves}; ${sec}${reader})`;
  }
}

export const heartbeat: CommandSpec = {
  name: "heartbeat",
  build: (args) =>
    new HeartbeatCommand({
      cadence: oneOf(args, "cadence", cadences),
      seconds: int(args, "seconds", 0, 86_400),
      moves: ints(args, "moves", -5_000, 5_000, [1, 12]),
      secondaryEvery: int(args, "secondaryEvery", 0, 4),
      staleReader: oneOf(args, "staleReader", readers),
    }),
  arbitrary: fc
    .oneof(
      fc.record({
        cadence: fc.constant("heartbeat" as const),
        seconds: fc.oneof(fc.integer({ min: 0, max: 36 }), fc.integer({ min: 37, max: 600 })),
      }),
      fc.record({ cadence: fc.constant("deviation" as const), seconds: fc.integer({ min: 60, max: 3_600 }) }),
      fc.record({ cadence: fc.constant("short" as const), seconds: fc.integer({ min: 1, max: 11 }) }),
    )
    .chain((c) =>
      fc.record({
        cadence: fc.constant(c.cadence),
        seconds: fc.constant(c.seconds),
        moves: fc.array(
          fc.oneof(
            { weight: 4, arbitrary: fc.integer({ min: -150, max: 150 }) },
            { weight: 2, arbitrary: fc.integer({ min: -990, max: 990 }) },
            fc.integer({ min: -3_500, max: 3_500 }),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        secondaryEvery: fc.integer({ min: 0, max: 3 }),
        staleReader: fc.constantFrom(...readers),
      }),
    )
    .map((a) => new HeartbeatCommand(a)),
};
