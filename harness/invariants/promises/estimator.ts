import type { Address } from "viem";
import type { ObservedTx } from "../facts.js";
import { accountIn, arg, type Breach, events, key, moveBps, type PromiseContext } from "./context.js";

/** Size (WAD) × price (WAD) → collateral units (6 decimals): the market's value divisor. */
const VALUE_DIVISOR = 10n ** 30n;

/**
 * Keeps, per account, the earliest snapshot since its last trade and since the price last moved (by more
 * than `samePriceBps`, on any accepted round, not only from one snapshot to the next: a step can move the
 * price 10 % and back) at which it was healthy: the move it survived.
 */
export function followHealth(ctx: PromiseContext): void {
  const h = ctx.history;
  const m = ctx.snapshot.market;
  for (const a of ctx.snapshot.accounts) {
    const k = key(a.account);
    if (a.state.size === 0n) {
      h.healthyMark.delete(k);
      continue;
    }
    const mark = h.healthyMark.get(k);
    if (mark && mark.size === a.state.size && !movedSince(ctx, mark)) continue;
    if (a.equity >= BigInt(a.maintenanceRequired) && a.maintenanceRequired > 0n) {
      h.healthyMark.set(k, {
        at: m.timestamp,
        price: m.price,
        size: a.state.size,
        equity: a.equity,
        maintenance: a.maintenanceRequired,
        mm: m.maintenanceMargin,
        rounds: h.rounds.length,
      });
    } else h.healthyMark.delete(k);
  }
}

/** Whether an accepted round since the mark, or the price now, is more than `samePriceBps` from the mark's price. */
function movedSince(ctx: PromiseContext, mark: { price: bigint; rounds: number }): boolean {
  const far = (price: bigint) => moveBps(price, mark.price) > ctx.bounds.samePriceBps;
  return far(ctx.snapshot.market.price) || ctx.history.rounds.slice(mark.rounds).some((r) => far(r.price));
}

/**
 * Margins move with volatility measured over time: an account that survived a move is not liquidated later
 * by the volatility estimator alone — at the same price, with its position unchanged and its equity still
 * above the maintenance requirement it survived the move with.
 */
export function judgeEstimatorLiquidation(ctx: PromiseContext, tx: ObservedTx): Breach[] {
  const breaches: Breach[] = [];
  for (const e of events(tx, "market", "Liquidated")) {
    const account = arg<Address>(e, "account");
    const mark = ctx.history.healthyMark.get(key(account));
    const before = accountIn(ctx.history.last, account);
    const price = arg<bigint>(e, "price");
    if (!mark || !before || mark.size !== arg<bigint>(e, "size")) continue;
    ctx.exercise?.("no-estimator-liquidation");
    // The funding the position paid since the last snapshot (a step can hold hours of flat rounds before the
    // keeper acts): a liquidation it caused is not the estimator's.
    const indexThen = ctx.history.last?.market.fundingIndexNow ?? 0n;
    const paidSince = (mark.size * (ctx.snapshot.market.fundingIndexNow - indexThen)) / VALUE_DIVISOR;
    const equity = before.equity - (paidSince > 0n ? paidSince : 0n);
    if (
      moveBps(price, mark.price) > ctx.bounds.samePriceBps ||
      movedSince(ctx, mark) ||
      equity < mark.maintenance
    )
      continue;
    breaches.push({
      promise: "no-estimator-liquidation",
      expected: {
        account: ctx.role(account),
        liquidatable: false,
        healthySince: mark.at,
        priceThen: mark.price,
        maintenanceMarginThen: mark.mm,
        maintenanceRequiredThen: mark.maintenance,
      },
      actual: {
        liquidatedAt: tx.timestamp,
        price,
        equityBefore: before.equity,
        fundingPaidSince: paidSince,
        maintenanceMarginNow:
          ctx.history.rounds[ctx.history.rounds.length - 1]?.maintenanceMargin ??
          ctx.history.last?.market.maintenanceMargin,
      },
      actors: [account, tx.from],
    });
  }
  return breaches;
}

/**
 * Manufactured volatility moves margins by a stated bound: between any two accepted rounds k < n, MM rises by at
 * most mmMaxStep per liquidationHorizon of feed time, however many rounds carried it. Feed time is not in the
 * event; a round is at most maxAge old when accepted, so its span is at most the block-time span + maxAge:
 * horizon·(MM_n − MM_k) ≤ mmMaxStep·(at_n − at_k + maxAge). Judged until governance changes the guard's
 * parameters (a change may lift MM by a step and moves the bound).
 */
export function judgeMarginRise(ctx: PromiseContext, tx: ObservedTx): Breach[] {
  const h = ctx.history;
  const b = ctx.bounds;
  const breaches: Breach[] = [];
  for (const e of tx.guard) {
    if (e.eventName === "OracleParamsUpdated") h.oracleParamsChanged = true;
    if (e.eventName !== "PriceAccepted" || h.oracleParamsChanged) continue;
    const mm = arg<bigint>(e, "maintenanceMargin");
    const value = b.liquidationHorizon * mm - b.mmMaxStep * tx.timestamp;
    if (h.mmRiseFloor !== undefined) ctx.exercise?.("margin-rise-bounded");
    if (h.mmRiseFloor !== undefined && value - h.mmRiseFloor > b.mmMaxStep * b.maxAge) {
      breaches.push({
        promise: "margin-rise-bounded",
        expected: {
          maintenanceRisePerHorizon: b.mmMaxStep,
          liquidationHorizon: b.liquidationHorizon,
          slackSeconds: b.maxAge,
        },
        actual: {
          maintenanceMargin: mm,
          roundId: arg<bigint>(e, "roundId"),
          riseBeyondBoundTimesHorizon: value - h.mmRiseFloor - b.mmMaxStep * b.maxAge,
          acceptedBy: tx.label,
        },
        actors: [tx.from],
      });
    }
    h.mmRiseFloor = h.mmRiseFloor === undefined || value < h.mmRiseFloor ? value : h.mmRiseFloor;
  }
  return breaches;
}
