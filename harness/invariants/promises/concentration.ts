import type { Address } from "viem";
import { min } from "../../model/math.js";
import type { ObservedTx } from "../facts.js";
import { arg, type Breach, key, type PromiseContext } from "./context.js";
import { add } from "./history.js";

/**
 * Collateral each actor put into the market and the pool, and took out (margin, LP, claims); the profit windows
 * it was paid in; and the deposits that raise the pool's value ceiling.
 */
export function followTakes(ctx: PromiseContext, tx: ObservedTx): void {
  const h = ctx.history;
  h.takesFrom ??= tx.timestamp;
  for (const e of tx.market) {
    const account = e.args.account as Address | undefined;
    if (e.eventName === "Deposited" && account) {
      add(h.putIn, account, arg<bigint>(e, "amount"));
      h.poolValueCeiling += arg<bigint>(e, "amount");
    }
    const profitClose =
      (e.eventName === "PositionModified" && arg<bigint>(e, "realisedPnl") > 0n) ||
      e.eventName === "ProfitCapped";
    if (profitClose) {
      const w = h.profitWindows;
      if (!w) h.profitWindows = { start: tx.timestamp, count: 1 };
      else if (tx.timestamp >= w.start + ctx.bounds.profitWindow) {
        h.profitWindows = { start: tx.timestamp, count: w.count + 1 };
      }
    }
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
    if (e.eventName === "Deposit") {
      add(h.putIn, arg<Address>(e, "owner"), arg<bigint>(e, "assets"));
      h.lps.add(key(arg<Address>(e, "owner")));
      h.poolValueCeiling += arg<bigint>(e, "assets");
    }
    if (e.eventName === "Withdraw") add(h.takenOut, arg<Address>(e, "owner"), arg<bigint>(e, "assets"));
    if (e.eventName === "SettlementClaimed")
      add(h.takenOut, arg<Address>(e, "owner"), arg<bigint>(e, "assets"));
  }
}

const taken = (ctx: PromiseContext, account: Address) =>
  (ctx.history.takenOut.get(key(account)) ?? 0n) - (ctx.history.putIn.get(key(account)) ?? 0n);

/** Raises the pool's value ceiling to this snapshot's cash plus every margin (after the step's deposits counted). */
export function followPoolValue(ctx: PromiseContext): void {
  const agg = ctx.snapshot.market.agg;
  const value = agg.poolCash + BigInt(agg.totalMargin);
  if (value > ctx.history.poolValueCeiling) ctx.history.poolValueCeiling = value;
}

/** The coalition of every account that never bought pool shares: one actor behind every trading account. */
export const everyTrader = "every trading account";

/**
 * The actors whose take the promise judges, each with the accounts it controls: every actor the campaign names
 * (`ctx.actorOf`: an attacker and its sock puppet are one), and the coalition of every account that never bought
 * pool shares, the worst case of one actor behind any number of accounts (Sybil), which the chain cannot tell.
 */
function actorsOf(ctx: PromiseContext): Map<string, Address[]> {
  const actors = new Map<string, Address[]>();
  const join = (actor: string, account: Address) =>
    actors.set(actor, [...(actors.get(actor) ?? []), account]);
  for (const [account] of ctx.history.takenOut) {
    join(ctx.actorOf?.(account) ?? account, account);
    if (!ctx.history.lps.has(key(account))) join(everyTrader, account);
  }
  // The coalition is judged only where it adds a set of accounts no named actor already has.
  const coalition = String(actors.get(everyTrader));
  for (const [actor, accounts] of actors) {
    if (actor !== everyTrader && String(accounts) === coalition) actors.delete(everyTrader);
  }
  return actors;
}

/**
 * No actor, however many accounts it controls, takes more than `maxTakeBps` of what the pool could have been
 * worth per profit window of the market (what its accounts took out of the market and the pool, less what they
 * put in). The market pays every winner out of one room per window, so the bound holds for any set of accounts.
 * The pool's equity at any close is at most its cash plus every trader's margin (a solvent trader loses at most
 * its margin), so the ceiling is the peak of that sum, plus deposits since: a bound measured from the chain, not
 * the market's own figure.
 */
export function judgeTake(ctx: PromiseContext): Breach[] {
  const h = ctx.history;
  const breaches: Breach[] = [];
  if (h.takenOut.size > 0) ctx.exercise?.("single-actor-take-bounded");
  const roomWindows = BigInt(Math.max(h.profitWindows?.count ?? 0, 1));
  // An LP's gain is the traders' loss, not a payment from the winners' room: an actor holding pool shares is
  // held to the bound per profit window of time elapsed, the room's windows or not.
  const elapsed = ctx.snapshot.market.timestamp - (h.takesFrom ?? ctx.snapshot.market.timestamp);
  const timeWindows = 1n + (elapsed > 0n ? elapsed / ctx.bounds.profitWindow : 0n);
  for (const [actor, accounts] of actorsOf(ctx)) {
    const lp = accounts.some((a) => h.lps.has(key(a)));
    const windows = lp && timeWindows > roomWindows ? timeWindows : roomWindows;
    const cap = (h.poolValueCeiling * ctx.bounds.maxTakeBps * windows) / 10_000n;
    const take = accounts.reduce((sum, account) => sum + taken(ctx, account), 0n);
    if (take <= cap) continue;
    breaches.push({
      promise: "single-actor-take-bounded",
      expected: {
        actor: actor === everyTrader ? actor : ctx.role(accounts[0] as Address),
        accounts: accounts.map((a) => ctx.role(a)),
        takesAtMost: cap,
        perProfitWindowBps: ctx.bounds.maxTakeBps,
        profitWindows: windows,
        ofPoolValueCeiling: h.poolValueCeiling,
        baselinePoolEquity: h.baselinePoolEquity,
      },
      actual: {
        took: take,
        putIn: accounts.reduce((sum, a) => sum + (h.putIn.get(key(a)) ?? 0n), 0n),
        tookOut: accounts.reduce((sum, a) => sum + (h.takenOut.get(key(a)) ?? 0n), 0n),
      },
      actors: accounts,
    });
  }
  return breaches;
}

/**
 * Profit is withdrawable only once it is real: a margin withdrawal while a position is open leaves the margin
 * alone (no unrealised profit counted) at or above the initial requirement, read from the chain right after.
 */
export function judgeWithdrawalWhileOpen(ctx: PromiseContext, tx: ObservedTx): Breach[] {
  const after = tx.after;
  if (after && after.size !== 0n) ctx.exercise?.("withdrawn-profit-backed");
  if (!after || after.size === 0n || after.margin >= after.initialRequired) return [];
  const withdrawn = tx.market.find((e) => e.eventName === "Withdrawn");
  if (!withdrawn) return [];
  const account = arg<Address>(withdrawn, "account");
  return [
    {
      promise: "withdrawn-profit-backed",
      expected: {
        actor: ctx.role(account),
        marginAfterWithdrawal: `>= initialRequired ${after.initialRequired}`,
      },
      actual: { margin: after.margin, equity: after.equity, withdrawn: arg<bigint>(withdrawn, "amount") },
      actors: [account],
    },
  ];
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
