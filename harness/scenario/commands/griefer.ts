import * as fc from "fast-check";
import type { Address } from "viem";
import { calls } from "../calls.js";
import type { Planned, Step } from "../step.js";
import { keeper, warpTo } from "./adversary.js";
import { int, oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

const entryPoints = [
  "open",
  "close",
  "withdraw",
  "deposit",
  "lpRedeem",
  "lpDeposit",
  "refresh",
  "liquidate",
  "settle",
] as const;
type EntryPoint = (typeof entryPoints)[number];
const edges = ["now", "staleEdge", "ageLimit", "afterRound"] as const;

type Args = { call: EntryPoint; edge: (typeof edges)[number]; offset: number; repeat: number };

/**
 * An address with no funds and no exposure calls an entry point — `modifyPosition(1 wei, 0)`, `refresh`,
 * `withdraw(1)`, an LP redeem, `settle()` — at an oracle edge: exactly at the primary's age limit, just past
 * it (the stale window before a late heartbeat), or right after a round. It repeats (the refresh spam
 * during a halt) once per stale window of the feed's current round.
 */
export class GrieferCommand extends Command<Args> {
  readonly name = "griefer";
  async act(step: Step) {
    const { m } = step;
    const griefer = m.actors.griefer;
    for (let i = 0; i < this.a.repeat; i++) {
      const primary = m.port.feed("primary");
      const maxAge = BigInt(m.port.oracleParams().maxAge);
      if (this.a.edge === "staleEdge") await warpTo(step, primary.updatedAt + maxAge + BigInt(this.a.offset));
      if (this.a.edge === "ageLimit") await warpTo(step, primary.updatedAt + maxAge);
      if (this.a.edge === "afterRound") await warpTo(step, primary.updatedAt + BigInt(this.a.offset));
      await step.act(this.plan(step, griefer));
    }
  }
  private plan(step: Step, griefer: Address): Planned {
    const { w, m } = step;
    switch (this.a.call) {
      case "open":
        return calls.modify(w, griefer, 1n, 0n);
      case "close":
        return calls.close(w, griefer, 0n);
      case "withdraw":
        return calls.withdraw(w, griefer, 1n);
      case "deposit":
        return calls.deposit(w, griefer, 1n);
      case "lpRedeem":
        return calls.lpRedeem(w, griefer, 1n);
      case "lpDeposit":
        return calls.lpDeposit(w, griefer, 1n);
      case "refresh":
        return calls.refresh(w, griefer);
      case "liquidate": {
        const target = m.actors.accounts.find((a) => m.port.account(a).size !== 0n) ?? keeper(step);
        return calls.liquidate(w, griefer, target);
      }
      case "settle":
        return calls.settle(w, griefer);
    }
  }
  toString() {
    const at = this.a.edge === "now" ? "" : ` at ${this.a.edge}${this.a.offset ? `+${this.a.offset}s` : ""}`;
    return `griefer(${this.a.call}${at}${this.a.repeat > 1 ? ` x${this.a.repeat}` : ""})`;
  }
}

export const griefer: CommandSpec = {
  name: "griefer",
  build: (args) =>
    new GrieferCommand({
      call: oneOf(args, "call", entryPoints),
      edge: oneOf(args, "edge", edges),
      offset: int(args, "offset", 0, 86_400),
      repeat: int(args, "repeat", 1, 8),
    }),
  arbitrary: fc
    .record({
      call: fc.oneof(
        { weight: 3, arbitrary: fc.constant("open" as const) },
        { weight: 3, arbitrary: fc.constant("refresh" as const) },
        fc.constantFrom(...entryPoints),
      ),
      edge: fc.constantFrom(...edges),
      offset: fc.oneof(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 25, max: 600 })),
      repeat: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, fc.integer({ min: 2, max: 4 })),
    })
    .map((a) => new GrieferCommand(a)),
};
