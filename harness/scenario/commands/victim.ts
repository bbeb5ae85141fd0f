import * as fc from "fast-check";
import type { Address } from "viem";
import { calls } from "../calls.js";
import type { Planned, Step } from "../step.js";
import { resolve } from "./actorRef.js";
import { fraction, sizeForLeverage } from "./sizing.js";

/**
 * The action an oracle manipulation is aimed at: what a victim (or the attacker itself) does while the
 * feed is bad. Built from the model just before the manipulation's block.
 */
export const victimKinds = [
  "open",
  "withdraw",
  "close",
  "liquidate",
  "lpRedeem",
  "lpDeposit",
  "refresh",
] as const;
export type VictimKind = (typeof victimKinds)[number];

export const victimArb = fc.constantFrom(...victimKinds);

export function victimPlan(step: Step, kind: VictimKind, actorRef: string): Planned {
  const { m, w } = step;
  const port = m.port;
  const actor = resolve(m.actors, actorRef);
  const keeper = m.actors.keepers[0] as Address;
  const lp = m.actors.lps[0] as Address;
  switch (kind) {
    case "open":
      return calls.modify(w, actor, sizeForLeverage(port, actor, 1, 30_000), 0n);
    case "withdraw":
      return calls.withdraw(w, actor, fraction(port.account(actor).margin, 1_000));
    case "close":
      return calls.close(w, actor, 0n);
    case "liquidate": {
      const target = m.actors.accounts.find((a) => port.account(a).size !== 0n) ?? actor;
      return calls.liquidate(w, keeper, target);
    }
    case "lpRedeem":
      return calls.lpRedeem(w, lp, fraction(port.lpShares(lp), 500));
    case "lpDeposit":
      return calls.lpDeposit(w, lp, 10_000n * 1_000_000n);
    case "refresh":
      return calls.refresh(w, keeper);
  }
}
