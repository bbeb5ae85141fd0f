import * as fc from "fast-check";
import type { Step } from "../step.js";
import { keeper, roundBlock } from "./adversary.js";
import { bool, int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { moveBps: number; dtSeconds: number; secondary: boolean };

/**
 * The volatility spiker: two accepted rounds seconds apart — a fresh round at the current answer, then
 * `moveBps` stamped `dtSeconds` later (a deviation round right after a heartbeat). The estimator takes
 * r²/dt per round; the flat market after it is left to other commands (flatRounds, keepers).
 */
export class VolSpikeCommand extends Command<Args> {
  readonly name = "volSpike";
  async act(step: Step) {
    const k = keeper(step);
    await step.block(roundBlock(step, { moveBps: 0, secondary: this.a.secondary, refresher: k }));
    const stamped = step.m.port.feed("primary").updatedAt + BigInt(this.a.dtSeconds);
    await step.block(
      roundBlock(step, {
        moveBps: this.a.moveBps,
        secondary: this.a.secondary,
        refresher: k,
        updatedAt: stamped,
      }),
    );
  }
  toString() {
    return `volSpike(${this.a.moveBps > 0 ? "+" : ""}${this.a.moveBps / 100}% ${this.a.dtSeconds}s after a round${this.a.secondary ? ", both feeds" : ""})`;
  }
}

export const volSpike: CommandSpec = {
  name: "volSpike",
  build: (args) =>
    new VolSpikeCommand({
      moveBps: int(args, "moveBps", -990, 990),
      dtSeconds: int(args, "dtSeconds", 1, 11),
      secondary: bool(args, "secondary"),
    }),
  arbitrary: fc
    .record({
      moveBps: fc.integer({ min: 50, max: 500 }).chain((b) => fc.constantFrom(b, -b)),
      dtSeconds: fc.integer({ min: 1, max: 6 }),
      secondary: fc.boolean(),
    })
    .map((a) => new VolSpikeCommand(a)),
};
