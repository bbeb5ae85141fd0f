import * as fc from "fast-check";
import { Mode } from "../../model/types.js";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { actorArg, resolve, traderRefs } from "./actorRef.js";
import { entries, int, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { sizeNearLimit } from "./sizing.js";

type Entry = { trader: string; side: "long" | "short"; fractionBps: number };
type Args = { entries: Entry[] };

/**
 * A population of leveraged accounts near their limit: each trader opens at fractionBps / 10,000 of the
 * largest position its equity supports, all in one block (the order decides who hits the OI cap and the
 * pool's backing first).
 */
export class BuildPopulationCommand extends Command<Args> {
  readonly name = "buildPopulation";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.mode() <= Mode.Cautious;
  }
  async act(step: Step) {
    const { m, w } = step;
    const planned = this.a.entries.map((e) => {
      const trader = resolve(m.actors, e.trader);
      const size = sizeNearLimit(m.port, trader, e.side === "long" ? 1 : -1, e.fractionBps);
      return calls.modify(w, trader, size, 0n);
    });
    await step.block(planned);
  }
  toString() {
    return `buildPopulation(${this.a.entries.map((e) => `${e.trader} ${e.side} ${e.fractionBps / 100}%`).join(", ")})`;
  }
}

export const buildPopulation: CommandSpec = {
  name: "buildPopulation",
  build: (args) =>
    new BuildPopulationCommand({
      entries: entries(args, "entries", [1, 16], (e) => ({
        trader: actorArg(e, "trader", traderRefs),
        side: oneOf(e, "side", ["long", "short"] as const),
        fractionBps: int(e, "fractionBps", 1, 20_000),
      })),
    }),
  arbitrary: fc
    .record({
      traders: fc.shuffledSubarray(traderRefs, { minLength: 2 }),
      // Correlated books: mostly one side, so that a crash hurts many accounts at once.
      longBias: fc.integer({ min: 50, max: 100 }),
      fractions: fc.array(fc.integer({ min: 7_000, max: 9_900 }), { minLength: 8, maxLength: 8 }),
      sides: fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 8, maxLength: 8 }),
    })
    .map(
      ({ traders, longBias, fractions, sides }) =>
        new BuildPopulationCommand({
          entries: traders.map((trader, i) => ({
            trader,
            side: (sides[i] ?? 0) < longBias ? ("long" as const) : ("short" as const),
            fractionBps: fractions[i] ?? 9_000,
          })),
        }),
    ),
};
