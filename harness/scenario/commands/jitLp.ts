import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { Step } from "../step.js";
import { unit } from "../world/world.js";
import { actorArg, lpRefs, pick, resolve } from "./actorRef.js";
import { keeper, roundBlock } from "./adversary.js";
import { int, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { weakest } from "./liquidate.js";

const events = ["round", "liquidation"] as const;
type Args = { lp: string; units: number; event: (typeof events)[number]; moveBps: number };

/**
 * A just-in-time LP: borrows `units` of collateral, deposits one block before an event it can see coming (an
 * oracle round landing, the liquidation of the weakest account), and redeems the shares it got right after.
 */
export class JitLpCommand extends Command<Args> {
  readonly name = "jitLp";
  async act(step: Step) {
    const { m, w } = step;
    const lp = resolve(m.actors, this.a.lp);
    const assets = BigInt(this.a.units) * unit;
    const before = m.port.lpShares(lp);
    await step.block([calls.mint(w, lp, assets), calls.lpDeposit(w, lp, assets)]);
    if (this.a.event === "round") {
      await step.block(
        roundBlock(step, { moveBps: this.a.moveBps, secondary: true, refresher: keeper(step) }),
      );
    } else {
      await step.act(calls.liquidate(w, keeper(step), weakest(m)));
    }
    const gained = m.port.lpShares(lp) - before;
    if (gained > 0n) await step.act(calls.lpRedeem(w, lp, gained));
  }
  toString() {
    const what = this.a.event === "round" ? `a ${this.a.moveBps / 100}% round` : "a liquidation";
    return `jitLp(${this.a.lp} deposits ${this.a.units} around ${what}, redeems after)`;
  }
}

export const jitLp: CommandSpec = {
  name: "jitLp",
  build: (args) =>
    new JitLpCommand({
      lp: actorArg(args, "lp", lpRefs),
      units: int(args, "units", 1, 50_000_000),
      event: oneOf(args, "event", events),
      moveBps: int(args, "moveBps", -990, 990),
    }),
  arbitrary: fc
    .record({
      lp: pick(lpRefs),
      units: fc.integer({ min: 100_000, max: 10_000_000 }),
      event: fc.constantFrom(...events),
      moveBps: fc.integer({ min: -990, max: 990 }),
    })
    .map((a) => new JitLpCommand(a)),
};
