import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { unit } from "../world/world.js";
import { actorArg, marginRefs, pick, resolve } from "./actorRef.js";
import { int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { actor: string; units: number };

/** A margin deposit (whole collateral units). */
export class DepositCommand extends Command<Args> {
  readonly name: string = "deposit";
  async act(step: Step) {
    await step.act(calls.deposit(step.w, resolve(step.m.actors, this.a.actor), BigInt(this.a.units) * unit));
  }
  toString() {
    return `deposit(${this.a.actor}, ${this.a.units})`;
  }
}

/** Adding margin to an open position: the same call, aimed at accounts with exposure. */
export class AddMarginCommand extends DepositCommand {
  override readonly name = "addMargin";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.account(resolve(m.actors, this.a.actor)).size !== 0n;
  }
  override toString() {
    return `addMargin(${this.a.actor}, ${this.a.units})`;
  }
}

const parse = (args: Record<string, unknown>): Args => ({
  actor: actorArg(args as never, "actor", marginRefs),
  units: int(args as never, "units", 1, 1_000_000),
});

export const deposit: CommandSpec = {
  name: "deposit",
  build: (args) => new DepositCommand(parse(args)),
  arbitrary: fc
    .record({ actor: pick(marginRefs), units: fc.integer({ min: 1, max: 50_000 }) })
    .map((a) => new DepositCommand(a)),
};

export const addMargin: CommandSpec = {
  name: "addMargin",
  build: (args) => new AddMarginCommand(parse(args)),
  arbitrary: fc
    .record({ actor: pick(marginRefs), units: fc.integer({ min: 1, max: 20_000 }) })
    .map((a) => new AddMarginCommand(a)),
};
