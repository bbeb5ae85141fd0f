import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { Step } from "../step.js";
import { unit } from "../world/world.js";
import { actorArg, lpRefs, pick, resolve } from "./actorRef.js";
import { int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { lp: string; units: number };

/** An LP deposits collateral into the pool (ERC-4626 deposit). */
export class LpDepositCommand extends Command<Args> {
  readonly name = "lpDeposit";
  async act(step: Step) {
    await step.act(calls.lpDeposit(step.w, resolve(step.m.actors, this.a.lp), BigInt(this.a.units) * unit));
  }
  toString() {
    return `lpDeposit(${this.a.lp}, ${this.a.units})`;
  }
}

export const lpDeposit: CommandSpec = {
  name: "lpDeposit",
  build: (args) =>
    new LpDepositCommand({ lp: actorArg(args, "lp", lpRefs), units: int(args, "units", 1, 10_000_000) }),
  arbitrary: fc
    .record({ lp: pick(lpRefs), units: fc.integer({ min: 1, max: 500_000 }) })
    .map((a) => new LpDepositCommand(a)),
};
