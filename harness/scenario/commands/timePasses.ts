import * as fc from "fast-check";
import type { Address } from "viem";
import { calls } from "../calls.js";
import type { Step } from "../step.js";
import { mineEmpty, warp } from "../world/exec.js";
import { bool, int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { seconds: number; refresh: boolean };

/** Time passes without new price rounds (funding accrues; feeds may go stale); optionally a refresh lands. */
export class TimePassesCommand extends Command<Args> {
  readonly name = "timePasses";
  async act(step: Step) {
    const { w, m } = step;
    await warp(w, BigInt(this.a.seconds));
    if (this.a.refresh) await step.act(calls.refresh(w, m.actors.keepers[0] as Address));
    else await mineEmpty(w);
  }
  toString() {
    return `timePasses(${this.a.seconds}s${this.a.refresh ? ", then refresh" : ""})`;
  }
}

export const timePasses: CommandSpec = {
  name: "timePasses",
  build: (args) =>
    new TimePassesCommand({ seconds: int(args, "seconds", 1, 30 * 86_400), refresh: bool(args, "refresh") }),
  arbitrary: fc
    .record({
      seconds: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 12, max: 3_000 }) },
        { weight: 2, arbitrary: fc.integer({ min: 3_000, max: 86_400 }) },
        fc.integer({ min: 86_400, max: 5 * 86_400 }),
      ),
      refresh: fc.boolean(),
    })
    .map((a) => new TimePassesCommand(a)),
};
