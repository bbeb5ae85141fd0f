import * as fc from "fast-check";
import type { Address } from "viem";
import { Mode } from "../../model/types.js";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { actorArg, keeperRefs, pick, resolve, tradingRefs } from "./actorRef.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { keeper: string; target: string };

/** In the settlement window: records an underwater account's deficit ("auto": the weakest position). */
export class RealiseCommand extends Command<Args> {
  readonly name = "realise";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.mode() === Mode.Settlement;
  }
  async act(step: Step) {
    const { m, w } = step;
    const target = this.a.target === "auto" ? weakestUnclaimed(m) : resolve(m.actors, this.a.target);
    await step.act(calls.realise(w, resolve(m.actors, this.a.keeper), target));
  }
  toString() {
    return `realise(${this.a.keeper} -> ${this.a.target})`;
  }
}

function weakestUnclaimed(m: Readonly<ScenarioModel>): Address {
  let best: { account: Address; equity: bigint } | undefined;
  for (const account of m.actors.accounts) {
    if (m.port.account(account).size === 0n || m.port.claimed(account)) continue;
    const equity = m.port.health(account).equity;
    if (!best || equity < best.equity) best = { account, equity };
  }
  return best?.account ?? (m.actors.traders[0] as Address);
}

export const realise: CommandSpec = {
  name: "realise",
  build: (args) =>
    new RealiseCommand({
      keeper: actorArg(args, "keeper", keeperRefs),
      target: actorArg(args, "target", ["auto", ...tradingRefs]),
    }),
  arbitrary: fc
    .record({
      keeper: pick(keeperRefs),
      target: fc.oneof({ weight: 4, arbitrary: fc.constant("auto") }, pick(tradingRefs)),
    })
    .map((a) => new RealiseCommand(a)),
};
