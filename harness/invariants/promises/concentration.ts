import type { Address } from "viem";
import { min } from "../../model/math.js";
import type { ObservedTx } from "../facts.js";
import { arg, type Breach, key, type PromiseContext } from "./context.js";
import { add } from "./history.js";

/** Collateral each actor put into the market and the pool, and took out (margin, LP, claims). */
export function followTakes(ctx: PromiseContext, tx: ObservedTx): void {
  const h = ctx.history;
  for (const e of tx.market) {
    const account = e.args.account as Address | undefined;
    if (e.eventName === "Deposited" && account) add(h.putIn, account, arg<bigint>(e, "amount"));
    if (e.eventName === "Claimed" && account) add(h.takenOut, account, arg<bigint>(e, "amount"));
    if (e.eventName === "Withdrawn" && account) {
      const amount = arg<bigint>(e, "amount");
      add(h.takenOut, account, amount);
      // Withdrawn while open, leaving a margin below the initial requirement: the rest is unrealised profit.
      const after = tx.after;
      if (after && after.size !== 0n && after.margin < after.initialRequired) {
        const gap = after.initialRequired - after.margin;
        h.withdrewProfitAt.set(key(account), {
          price: h.rounds[h.rounds.length - 1]?.price ?? 0n,
          at: tx.timestamp,
          amount: min(amount, gap),
        });
      }
    }
  }
  for (const e of tx.pool) {
    if (e.eventName === "Deposit") add(h.putIn, arg<Address>(e, "owner"), arg<bigint>(e, "assets"));
    if (e.eventName === "Withdraw") add(h.takenOut, arg<Address>(e, "owner"), arg<bigint>(e, "assets"));
    if (e.eventName === "SettlementClaimed")
      add(h.takenOut, arg<Address>(e, "owner"), arg<bigint>(e, "assets"));
  }
}

const taken = (ctx: PromiseContext, account: Address) =>
  (ctx.history.takenOut.get(key(account)) ?? 0n) - (ctx.history.putIn.get(key(account)) ?? 0n);

/**
 * No single actor takes more than `maxTakeBps` of the pool's baseline equity over a campaign (what it took
 * out of the market and the pool, less what it put in).
 */
export function judgeTake(ctx: PromiseContext): Breach[] {
  const base = ctx.history.baselinePoolEquity ?? 0n;
  const cap = (base * ctx.bounds.maxTakeBps) / 10_000n;
  const breaches: Breach[] = [];
  for (const [account] of ctx.history.takenOut) {
    const take = taken(ctx, account);
    if (take <= cap) continue;
    breaches.push({
      promise: "single-actor-take-bounded",
      expected: { actor: ctx.role(account), takesAtMost: cap, ofBaselinePoolEquity: base },
      actual: {
        took: take,
        putIn: ctx.history.putIn.get(account) ?? 0n,
        tookOut: ctx.history.takenOut.get(account),
      },
      actors: [account],
    });
  }
  return breaches;
}

/**
 * Nobody withdraws profit that exists only at a price the market later abandons: an account that withdrew
 * margin while open down to below its initial requirement (the position then stands on unrealised profit)
 * must not be left with negative equity (bad debt for the LPs) at the prices accepted since.
 */
export function judgeWithdrawnProfit(ctx: PromiseContext, tx: ObservedTx): Breach[] {
  const breaches: Breach[] = [];
  for (const e of tx.market) {
    if (e.eventName !== "BadDebt") continue;
    const account = arg<Address>(e, "account");
    const mark = ctx.history.withdrewProfitAt.get(key(account));
    if (!mark) continue;
    breaches.push({
      promise: "withdrawn-profit-backed",
      expected: { actor: ctx.role(account), badDebt: 0n, profitWithdrawnWhileOpen: mark.amount },
      actual: {
        badDebt: arg<bigint>(e, "deficit"),
        socialisedToLps: arg<bigint>(e, "socialised"),
        withdrawnAtPrice: mark.price,
        priceNow: ctx.history.rounds[ctx.history.rounds.length - 1]?.price,
      },
      actors: [account],
    });
  }
  return breaches;
}
