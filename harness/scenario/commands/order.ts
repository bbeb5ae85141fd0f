import * as fc from "fast-check";
import { calls, fmtSize } from "../calls.js";
import type { Step } from "../step.js";
import { mineEmpty } from "../world/exec.js";
import { actorArg, pick, resolve, tradingRefs } from "./actorRef.js";
import { keeper, roundBlock } from "./adversary.js";
import { bool, int, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { sizeForLeverage } from "./sizing.js";

type Args = {
  actor: string;
  side: "long" | "short" | "close";
  leverageBps: number;
  /** The move of the round the order executes at. */
  moveBps: number;
  /** Empty blocks between the round and the keeper's execution (0: it backruns the round; later: it lapses). */
  delayBlocks: number;
  /** Whether someone reads the round before the keeper executes (a refresh in its block). */
  refreshed: boolean;
};

/**
 * A next-price order: the actor commits (an open, add or close), the next primary round is published, and a keeper
 * executes the order in that round's block (backrunning it) or `delayBlocks` blocks later, when it has lapsed — or
 * finds it cancelled (limit, margin, mode). The model predicts which.
 */
export class OrderCommand extends Command<Args> {
  readonly name = "order";
  private size: bigint | undefined;
  async act(step: Step) {
    const { m, w } = step;
    const actor = resolve(m.actors, this.a.actor);
    const held = m.port.account(actor).size;
    this.size =
      this.a.side === "close"
        ? -held
        : sizeForLeverage(m.port, actor, this.a.side === "long" ? 1 : -1, this.a.leverageBps);
    if (this.size === 0n) return;
    await step.act(calls.commitOrder(w, actor, this.size, 0n));
    const round = roundBlock(step, {
      moveBps: this.a.moveBps,
      secondary: true,
      refresher: this.a.refreshed ? keeper(step) : undefined,
    });
    const execute = calls.executeOrder(w, keeper(step), actor);
    if (this.a.delayBlocks === 0) {
      await step.block([...round, execute]);
      return;
    }
    await step.block(round);
    for (let i = 1; i < this.a.delayBlocks; i++) await mineEmpty(w);
    await step.act(execute);
  }
  toString() {
    const size = this.size === undefined ? "" : ` = ${fmtSize(this.size)}`;
    const how = this.a.side === "close" ? "close" : `${this.a.side} ${this.a.leverageBps / 10_000}x`;
    return `order(${this.a.actor} ${how}${size}, at a ${this.a.moveBps / 100}% round, executed ${this.a.delayBlocks} blocks later${this.a.refreshed ? ", round read first" : ""})`;
  }
}

export const order: CommandSpec = {
  name: "order",
  build: (args) =>
    new OrderCommand({
      actor: actorArg(args, "actor", tradingRefs),
      side: oneOf(args, "side", ["long", "short", "close"] as const),
      leverageBps: int(args, "leverageBps", 1, 200_000),
      moveBps: int(args, "moveBps", -990, 990),
      delayBlocks: int(args, "delayBlocks", 0, 20),
      refreshed: bool(args, "refreshed"),
    }),
  arbitrary: fc
    .record({
      actor: pick(tradingRefs),
      side: fc.constantFrom("long" as const, "short" as const, "close" as const),
      leverageBps: fc.integer({ min: 1_000, max: 120_000 }),
      moveBps: fc.integer({ min: -300, max: 300 }),
      delayBlocks: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 8 })),
      refreshed: fc.boolean(),
    })
    .map((a) => new OrderCommand(a)),
};
