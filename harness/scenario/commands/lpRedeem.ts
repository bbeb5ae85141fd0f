import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { actorArg, lpRefs, pick, resolve } from "./actorRef.js";
import { int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { fraction } from "./sizing.js";

type Args = { lp: string; bps: number };

/** An LP redeems a fraction of its shares (rate-limited, backing-limited, mode-limited). */
export class LpRedeemCommand extends Command<Args> {
  readonly name = "lpRedeem";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.lpShares(resolve(m.actors, this.a.lp)) > 0n;
  }
  async act(step: Step) {
    const lp = resolve(step.m.actors, this.a.lp);
    await step.act(calls.lpRedeem(step.w, lp, fraction(step.m.port.lpShares(lp), this.a.bps)));
  }
  toString() {
    return `lpRedeem(${this.a.lp}, ${this.a.bps / 100}% of shares)`;
  }
}

export const lpRedeem: CommandSpec = {
  name: "lpRedeem",
  build: (args) =>
    new LpRedeemCommand({ lp: actorArg(args, "lp", lpRefs), bps: int(args, "bps", 1, 10_000) }),
  arbitrary: fc
    .record({ lp: pick(lpRefs), bps: fc.integer({ min: 1, max: 10_000 }) })
    .map((a) => new LpRedeemCommand(a)),
};
