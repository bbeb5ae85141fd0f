import { haltFlags, solidityEnums } from "../../../src-ts/generated/abis.js";
import type { ObservedTx } from "../facts.js";
import { arg, type Breach, events, type PromiseContext } from "./context.js";

const HALTED = solidityEnums.Mode.Halted;
const HALT_BREAKER = haltFlags.BREAKER;
const BREAKER_RESET = solidityEnums.Cause.BreakerReset;
const GOVERNANCE = solidityEnums.Cause.Governance;
/** The readings that are evidence of a bad price (MarketSafety.isBadRound): on a new round they restart the count. */
const { NonPositive, AtBounds, Diverged, TooVolatile } = solidityEnums.OracleClass;
const badRounds = new Set<number>([NonPositive, AtBounds, Diverged, TooVolatile]);

/**
 * Follows a breaker halt through one transaction: a trip starts it; each valid new round the guard accepts
 * counts; a new round the guard rejects as a bad price (the classes that trip the breaker) starts the count again,
 * and only rounds after it count — the same round accepted later, once the secondary that contradicted it went
 * stale, is not a new good round (adversarial seed 707). A stale or unreadable reading counts for nothing either
 * way. Returns whether this transaction was a refresh that came after enough valid new rounds and the cooldown and
 * read a trusted price (so the halt must end: a market resumes at a price it trusts, never on a stale or rejected
 * reading).
 */
export function followBreaker(ctx: PromiseContext, tx: ObservedTx): boolean {
  const h = ctx.history;
  const tripped = events(tx, "market", "BreakerTripped")[0];
  if (tripped) {
    const trip = { at: tx.timestamp, resume: Number(tripped.args.resumeMode), accepted: 0, by: tx.from };
    h.trip = { ...trip, after: h.lastAcceptedRound };
  }
  let lastAccepted = h.lastAcceptedRound;
  for (const e of tx.guard) {
    const round = arg<bigint>(e, "roundId");
    if (e.eventName === "PriceAccepted") {
      lastAccepted = round;
      if (h.trip && round > h.trip.after) h.trip.accepted++;
    } else if (
      e.eventName === "ReadingRejected" &&
      badRounds.has(Number(e.args.class)) &&
      round > lastAccepted &&
      h.trip &&
      round > h.trip.after
    ) {
      h.trip.accepted = 0;
      h.trip.after = round;
    }
  }
  const modeChanges = events(tx, "market", "ModeChanged");
  const ended = modeChanges.some((e) => {
    const cause = Number(e.args.cause);
    return cause === BREAKER_RESET || cause === GOVERNANCE || Number(e.args.to) === 4;
  });
  const due =
    h.trip !== undefined &&
    tx.call === "refresh" &&
    tx.status === "ok" &&
    !ended &&
    h.trip.accepted >= ctx.bounds.breakerValidReadings &&
    tx.timestamp >= h.trip.at + ctx.bounds.breakerCooldown &&
    !tx.guard.some((e) => e.eventName === "ReadingRejected");
  if (ended) h.trip = undefined;
  return due;
}

/**
 * A breaker halt ends within `breakerValidReadings` valid new rounds plus the cooldown, whatever anyone
 * else calls: once that many valid new rounds were accepted since the trip and the cooldown has passed, a
 * refresh must leave the market out of the breaker's halt (other halt causes keep it Halted: not judged).
 */
export function judgeBreakerEnds(ctx: PromiseContext, due: ObservedTx | undefined): Breach[] {
  const m = ctx.snapshot.market;
  const trip = ctx.history.trip;
  if (due && trip) ctx.exercise?.("breaker-halt-ends");
  if (!due || !trip || m.mode !== HALTED || m.haltFlags !== HALT_BREAKER) return [];
  return [
    {
      promise: "breaker-halt-ends",
      expected: {
        mode: `resumes ${trip.resume}`,
        after: `${ctx.bounds.breakerValidReadings} valid new rounds and ${ctx.bounds.breakerCooldown}s cooldown`,
      },
      actual: {
        mode: m.mode,
        haltFlags: m.haltFlags,
        validNewRoundsSinceTrip: trip.accepted,
        trippedAt: trip.at,
        refreshAt: due.timestamp,
        refresh: due.label,
      },
      actors: [trip.by, due.from],
    },
  ];
}

/**
 * A halt anyone can cause (the breaker's) never keeps an account that is unhealthy at the price the guard
 * trusts from being liquidated for longer than a stated time: bad debt must not grow behind it. Judged from
 * what liquidators met: a liquidation of such an account refused under a breaker-only halt, once it has been
 * unhealthy under the halt for longer than the bound. (Time alone is no evidence: with no keeper about, nobody
 * was kept from anything.)
 */
export function judgeHaltedLiquidation(ctx: PromiseContext): Breach[] {
  const { snapshot, history: h, bounds } = ctx;
  const now = snapshot.market.timestamp;
  const breaches: Breach[] = [];
  for (const a of snapshot.accounts) {
    const k = a.account.toLowerCase() as `0x${string}`;
    if (a.state.size === 0n || !a.liquidatable) {
      h.unhealthySince.delete(k);
      continue;
    }
    const since = h.unhealthySince.get(k) ?? now;
    h.unhealthySince.set(k, since);
    const m = snapshot.market;
    if (m.mode !== HALTED || m.haltFlags !== HALT_BREAKER) continue;
    const attempted = (tx: (typeof ctx.txs)[number]) =>
      tx.call === "liquidate" && String(tx.input.account).toLowerCase() === k;
    if (ctx.txs.some(attempted)) ctx.exercise?.("halt-liquidation-bounded");
    // Only the time the halt has kept it from the liquidators counts, and only a refused attempt shows it.
    const blocked = h.halt && h.halt.at > since ? h.halt.at : since;
    const refused = ctx.txs.find(
      (tx) =>
        tx.call === "liquidate" &&
        tx.status !== "ok" &&
        String(tx.input.account).toLowerCase() === k &&
        tx.timestamp - blocked > bounds.unliquidatableSeconds,
    );
    if (!refused) continue;
    breaches.push({
      promise: "halt-liquidation-bounded",
      expected: { liquidatableWithin: `${bounds.unliquidatableSeconds}s`, account: ctx.role(a.account) },
      actual: {
        unhealthyFor: `${now - since}s`,
        unliquidatableUnderTheHaltFor: `${refused.timestamp - blocked}s`,
        refused: refused.error ?? refused.status,
        equity: a.equity,
        maintenanceRequired: a.maintenanceRequired,
        mode: m.mode,
        haltFlags: m.haltFlags,
      },
      actors: [a.account, refused.from, ...(h.trip ? [h.trip.by] : [])],
    });
  }
  return breaches;
}
