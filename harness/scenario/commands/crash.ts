import * as fc from "fast-check";
import type { Address } from "viem";
import { crashDropsArb } from "../arbitraries/pricePath.js";
import { calls } from "../calls.js";
import type { Planned, Step } from "../step.js";
import { keeperTick } from "../world/keepers.js";
import { bool, int, ints, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { fraction, moved } from "./sizing.js";

type Args = {
  drops: number[];
  keeper: "prompt" | "slow" | "absent";
  every: number;
  lpRunBps: number;
  lpFirst: boolean;
};

/**
 * A correlated crash over k blocks: each block both feeds drop and a refresh accepts the round; then the
 * keeper acts (prompt: every block; slow: every `every` blocks, one liquidation per tick; absent: never)
 * while the LPs run for the exit (each redeems lpRunBps of its shares per block, before or after the keeper).
 */
export class CrashCommand extends Command<Args> {
  readonly name = "crash";
  async act(step: Step) {
    const { m, w } = step;
    const [k0, k1] = m.actors.keepers as [Address, Address];
    for (let i = 0; i < this.a.drops.length; i++) {
      const answer = moved(m.port.feed("primary").latestAnswer, -(this.a.drops[i] ?? 0));
      const block: Planned[] = [];
      if (m.port.feed("primary").reportedOverride !== 0n)
        block.push(calls.feedReportedRound(w, "primary", 0n));
      block.push(
        calls.feedAnswer(w, "primary", answer),
        calls.feedAnswer(w, "secondary", answer),
        calls.refresh(w, k0),
      );
      await step.block(block);
      if (this.a.lpFirst) await this.lpRun(step);
      if (this.a.keeper === "prompt") await keeperTick(step, w.keepers.prompt, k0);
      if (this.a.keeper === "slow" && (i + 1) % this.a.every === 0)
        await keeperTick(step, w.keepers.slow, k1);
      if (!this.a.lpFirst) await this.lpRun(step);
    }
  }
  private async lpRun(step: Step) {
    if (this.a.lpRunBps === 0) return;
    const { m, w } = step;
    const redeems = m.actors.lps
      .filter((lp) => m.port.lpShares(lp) > 0n)
      .map((lp) => calls.lpRedeem(w, lp, fraction(m.port.lpShares(lp), this.a.lpRunBps)));
    await step.block(redeems);
  }
  toString() {
    const keeper = this.a.keeper === "slow" ? `slow keeper every ${this.a.every}` : `${this.a.keeper} keeper`;
    const lps =
      this.a.lpRunBps === 0
        ? "LPs stay"
        : `LPs redeem ${this.a.lpRunBps / 100}%/block ${this.a.lpFirst ? "first" : "last"}`;
    return `crash(${this.a.drops.map((d) => `-${d / 100}%`).join(" ")}; ${keeper}; ${lps})`;
  }
}

export const crash: CommandSpec = {
  name: "crash",
  build: (args) =>
    new CrashCommand({
      drops: ints(args, "drops", 0, 9_500, [1, 16]),
      keeper: oneOf(args, "keeper", ["prompt", "slow", "absent"] as const),
      every: int(args, "every", 1, 16),
      lpRunBps: int(args, "lpRunBps", 0, 10_000),
      lpFirst: bool(args, "lpFirst"),
    }),
  arbitrary: fc
    .record({
      drops: crashDropsArb,
      keeper: fc.constantFrom("prompt" as const, "slow" as const, "absent" as const),
      every: fc.integer({ min: 2, max: 4 }),
      lpRunBps: fc.oneof(fc.constant(0), fc.integer({ min: 500, max: 5_000 })),
      lpFirst: fc.boolean(),
    })
    .map((a) => new CrashCommand(a)),
};
