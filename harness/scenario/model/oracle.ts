// The oracle guard and its mock feeds, as functions over the model state (OracleGuard.sol, MockAggregator.sol).
import { divWad, dist, lnWad, max, min, mulWad, sqrtWad, WAD } from "./math.js";
import { type FeedState, type GuardState, type ModelState, OracleClass } from "./types.js";

export type Reading = { oracleClass: OracleClass; price: bigint; roundId: bigint; updatedAt: bigint };

/** MockAggregator.latestRoundData: the override round if set, else the latest; unknown rounds read as zero. */
export function latestRoundData(feed: FeedState): { roundId: bigint; answer: bigint; updatedAt: bigint } {
  const roundId = feed.reportedOverride === 0n ? feed.latestRound : feed.reportedOverride;
  const round = feed.rounds.get(roundId);
  return { roundId, answer: round?.answer ?? 0n, updatedAt: round?.updatedAt ?? 0n };
}

/** MockAggregator._push: clamps to the feed's bounds and opens a new round. */
export function pushAnswer(feed: FeedState, answer: bigint, updatedAt: bigint): void {
  const clamped =
    answer < feed.minAnswer ? feed.minAnswer : answer > feed.maxAnswer ? feed.maxAnswer : answer;
  feed.latestRound += 1n;
  feed.rounds.set(feed.latestRound, { answer: clamped, updatedAt });
}

/** OracleGuard._classify at block time `now` (no sequencer feed is deployed). */
export function classify(s: ModelState, now: bigint): Reading {
  const g = s.guard;
  const p = g.params;
  const { roundId, answer, updatedAt } = latestRoundData(s.primary);
  if (answer <= 0n) return { oracleClass: OracleClass.NonPositive, price: 0n, roundId, updatedAt };
  const price = answer * s.primary.scale;
  const reading = (oracleClass: OracleClass): Reading => ({ oracleClass, price, roundId, updatedAt });
  if (updatedAt === 0n || updatedAt > now || now - updatedAt > p.maxAge) return reading(OracleClass.Stale);
  if (roundId < g.lastRoundId) return reading(OracleClass.Stale);
  if (g.maxAnswer !== 0n && (answer <= g.minAnswer || answer >= g.maxAnswer))
    return reading(OracleClass.AtBounds);
  const second = latestRoundData(s.secondary);
  if (second.answer > 0n && second.updatedAt <= now && now - second.updatedAt <= p.secondaryMaxAge) {
    const price2 = second.answer * s.secondary.scale;
    if (divWad(dist(price, price2), price2) > p.divergenceBand) return reading(OracleClass.Diverged);
  }
  const last = g.lastGoodPrice;
  if (last !== 0n && divWad(dist(price, last), last) > p.jumpBand && now - g.lastGoodAt < p.jumpResetAfter) {
    return reading(OracleClass.TooVolatile);
  }
  return reading(OracleClass.Valid);
}

/** OracleGuard.update: classify, accept a Valid new round. Returns (class, price, lastGoodPrice after). */
export function update(
  s: ModelState,
  now: bigint,
): { oracleClass: OracleClass; price: bigint; lastGood: bigint } {
  const r = classify(s, now);
  if (r.oracleClass === OracleClass.Valid && r.roundId > s.guard.lastRoundId) {
    accept(s.guard, r.price, r.roundId, r.updatedAt);
  }
  return { oracleClass: r.oracleClass, price: r.price, lastGood: s.guard.lastGoodPrice };
}

/** OracleGuard._accept: EWMA of squared log-returns per second, then the margin ratios. */
function accept(g: GuardState, price: bigint, roundId: bigint, updatedAt: bigint): void {
  const p = g.params;
  const r = lnWad(divWad(price, g.lastGoodPrice));
  const dt = updatedAt > g.lastGoodAt ? updatedAt - g.lastGoodAt : 1n;
  const sample = (r * r) / WAD / dt;
  const v = (p.ewmaLambda * g.variance + (WAD - p.ewmaLambda) * sample) / WAD;
  g.variance = v;
  const sigma = sigmaOf(g, v);
  const im = initialFor(g, sigma);
  const target = max(p.mmFloor, mulWad(p.kMM, sigma));
  let mm = g.maintenanceMargin;
  mm = target > mm ? min(target, mm + p.mmMaxStep) : target;
  mm = min(mm, im);
  g.initialMargin = im;
  g.maintenanceMargin = mm;
  g.lastGoodPrice = price;
  g.lastGoodAt = updatedAt;
  g.lastRoundId = roundId;
}

const sigmaOf = (g: GuardState, v: bigint): bigint => sqrtWad(v * g.params.liquidationHorizon);
const initialFor = (g: GuardState, sigma: bigint): bigint =>
  min(max(g.params.imFloor, mulWad(g.params.kIM, sigma)), WAD);
