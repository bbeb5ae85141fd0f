import * as fc from "fast-check";
import { calls, fmt } from "../calls.js";
import type { Step } from "../step.js";
import { actorArg, marginRefs, pick, resolve } from "./actorRef.js";
import { int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { fraction } from "./sizing.js";

type Args = { actor: string; bps: number };

/** Withdraws a fraction of the account's margin (over 100% asks for more than there is). */
export class WithdrawCommand extends Command<Args> {
  readonly name = "withdraw";
  private amount: bigint | undefined;
  async act(step: Step) {
    const actor = resolve(step.m.actors, this.a.actor);
    this.amount = fraction(step.m.port.account(actor).margin, this.a.bps);
    await step.act(calls.withdraw(step.w, actor, this.amount));
  }
  toString() {
    const amount = this.amount === undefined ? "" : ` = ${fmt(this.amount)}`;
    return `withdraw(${this.a.actor}, ${this.a.bps / 100}% of margin${amount})`;
  }
}

export const withdraw: CommandSpec = {
  name: "withdraw",
  build: (args) =>
    new WithdrawCommand({ actor: actorArg(args, "actor", marginRefs), bps: int(args, "bps", 1, 20_000) }),
  arbitrary: fc
    .record({
      actor: pick(marginRefs),
      bps: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 10_000 }) },
        fc.integer({ min: 10_001, max: 12_000 }),
      ),
    })
    .map((a) => new WithdrawCommand(a)),
};
