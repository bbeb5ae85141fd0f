import type { Address } from "viem";
import type { ObservedTx } from "../facts.js";
import { followBreaker, judgeBreakerEnds, judgeHaltedLiquidation } from "./breaker.js";
import { followMoved, judgeWinnerCloses } from "./closing.js";
import {
  followPoolValue,
  followTakes,
  judgeTake,
  judgeWithdrawalWhileOpen,
  judgeWithdrawnProfit,
} from "./concentration.js";
import { arg, type Breach, key, type PromiseContext } from "./context.js";
import { followHealth, judgeEstimatorLiquidation, judgeMarginRise } from "./estimator.js";
import { followPending, judgeNoExposureModeChange, judgeStaleByTime } from "./exposure.js";
import { followGovernance, judgeGovernanceFirst } from "./governance.js";
import { followFeeds, judgeJump } from "./jumps.js";
import { followLpFlows, judgeLpRoundTrip, judgeOutflowRoom, type RoundTrip } from "./lpFlows.js";
import { Exposure } from "./scratch.js";
import { followTightenings, judgeStateTightening } from "./tightening.js";
import { judgeTraderRoundTrip } from "./traderFlows.js";

export type { PromiseBounds, PromiseContext } from "./context.js";
export { statedBounds } from "./context.js";
export { type CampaignHistory, copyHistory, emptyHistory } from "./history.js";

/** Every campaign promise's name, as breaches and artifacts carry it (behaviour coverage counts them). */
export const campaignPromiseNames = [
  "breaker-halt-ends",
  "front-run-bounded",
  "governance-acts-before-exit",
  "halt-liquidation-bounded",
  "jump-confirmed",
  "margin-rise-bounded",
  "no-estimator-liquidation",
  "no-exposure-no-mode-change",
  "outflow-room-not-consumed",
  "profit-can-close",
  "round-trip-bounded",
  "single-actor-take-bounded",
  "stale-by-time-no-trip",
  "state-tightening-clears",
  "withdrawn-profit-backed",
] as const;

/**
 * The campaign promises: judged after every step, transaction by transaction in block order, from the
 * chain (receipts, events, Lens reads) and what actors did — never from the model. Returns every breach
 * in the order found; the history is brought up to date whatever is found.
 */
export function judgeCampaignPromises(ctx: PromiseContext): Breach[] {
  const breaches: Breach[] = [];
  const exposure = new Exposure(ctx);
  let breakerDue: ObservedTx | undefined;
  const trips: RoundTrip[] = [];
  const moved = new Set<Address>();
  for (const tx of ctx.txs) {
    followFeeds(ctx, tx);
    breaches.push(...judgeJump(ctx, tx));
    breaches.push(...judgeNoExposureModeChange(tx, exposure, ctx.exercise));
    breaches.push(...judgeStaleByTime(ctx, tx));
    breaches.push(...judgeWinnerCloses(ctx, tx, moved));
    followMoved(tx, moved);
    breaches.push(...judgeEstimatorLiquidation(ctx, tx));
    breaches.push(...judgeMarginRise(ctx, tx));
    breaches.push(...judgeGovernanceFirst(ctx, tx));
    breaches.push(...judgeWithdrawnProfit(ctx, tx));
    breaches.push(...judgeWithdrawalWhileOpen(ctx, tx));
    if (followBreaker(ctx, tx)) breakerDue = tx;
    followGovernance(ctx, tx);
    followTightenings(ctx, tx);
    followPending(ctx, tx);
    acceptRounds(ctx, tx);
    const rounds = ctx.history.rounds.length;
    breaches.push(...judgeTraderRoundTrip(ctx, tx, rounds));
    for (const trip of followLpFlows(ctx, tx, rounds)) {
      trips.push(trip);
      breaches.push(...judgeLpRoundTrip(ctx, trip));
    }
    followTakes(ctx, tx);
    exposure.apply(tx);
  }
  breaches.push(...judgeBreakerEnds(ctx, breakerDue));
  breaches.push(...judgeHaltedLiquidation(ctx));
  breaches.push(...judgeStateTightening(ctx));
  for (const trip of trips) breaches.push(...judgeOutflowRoom(ctx, trip));
  followPoolValue(ctx);
  breaches.push(...judgeTake(ctx));
  breaches.push(...judgeNegativeAfterProfit(ctx));
  followHealth(ctx);
  ctx.history.last = ctx.snapshot;
  return breaches;
}

/** The guard's accepted rounds, in order, at the block time they were accepted. */
function acceptRounds(ctx: PromiseContext, tx: ObservedTx): void {
  for (const e of tx.guard) {
    if (e.eventName !== "PriceAccepted") continue;
    const roundId = arg<bigint>(e, "roundId");
    ctx.history.rounds.push({
      roundId,
      price: arg<bigint>(e, "price"),
      at: tx.timestamp,
      maintenanceMargin: arg<bigint>(e, "maintenanceMargin"),
    });
    ctx.history.lastAcceptedRound = roundId;
  }
}

/** Profit withdrawn while open, then negative equity at a later accepted price (before anyone liquidates). */
function judgeNegativeAfterProfit(ctx: PromiseContext): Breach[] {
  const breaches: Breach[] = [];
  for (const a of ctx.snapshot.accounts) {
    const mark = ctx.history.withdrewProfitAt.get(key(a.account));
    if (!mark || a.state.size === 0n || a.equity >= 0n) continue;
    breaches.push({
      promise: "withdrawn-profit-backed",
      expected: { actor: ctx.role(a.account), equity: ">= 0", profitWithdrawnWhileOpen: mark.amount },
      actual: { equity: a.equity, withdrawnAtPrice: mark.price, priceNow: ctx.snapshot.market.price },
      actors: [a.account],
    });
  }
  return breaches;
}
