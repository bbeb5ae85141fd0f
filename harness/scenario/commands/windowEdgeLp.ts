import * as fc from "fast-check";
import { calls } from "../calls.js";
import type { Step } from "../step.js";
import { unit } from "../world/world.js";
import { actorArg, lpRefs, pick, resolve } from "./actorRef.js";
import { roundBlock, warpTo } from "./adversary.js";
import { int } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { lp: string; equityBps: number; blocksBefore: number };

/**
 * Deposits as late in the LP outflow window as it can and still redeem in the first block of the next one:
 * `equityBps` of the pool's equity (borrowed), the pool's holding period (or, were that shorter, `blocksBefore`
 * blocks) before the window ends. When no window is running, a 1-unit deposit starts one first. A heartbeat
 * round lands in the deposit's block and in the redeem's.
 */
export class WindowEdgeLpCommand extends Command<Args> {
  readonly name = "windowEdgeLp";
  async act(step: Step) {
    const { m, w } = step;
    const lp = resolve(m.actors, this.a.lp);
    let window = m.port.outflowWindow();
    if (w.clock.next() >= window.start + window.length) {
      await step.block([
        ...roundBlock(step, { moveBps: 0, secondary: true }),
        calls.mint(w, lp, unit),
        calls.lpDeposit(w, lp, unit),
      ]);
      window = m.port.outflowWindow();
    }
    const assets = (m.port.totalAssets() * BigInt(this.a.equityBps)) / 10_000n;
    const end = window.start + window.length;
    const hold = m.port.minHoldingPeriod();
    const lead = 12n * BigInt(this.a.blocksBefore + 1);
    await warpTo(step, end - (hold > lead ? hold : lead));
    const before = m.port.lpShares(lp);
    // A heartbeat round in the same block keeps the reading fresh after the wait.
    await step.block([
      ...roundBlock(step, { moveBps: 0, secondary: true }),
      calls.mint(w, lp, assets),
      calls.lpDeposit(w, lp, assets),
    ]);
    await warpTo(step, end);
    const gained = m.port.lpShares(lp) - before;
    if (gained > 0n) {
      await step.block([...roundBlock(step, { moveBps: 0, secondary: true }), calls.lpRedeem(w, lp, gained)]);
    }
  }
  toString() {
    return `windowEdgeLp(${this.a.lp} deposits ${this.a.equityBps / 100}% of equity the holding period (or ${this.a.blocksBefore + 1} block(s)) before the outflow window ends, redeems in the next)`;
  }
}

export const windowEdgeLp: CommandSpec = {
  name: "windowEdgeLp",
  build: (args) =>
    new WindowEdgeLpCommand({
      lp: actorArg(args, "lp", lpRefs),
      equityBps: int(args, "equityBps", 1, 20_000),
      blocksBefore: int(args, "blocksBefore", 0, 4),
    }),
  arbitrary: fc
    .record({
      lp: pick(lpRefs),
      equityBps: fc.integer({ min: 500, max: 6_000 }),
      blocksBefore: fc.integer({ min: 0, max: 2 }),
    })
    .map((a) => new WindowEdgeLpCommand(a)),
};
