import * as fc from "fast-check";
import type { Address } from "viem";
import type { Step } from "../step.js";
import { keeperTick } from "../world/keepers.js";
import { keeper, roundBlock, warpTo } from "./adversary.js";
import { bool, int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { rounds: number; intervalSeconds: number; keeper: boolean };

/**
 * A flat market: `rounds` rounds at the same answer on both feeds, `intervalSeconds` apart, each refreshed;
 * the project's keeper then runs a pass (liquidations at an unchanged price are the estimator's doing).
 */
export class FlatRoundsCommand extends Command<Args> {
  readonly name = "flatRounds";
  async act(step: Step) {
    const k = keeper(step);
    for (let i = 0; i < this.a.rounds; i++) {
      await warpTo(step, step.w.clock.latest + BigInt(this.a.intervalSeconds));
      await step.block(roundBlock(step, { moveBps: 0, secondary: true, refresher: k }));
    }
    if (this.a.keeper) await keeperTick(step, step.w.keepers.prompt, step.w.actors.keepers[0] as Address);
  }
  toString() {
    return `flatRounds(${this.a.rounds} x ${this.a.intervalSeconds}s${this.a.keeper ? ", then the keeper" : ""})`;
  }
}

export const flatRounds: CommandSpec = {
  name: "flatRounds",
  build: (args) =>
    new FlatRoundsCommand({
      rounds: int(args, "rounds", 1, 24),
      intervalSeconds: int(args, "intervalSeconds", 12, 3_600),
      keeper: bool(args, "keeper"),
    }),
  arbitrary: fc
    .record({
      rounds: fc.integer({ min: 1, max: 16 }),
      intervalSeconds: fc.oneof(fc.constant(3_600), fc.integer({ min: 600, max: 3_600 })),
      keeper: fc.boolean(),
    })
    .map((a) => new FlatRoundsCommand(a)),
};
