import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { Step } from "../step.js";
import { actorArg, pick, resolve, tradingRefs } from "./actorRef.js";
import { keeper, roundBlock } from "./adversary.js";
import { int, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { sizeForLeverage } from "./sizing.js";

type Args = { actor: string; moveBps: number; leverageBps: number; via: "atomic" | "order" };

/**
 * The front-runner: sees the next round coming (a deviation round of `moveBps`), trades in the block before
 * it on the stale price in the move's direction, and closes in the block after it — atomically (paying the immediacy
 * premium), or by next-price orders (the open executes at the round it saw coming, the close at the round after).
 */
export class FrontRunCommand extends Command<Args> {
  readonly name = "frontRun";
  override check(m: Readonly<import("../step.js").ScenarioModel>) {
    return m.port.account(resolve(m.actors, this.a.actor)).size === 0n;
  }
  async act(step: Step) {
    const { m, w } = step;
    const actor = resolve(m.actors, this.a.actor);
    const side = this.a.moveBps >= 0 ? 1 : -1;
    const size = sizeForLeverage(m.port, actor, side, this.a.leverageBps);
    if (this.a.via === "atomic") {
      await step.act(calls.modify(w, actor, size, 0n));
      await step.block(
        roundBlock(step, { moveBps: this.a.moveBps, secondary: true, refresher: keeper(step) }),
      );
      if (m.port.account(actor).size !== 0n) await step.act(calls.close(w, actor, 0n));
      return;
    }
    // A keeper backruns each round with the order's execution (orders execute only in their round's block).
    await step.act(calls.commitOrder(w, actor, size, 0n));
    await step.block([
      ...roundBlock(step, { moveBps: this.a.moveBps, secondary: true }),
      calls.executeOrder(w, keeper(step), actor),
    ]);
    const held = m.port.account(actor).size;
    if (held === 0n) return;
    await step.act(calls.commitOrder(w, actor, -held, 0n));
    await step.block([
      ...roundBlock(step, { moveBps: 0, secondary: true }),
      calls.executeOrder(w, keeper(step), actor),
    ]);
  }
  toString() {
    const via = this.a.via === "atomic" ? "" : ", by orders";
    return `frontRun(${this.a.actor} ${this.a.leverageBps / 10_000}x before a ${this.a.moveBps / 100}% round, closes after${via})`;
  }
}

export const frontRun: CommandSpec = {
  name: "frontRun",
  build: (args) =>
    new FrontRunCommand({
      actor: actorArg(args, "actor", tradingRefs),
      moveBps: int(args, "moveBps", -990, 990),
      leverageBps: int(args, "leverageBps", 1, 100_000),
      // Artifacts from before orders existed name no path: they traded atomically.
      via: args.via === undefined ? "atomic" : oneOf(args, "via", ["atomic", "order"] as const),
    }),
  arbitrary: fc
    .record({
      actor: pick(tradingRefs),
      moveBps: fc.integer({ min: 20, max: 900 }).chain((b) => fc.constantFrom(b, -b)),
      leverageBps: fc.integer({ min: 10_000, max: 90_000 }),
      via: fc.constantFrom("atomic" as const, "order" as const),
    })
    .map((a) => new FrontRunCommand(a)),
};
