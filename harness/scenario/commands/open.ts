import * as fc from "fast-check";
import { calls, fmtSize } from "../calls.js";
import type { Step } from "../step.js";
import { actorArg, pick, resolve, tradingRefs } from "./actorRef.js";
import { int, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { priceLimit, sizeForLeverage } from "./sizing.js";

type Args = { actor: string; side: "long" | "short"; leverageBps: number; limitBps: number };

/** Opens or adds to a position worth leverageBps/10,000 times the account's equity (up to 13x: past the limit). */
export class OpenCommand extends Command<Args> {
  readonly name = "open";
  private size: bigint | undefined;
  async act(step: Step) {
    const actor = resolve(step.m.actors, this.a.actor);
    const side = this.a.side === "long" ? 1 : -1;
    this.size = sizeForLeverage(step.m.port, actor, side, this.a.leverageBps);
    await step.act(calls.modify(step.w, actor, this.size, priceLimit(step.m.port, side, this.a.limitBps)));
  }
  toString() {
    const size = this.size === undefined ? "" : ` = ${fmtSize(this.size)}`;
    const limit = this.a.limitBps === 0 ? "" : `, limit ${this.a.limitBps}bps`;
    return `open(${this.a.actor}, ${this.a.side} ${this.a.leverageBps / 10_000}x${size}${limit})`;
  }
}

export const open: CommandSpec = {
  name: "open",
  build: (args) =>
    new OpenCommand({
      actor: actorArg(args, "actor", tradingRefs),
      side: oneOf(args, "side", ["long", "short"] as const),
      leverageBps: int(args, "leverageBps", 1, 200_000),
      limitBps: int(args, "limitBps", -500, 500),
    }),
  arbitrary: fc
    .record({
      actor: pick(tradingRefs),
      side: fc.constantFrom("long" as const, "short" as const),
      leverageBps: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1_000, max: 90_000 }) },
        fc.integer({ min: 90_000, max: 130_000 }),
      ),
      limitBps: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: -50, max: 200 })),
    })
    .map((a) => new OpenCommand(a)),
};
