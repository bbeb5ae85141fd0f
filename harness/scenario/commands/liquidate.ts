import * as fc from "fast-check";
import type { Address } from "viem";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { actorArg, keeperRefs, pick, resolve, tradingRefs } from "./actorRef.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { keeper: string; target: string };

/**
 * A keeper liquidates `target`, or with "auto" the account the model finds least healthy (a keeper's
 * choice; the model and chain agree on health or the step fails anyway).
 */
export class LiquidateCommand extends Command<Args> {
  readonly name = "liquidate";
  private chosen: Address | undefined;
  override check(m: Readonly<ScenarioModel>) {
    return m.actors.accounts.some((a) => m.port.account(a).size !== 0n);
  }
  async act(step: Step) {
    const { m, w } = step;
    this.chosen = this.a.target === "auto" ? weakest(m) : resolve(m.actors, this.a.target);
    await step.act(calls.liquidate(w, resolve(m.actors, this.a.keeper), this.chosen));
  }
  toString() {
    const chosen = this.a.target === "auto" && this.chosen ? ` = ${this.chosen.slice(0, 8)}` : "";
    return `liquidate(${this.a.keeper} -> ${this.a.target}${chosen})`;
  }
}

/** The position with the lowest equity over maintenance requirement. */
export function weakest(m: Readonly<ScenarioModel>): Address {
  let best: { account: Address; score: bigint } | undefined;
  for (const account of m.actors.accounts) {
    if (m.port.account(account).size === 0n) continue;
    const h = m.port.health(account);
    const score = h.equity - h.maintenanceRequired;
    if (!best || score < best.score) best = { account, score };
  }
  return best?.account ?? (m.actors.traders[0] as Address);
}

export const liquidate: CommandSpec = {
  name: "liquidate",
  build: (args) =>
    new LiquidateCommand({
      keeper: actorArg(args, "keeper", keeperRefs),
      target: actorArg(args, "target", ["auto", ...tradingRefs]),
    }),
  arbitrary: fc
    .record({
      keeper: pick(keeperRefs),
      target: fc.oneof({ weight: 4, arbitrary: fc.constant("auto") }, pick(tradingRefs)),
    })
    .map((a) => new LiquidateCommand(a)),
};
