import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { actorArg, pick, resolve, tradingRefs } from "./actorRef.js";
import { int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { priceLimit } from "./sizing.js";

type Args = { actor: string; limitBps: number };

/** Closes the whole position (closePosition), optionally with a worst-price limit. */
export class CloseCommand extends Command<Args> {
  readonly name = "close";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.account(resolve(m.actors, this.a.actor)).size !== 0n;
  }
  async act(step: Step) {
    const actor = resolve(step.m.actors, this.a.actor);
    // Closing sells a long (a minimum price) and buys back a short (a maximum).
    const side = step.m.port.account(actor).size > 0n ? -1 : 1;
    await step.act(calls.close(step.w, actor, priceLimit(step.m.port, side, this.a.limitBps)));
  }
  toString() {
    return `close(${this.a.actor}${this.a.limitBps === 0 ? "" : `, limit ${this.a.limitBps}bps`})`;
  }
}

export const close: CommandSpec = {
  name: "close",
  build: (args) =>
    new CloseCommand({
      actor: actorArg(args, "actor", tradingRefs),
      limitBps: int(args, "limitBps", -500, 500),
    }),
  arbitrary: fc
    .record({
      actor: pick(tradingRefs),
      limitBps: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: -50, max: 200 })),
    })
    .map((a) => new CloseCommand(a)),
};
