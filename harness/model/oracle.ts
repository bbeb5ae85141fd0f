/**
 * src/OracleGuard.sol as a model: classification (same precedence as `_classify`), the last good price,
 * acceptance of a Valid reading once per round, the EWMA variance and the margin ratios that follow it.
 *
 * Volatility: the model computes variance, σ, IM and MM with a bit-exact port of solady's `lnWad`/`sqrtWad`
 * (math.ts), so it normally agrees with the chain to the wei. As a safety net, `checkVolatility` accepts the
 * chain's figures when they differ from the model's by at most a tight relative tolerance (default 1e-9, or a
 * few wei) and then ADOPTS the chain's exact values, so that every downstream figure (margin requirements,
 * liquidations) stays exact even if the port and solady ever part ways. `approximateAccept` is an independent
 * floating-point computation of the same update, used by the tests to check the exact port.
 */
import type { Address } from "viem";
import { latestRoundData, type MockAggregatorState, type SequencerState } from "./feeds.js";
import {
  dist,
  divWad,
  EvmRevert,
  expWad,
  lnWad,
  max,
  min,
  mulWad,
  sqrtWad,
  toUint256Wrapping,
  truncDiv,
  usub,
  WAD,
} from "./math.js";
import type { ModelEvent } from "./result.js";
import { FIRST_STEP, stepWithin } from "./steps.js";
import { OracleClass, type OracleParams, type PriceReading } from "./types.js";

export type OracleState = {
  owner: Address;
  /** 10^(18 - decimals) of the primary feed; of the secondary (0: no secondary). */
  primaryScale: bigint;
  secondaryScale: bigint;
  hasSecondary: boolean;
  hasSequencer: boolean;
  minAnswer: bigint;
  maxAnswer: bigint;
  params: OracleParams;
  lastGoodPrice: bigint;
  lastGoodAt: bigint;
  lastRoundId: bigint;
  variance: bigint;
  initialMargin: bigint;
  maintenanceMargin: bigint;
  /** `_pending`: the unconfirmed level beyond the jump band that new rounds have shown (round 0n: none). */
  pending: PendingLevel;
  /** `_stablePrice`/`_stableAt`: the stable price as it stood when the last round was accepted (block time). */
  stablePrice: bigint;
  stableAt: bigint;
  /** `_lpFrom`/`_lpStart`/`_lpUntil`: the LP price as it stood when the last round was accepted (block time), and when it reaches that round. */
  lpFrom: bigint;
  lpStart: bigint;
  lpUntil: bigint;
};

/** `PendingLevel`: its rounds' price range, the first round's updatedAt, and the last round that joined it. */
export type PendingLevel = { low: bigint; high: bigint; since: bigint; round: bigint };

export const NO_PENDING_LEVEL: PendingLevel = { low: 0n, high: 0n, since: 0n, round: 0n };

/** The feeds the guard reads. */
export type OracleFeeds = {
  primary: MockAggregatorState;
  secondary: MockAggregatorState | null;
  sequencer: SequencerState | null;
};

export type Classification = { class: OracleClass; price: bigint; roundId: bigint; updatedAt: bigint };

export type CreateOracleParameters = {
  owner: Address;
  feeds: OracleFeeds;
  minAnswer: bigint;
  maxAnswer: bigint;
  params: OracleParams;
  initialVariance: bigint;
  /** block.timestamp of the deployment. */
  timestamp: bigint;
};

/** OracleGuard's constructor, including its reverts. */
export function createOracle(parameters: CreateOracleParameters): OracleState {
  const { feeds, params } = parameters;
  const scaleOf = (feed: MockAggregatorState) => {
    // The contract's error also names the feed's address, which the model does not know: only the name matches.
    if (feed.decimals === 0 || feed.decimals > 18)
      throw new EvmRevert("OracleGuardBadDecimals", [feed.decimals]);
    return 10n ** BigInt(18 - feed.decimals);
  };
  const state: OracleState = {
    owner: parameters.owner,
    primaryScale: scaleOf(feeds.primary),
    secondaryScale: feeds.secondary ? scaleOf(feeds.secondary) : 0n,
    hasSecondary: feeds.secondary !== null,
    hasSequencer: feeds.sequencer !== null,
    minAnswer: parameters.minAnswer,
    maxAnswer: parameters.maxAnswer,
    params,
    lastGoodPrice: 0n,
    lastGoodAt: 0n,
    lastRoundId: 0n,
    variance: parameters.initialVariance,
    initialMargin: 0n,
    maintenanceMargin: 0n,
    pending: { ...NO_PENDING_LEVEL },
    stablePrice: 0n,
    stableAt: 0n,
    lpFrom: 0n,
    lpStart: 0n,
    lpUntil: 0n,
  };
  if (parameters.maxAnswer !== 0n && parameters.minAnswer >= parameters.maxAnswer) {
    throw new EvmRevert("OracleGuardBadParams");
  }
  validateParams(params);
  const first = classify(state, feeds, parameters.timestamp);
  if (first.class !== OracleClass.Valid)
    throw new EvmRevert("OracleGuardInitialReadingInvalid", [first.class]);
  state.lastGoodPrice = first.price;
  state.lastGoodAt = first.updatedAt;
  state.stablePrice = first.price;
  state.stableAt = parameters.timestamp;
  state.lpFrom = first.price;
  state.lpStart = parameters.timestamp;
  state.lpUntil = parameters.timestamp;
  state.lastRoundId = first.roundId;
  const sigma = sigmaOf(state, parameters.initialVariance);
  state.initialMargin = initialFor(state, sigma);
  state.maintenanceMargin = min(max(params.mmFloor, mulWad(params.kMM, sigma)), state.initialMargin);
  return state;
}

/** `setParams`'s step rule (`MarketParams.oracleSteps`): a bounded step per field; only the fields that may be zero
 * have a first step. */
export function validateParamsStep(o: OracleParams, p: OracleParams): void {
  const firstStep: Record<keyof OracleParams, bigint> = {
    maxAge: 0n,
    divergenceBand: 0n,
    jumpBand: 0n,
    maxConfirmedJump: 0n,
    imFloor: 0n,
    mmFloor: 0n,
    kIM: FIRST_STEP.sigmaMultiple,
    kMM: FIRST_STEP.sigmaMultiple,
    mmMaxStep: FIRST_STEP.mmRise,
    liquidationHorizon: 0n,
    secondaryMaxAge: FIRST_STEP.duration,
    sequencerGracePeriod: FIRST_STEP.duration,
    jumpResetAfter: 0n,
    ewmaLambda: 0n,
  };
  const keys = Object.keys(firstStep) as (keyof OracleParams)[];
  if (keys.some((key) => !stepWithin(BigInt(o[key]), BigInt(p[key]), firstStep[key]))) {
    throw new EvmRevert("OracleGuardStepTooLarge");
  }
}

/** `_setParams`'s validation. */
export function validateParams(p: OracleParams): void {
  if (
    p.maxAge === 0 ||
    p.ewmaLambda === 0n ||
    p.ewmaLambda >= WAD ||
    p.mmFloor === 0n ||
    p.mmFloor >= p.imFloor ||
    p.imFloor > WAD ||
    p.kMM > p.kIM ||
    p.jumpBand === 0n ||
    p.divergenceBand === 0n ||
    p.liquidationHorizon === 0 ||
    // A level must outlast at least one heartbeat to be accepted unconfirmed: never a single round.
    p.jumpResetAfter < p.maxAge ||
    // At least the band (hence nonzero): below it, confirmation would accept nothing.
    p.maxConfirmedJump < p.jumpBand
  ) {
    throw new EvmRevert("OracleGuardBadParams");
  }
}

/** `OracleGuard.MAX_PRICE`: the largest price (WAD) read as a price. */
export const MAX_PRICE = 10n ** 36n;

/** `_classify` at block time `now`. The order of the checks is the contract's. */
export function classify(o: OracleState, feeds: OracleFeeds, now: bigint): Classification {
  const p = o.params;
  const none = (cls: OracleClass, price = 0n, roundId = 0n, updatedAt = 0n): Classification => ({
    class: cls,
    price,
    roundId,
    updatedAt,
  });
  if (o.hasSequencer) {
    const sequencer = feeds.sequencer;
    if (!sequencer || sequencer.reverts) return none(OracleClass.SequencerDown);
    // A feed that never reported a status change (startedAt 0) says nothing about the sequencer being up.
    if (sequencer.status !== 0n || sequencer.startedAt === 0n) return none(OracleClass.SequencerDown);
    if (sequencer.startedAt > now || now - sequencer.startedAt < BigInt(p.sequencerGracePeriod)) {
      return none(OracleClass.GracePeriod);
    }
  }

  const data = latestRoundData(feeds.primary);
  if (data === "reverts") return none(OracleClass.Stale);
  const { roundId, answer, updatedAt } = data;
  if (answer <= 0n) return none(OracleClass.NonPositive, 0n, roundId, updatedAt);
  if (answer > MAX_PRICE / o.primaryScale) return none(OracleClass.AtBounds, 0n, roundId, updatedAt);
  const price = answer * o.primaryScale;
  if (updatedAt === 0n || updatedAt > now || now - updatedAt > BigInt(p.maxAge)) {
    return none(OracleClass.Stale, price, roundId, updatedAt);
  }
  if (roundId < o.lastRoundId) return none(OracleClass.Stale, price, roundId, updatedAt);
  // A newer round that is older in time than the last accepted one is out of order: not trusted.
  if (roundId > o.lastRoundId && updatedAt < o.lastGoodAt) {
    return none(OracleClass.Stale, price, roundId, updatedAt);
  }
  if (o.maxAnswer !== 0n && (answer <= o.minAnswer || answer >= o.maxAnswer)) {
    return none(OracleClass.AtBounds, price, roundId, updatedAt);
  }
  let confirmed = false;
  if (o.hasSecondary && feeds.secondary) {
    // The secondary only cross-checks: unreadable or stale, it is ignored.
    const second = latestRoundData(feeds.secondary);
    if (second !== "reverts") {
      const { answer: a2, updatedAt: u2 } = second;
      if (
        a2 > 0n &&
        a2 <= MAX_PRICE / o.secondaryScale &&
        u2 <= now &&
        now - u2 <= BigInt(p.secondaryMaxAge)
      ) {
        const price2 = a2 * o.secondaryScale;
        if (divWad(dist(price, price2), price2) > p.divergenceBand) {
          return none(OracleClass.Diverged, price, roundId, updatedAt);
        }
        confirmed = true;
      }
    }
  }
  const last = o.lastGoodPrice;
  // Beyond the band: accepted when a fresh secondary confirms it (and it is within maxConfirmedJump: both feeds
  // can be wrong together) or the level persisted; never for time alone.
  if (
    last !== 0n &&
    divWad(dist(price, last), last) > p.jumpBand &&
    !(confirmed && divWad(dist(price, last), last) <= p.maxConfirmedJump) &&
    !persisted(o, feeds, price, roundId, updatedAt)
  ) {
    return none(OracleClass.TooVolatile, price, roundId, updatedAt);
  }
  return none(OracleClass.Valid, price, roundId, updatedAt);
}

/** `OracleGuard.MAX_SKIPPED_ROUNDS`: unseen rounds a pending level may span, each read back with getRoundData. */
export const MAX_SKIPPED_ROUNDS = 16n;

/** `_persisted`: this new round completes the pending level (one band wide, unseen rounds included, ≥ jumpResetAfter). */
function persisted(
  o: OracleState,
  feeds: OracleFeeds,
  price: bigint,
  roundId: bigint,
  updatedAt: bigint,
): boolean {
  const q = o.pending;
  if (q.round === 0n || roundId <= q.round || updatedAt < q.since) return false;
  return joinLevel(o, feeds, q, price, roundId).ok && updatedAt - q.since >= BigInt(o.params.jumpResetAfter);
}

/** `_extendPending`: the round joins the level if the range stays within one band, else starts a new one. */
function extendPending(
  o: OracleState,
  feeds: OracleFeeds,
  price: bigint,
  roundId: bigint,
  updatedAt: bigint,
) {
  const q = o.pending;
  const joined = q.round === 0n ? { ok: false, low: 0n, high: 0n } : joinLevel(o, feeds, q, price, roundId);
  o.pending = joined.ok
    ? { low: joined.low, high: joined.high, since: q.since, round: roundId }
    : { low: price, high: price, since: updatedAt, round: roundId };
}

/** `_joinLevel`: the level's range with `price` and the unseen rounds in between; ok when within one band. */
function joinLevel(o: OracleState, feeds: OracleFeeds, q: PendingLevel, price: bigint, roundId: bigint) {
  let low = min(q.low, price);
  let high = max(q.high, price);
  if (roundId - q.round > MAX_SKIPPED_ROUNDS + 1n) return { ok: false, low, high };
  for (let r = q.round + 1n; r < roundId; r++) {
    // `_answerOf`: getRoundData; the mock answers zeros for a round it never had.
    const answer = feeds.primary.reverts ? 0n : (feeds.primary.rounds.get(r)?.answer ?? 0n);
    // Not a price: not positive, beyond MAX_PRICE, or at the aggregator's clamp (AtBounds).
    if (answer <= 0n || answer > MAX_PRICE / o.primaryScale) return { ok: false, low, high };
    if (o.maxAnswer !== 0n && (answer <= o.minAnswer || answer >= o.maxAnswer))
      return { ok: false, low, high };
    const a = answer * o.primaryScale;
    low = min(low, a);
    high = max(high, a);
  }
  return { ok: divWad(high - low, low) <= o.params.jumpBand, low, high };
}

/** `update()`: classify, accept a Valid reading of a new round, record a rejected one. */
export function update(o: OracleState, feeds: OracleFeeds, now: bigint, events: ModelEvent[]): PriceReading {
  const c = classify(o, feeds, now);
  if (c.class === OracleClass.Valid) {
    if (c.roundId > o.lastRoundId) accept(o, c.price, c.roundId, c.updatedAt, now, events);
  } else {
    if (c.class === OracleClass.TooVolatile && c.roundId > o.lastRoundId && c.roundId > o.pending.round) {
      extendPending(o, feeds, c.price, c.roundId, c.updatedAt);
    } else if (c.class === OracleClass.Diverged && c.roundId > o.lastRoundId) {
      // A fresh secondary contradicting a new round is evidence against any level the primary was building.
      o.pending = { ...NO_PENDING_LEVEL };
    }
    events.push({
      contract: "oracle",
      name: "ReadingRejected",
      args: { class: c.class, roundId: c.roundId, price: c.price },
    });
  }
  return { class: c.class, price: c.price, lastGoodPrice: o.lastGoodPrice, roundId: c.roundId };
}

/** `TradePricing.STABLE_RATE_BPS_PER_MINUTE`. */
export const STABLE_RATE_BPS_PER_MINUTE = 100n;

/** `TradePricing.stableAfter`: `stable`, `dt` seconds on, following `target` by at most the rate of the higher. */
export function stableAfter(stable: bigint, target: bigint, dt: bigint): bigint {
  const step = (max(stable, target) * dt * STABLE_RATE_BPS_PER_MINUTE) / (10_000n * 60n);
  if (target >= stable) return min(target, stable + step);
  return stable - min(stable - target, step);
}

/** `stablePrice()`'s price: the stable price at block time `now`. */
export function stablePrice(o: OracleState, now: bigint): bigint {
  return stableAfter(o.stablePrice, o.lastGoodPrice, now - o.stableAt);
}

/** `lpPrice()`'s price: linear from `lpFrom` at `lpStart` to the last good price at `lpUntil`. */
export function lpPrice(o: OracleState, now: bigint): bigint {
  const target = o.lastGoodPrice;
  if (now >= o.lpUntil) return target;
  const span = o.lpUntil - o.lpStart;
  const gone = now - o.lpStart;
  return target >= o.lpFrom
    ? o.lpFrom + ((target - o.lpFrom) * gone) / span
    : o.lpFrom - ((o.lpFrom - target) * gone) / span;
}

/**
 * `_lpSetOff`: the LP price sets off from where it stands toward the round being accepted, over as long as the
 * round's move took to build, and, if it has not reached the last round yet, no sooner than it was to reach that one.
 */
function lpSetOff(o: OracleState, built: bigint, now: bigint): void {
  const from = lpPrice(o, now);
  let until = now + built;
  if (from !== o.lastGoodPrice) until = max(until, o.lpUntil);
  o.lpFrom = from;
  o.lpStart = now;
  o.lpUntil = until;
}

/** `peek()`: what update would return, without accepting anything. */
export function peek(o: OracleState, feeds: OracleFeeds, now: bigint): PriceReading {
  const c = classify(o, feeds, now);
  return {
    class: c.class,
    price: c.price,
    lastGoodPrice: c.class === OracleClass.Valid ? c.price : o.lastGoodPrice,
    roundId: c.roundId,
  };
}

/**
 * `_accept`: EWMA of squared log-returns per second, weighted by elapsed time (the old variance keeps
 * λ^(dt / horizon)); IM at once, MM by at most mmMaxStep·min(dt/horizon, 1) and only on a round that raised
 * the variance, MM ≤ IM.
 * A second round with the same `updatedAt` moves the price only.
 */
export function accept(
  o: OracleState,
  price: bigint,
  roundId: bigint,
  updatedAt: bigint,
  now: bigint,
  events: ModelEvent[],
) {
  const p = o.params;
  // The stable price so far followed the previous round; from now it follows this one.
  o.stablePrice = stablePrice(o, now);
  o.stableAt = now;
  lpSetOff(o, updatedAt - o.lastGoodAt, now);
  if (updatedAt === o.lastGoodAt) {
    // Another round in the same second: the price is accepted, but a return over zero time says nothing
    // about volatility (no variance sample, margins unchanged).
    o.lastGoodPrice = price;
    o.lastRoundId = roundId;
    o.pending = { ...NO_PENDING_LEVEL };
    events.push({
      contract: "oracle",
      name: "PriceAccepted",
      args: {
        roundId,
        price,
        variance: o.variance,
        initialMargin: o.initialMargin,
        maintenanceMargin: o.maintenanceMargin,
      },
    });
    return;
  }
  // A ratio that rounds to zero counts as the smallest ratio rather than reverting in lnWad.
  const r = lnWad(max(divWad(price, o.lastGoodPrice), 1n));
  // Classification guarantees updatedAt > lastGoodAt here (an older newer round is Stale).
  const dt = usub(updatedAt, o.lastGoodAt);
  // uint256(r * r) / WAD / dt: r * r is non-negative and far below int256's range for any WAD ratio.
  const sample = truncDiv(truncDiv(toUint256Wrapping(r * r), WAD), dt);
  const w = decay(p, dt);
  const previous = o.variance;
  const v = (w * previous + (WAD - w) * sample) / WAD;
  o.variance = v;

  const sigma = sigmaOf(o, v);
  const im = initialFor(o, sigma);
  const target = max(p.mmFloor, mulWad(p.kMM, sigma));
  let mm = o.maintenanceMargin;
  if (target <= mm) mm = target;
  // At most mmMaxStep per liquidationHorizon of feed time, however many rounds carry it.
  else if (v > previous)
    mm = min(target, mm + min(p.mmMaxStep, (p.mmMaxStep * dt) / BigInt(p.liquidationHorizon)));
  mm = min(mm, im);
  o.initialMargin = im;
  o.maintenanceMargin = mm;
  o.lastGoodPrice = price;
  o.lastGoodAt = updatedAt;
  o.lastRoundId = roundId;
  o.pending = { ...NO_PENDING_LEVEL };
  events.push({
    contract: "oracle",
    name: "PriceAccepted",
    args: { roundId, price, variance: v, initialMargin: im, maintenanceMargin: mm },
  });
}

/** `setParams`'s tail: new floors and multipliers apply at once (MM still moves by at most one step). */
export function applyParamsToMargins(o: OracleState): void {
  const p = o.params;
  const sigma = sigmaOf(o, o.variance);
  const im = initialFor(o, sigma);
  const target = max(p.mmFloor, mulWad(p.kMM, sigma));
  const mm = o.maintenanceMargin;
  o.initialMargin = im;
  o.maintenanceMargin = min(target > mm ? min(target, mm + p.mmMaxStep) : target, im);
}

/** `_decay`: λ^(dt / horizon) = expWad(lnWad(λ) · dt / horizon), Solidity's truncating signed division. */
export function decay(p: OracleParams, dt: bigint): bigint {
  return expWad(truncDiv(lnWad(p.ewmaLambda) * dt, BigInt(p.liquidationHorizon)));
}

function sigmaOf(o: OracleState, v: bigint): bigint {
  return sqrtWad(v * BigInt(o.params.liquidationHorizon));
}

function initialFor(o: OracleState, sigma: bigint): bigint {
  return min(max(o.params.imFloor, mulWad(o.params.kIM, sigma)), WAD);
}

/* VOLATILITY CROSS-CHECK */

export type VolatilityFigures = { variance: bigint; initialMargin: bigint; maintenanceMargin: bigint };

export type CheckVolatilityParameters = {
  /** Largest accepted |model - chain| / max(|chain|, 1). Default 1e-9. */
  relativeTolerance?: number | undefined;
  /** Differences of at most this many wei are always accepted. Default 4. */
  absoluteTolerance?: bigint | undefined;
};

export type CheckVolatilityReturnType =
  | { ok: true; exact: boolean; adopted: VolatilityFigures }
  | { ok: false; mismatches: { field: keyof VolatilityFigures; model: bigint; chain: bigint }[] };

/**
 * Compares the chain's variance and margin ratios with the model's. Within tolerance, the chain's exact values
 * are adopted (written into `o`); beyond it, nothing changes and the mismatches are returned.
 */
export function checkVolatility(
  o: OracleState,
  chain: VolatilityFigures,
  parameters: CheckVolatilityParameters = {},
): CheckVolatilityReturnType {
  const relative = parameters.relativeTolerance ?? 1e-9;
  const absolute = parameters.absoluteTolerance ?? 4n;
  const fields = ["variance", "initialMargin", "maintenanceMargin"] as const;
  const mismatches: { field: keyof VolatilityFigures; model: bigint; chain: bigint }[] = [];
  let exact = true;
  for (const field of fields) {
    const m = o[field];
    const c = chain[field];
    if (m === c) continue;
    exact = false;
    const diff = m > c ? m - c : c - m;
    const scale = c < 0n ? -c : c;
    // Compare diff / scale <= relative in integers: diff * 1e18 <= relative * 1e18 * scale.
    const allowed = (BigInt(Math.round(relative * 1e18)) * (scale > 1n ? scale : 1n)) / WAD;
    if (diff > absolute && diff > allowed) mismatches.push({ field, model: m, chain: c });
  }
  if (mismatches.length > 0) return { ok: false, mismatches };
  o.variance = chain.variance;
  o.initialMargin = chain.initialMargin;
  o.maintenanceMargin = chain.maintenanceMargin;
  return { ok: true, exact, adopted: { ...chain } };
}

/**
 * The same update as `accept` (for a round later in time than the last accepted one), computed
 * independently in floating point (Math.log, Math.sqrt). Only for cross-checking the exact port; never used
 * for the model's state.
 */
export function approximateAccept(
  o: Pick<OracleState, "params" | "variance" | "maintenanceMargin" | "lastGoodPrice" | "lastGoodAt">,
  price: bigint,
  updatedAt: bigint,
): { variance: number; sigma: number; initialMargin: number; maintenanceMargin: number } {
  const p = o.params;
  const w = (x: bigint) => Number(x) / 1e18;
  const r = Math.log(Number(price) / Number(o.lastGoodPrice));
  const dt = Number(updatedAt - o.lastGoodAt);
  const decayed = w(p.ewmaLambda) ** (dt / p.liquidationHorizon);
  const variance = decayed * w(o.variance) + (1 - decayed) * ((r * r) / dt);
  const sigma = Math.sqrt(variance * p.liquidationHorizon);
  const im = Math.min(Math.max(w(p.imFloor), w(p.kIM) * sigma), 1);
  const target = Math.max(w(p.mmFloor), w(p.kMM) * sigma);
  const previous = w(o.maintenanceMargin);
  let mm = previous;
  if (target <= previous) mm = target;
  else if (variance > w(o.variance))
    mm = Math.min(target, previous + w(p.mmMaxStep) * Math.min(1, dt / p.liquidationHorizon));
  mm = Math.min(mm, im);
  return { variance, sigma, initialMargin: im, maintenanceMargin: mm };
}
