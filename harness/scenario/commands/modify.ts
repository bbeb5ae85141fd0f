import * as fc from "fast-check";
import { calls, fmtSize } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { actorArg, pick, resolve, tradingRefs } from "./actorRef.js";
import { int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { actor: string; bps: number };

/** Scales an open position by bps/10,000: negative reduces (below -100% flips), positive adds. */
export class ModifyCommand extends Command<Args> {
  readonly name = "modify";
  private delta: bigint | undefined;
  override check(m: Readonly<ScenarioModel>) {
    return m.port.account(resolve(m.actors, this.a.actor)).size !== 0n;
  }
  async act(step: Step) {
    const actor = resolve(step.m.actors, this.a.actor);
    const size = step.m.port.account(actor).size;
    const delta = (size * BigInt(this.a.bps)) / 10_000n;
    this.delta = delta === 0n ? (this.a.bps > 0 ? 1n : -1n) * (size > 0n ? 1n : -1n) : delta;
    await step.act(calls.modify(step.w, actor, this.delta, 0n));
  }
  toString() {
    const delta = this.delta === undefined ? "" : ` = ${fmtSize(this.delta)}`;
    return `modify(${this.a.actor}, ${this.a.bps > 0 ? "+" : ""}${this.a.bps / 100}%${delta})`;
  }
}

export const modify: CommandSpec = {
  name: "modify",
  build: (args) =>
    new ModifyCommand({
      actor: actorArg(args, "actor", tradingRefs),
      bps: int(args, "bps", -30_000, 30_000),
    }),
  arbitrary: fc
    .record({
      actor: pick(tradingRefs),
      bps: fc.oneof(fc.integer({ min: -25_000, max: -1 }), fc.integer({ min: 1, max: 10_000 })),
    })
    .map((a) => new ModifyCommand(a)),
};
