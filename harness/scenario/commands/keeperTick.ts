import * as fc from "fast-check";
import type { Address } from "viem";
import type { Step } from "../step.js";
import { keeperTick as tick } from "../world/keepers.js";
import { oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { keeper: "prompt" | "slow" };

/** The project's keeper runs one pass: refresh, liquidations, settle after the exit window, realise. */
export class KeeperTickCommand extends Command<Args> {
  readonly name = "keeperTick";
  async act(step: Step) {
    const { w } = step;
    const [k0, k1] = w.actors.keepers as [Address, Address];
    if (this.a.keeper === "prompt") await tick(step, w.keepers.prompt, k0);
    else await tick(step, w.keepers.slow, k1);
  }
  toString() {
    return `keeperTick(${this.a.keeper})`;
  }
}

export const keeperTick: CommandSpec = {
  name: "keeperTick",
  build: (args) => new KeeperTickCommand({ keeper: oneOf(args, "keeper", ["prompt", "slow"] as const) }),
  arbitrary: fc
    .record({ keeper: fc.constantFrom("prompt" as const, "slow" as const) })
    .map((a) => new KeeperTickCommand(a)),
};
