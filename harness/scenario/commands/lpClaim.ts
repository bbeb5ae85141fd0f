import * as fc from "fast-check";
import { Mode } from "../../model/types.js";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { actorArg, lpRefs, pick, resolve } from "./actorRef.js";
import { int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { fraction } from "./sizing.js";

type Args = { lp: string; bps: number };

/** In Settlement: an LP burns shares for its fixed share of what the LPs are owed. */
export class LpClaimCommand extends Command<Args> {
  readonly name = "lpClaim";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.mode() === Mode.Settlement && m.port.lpShares(resolve(m.actors, this.a.lp)) > 0n;
  }
  async act(step: Step) {
    const lp = resolve(step.m.actors, this.a.lp);
    await step.act(calls.lpClaim(step.w, lp, fraction(step.m.port.lpShares(lp), this.a.bps)));
  }
  toString() {
    return `lpClaim(${this.a.lp}, ${this.a.bps / 100}% of shares)`;
  }
}

export const lpClaim: CommandSpec = {
  name: "lpClaim",
  build: (args) => new LpClaimCommand({ lp: actorArg(args, "lp", lpRefs), bps: int(args, "bps", 1, 10_000) }),
  arbitrary: fc
    .record({ lp: pick(lpRefs), bps: fc.oneof(fc.constant(10_000), fc.integer({ min: 1, max: 10_000 })) })
    .map((a) => new LpClaimCommand(a)),
};
