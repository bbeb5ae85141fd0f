import type { Address } from "viem";
import type { ChainSnapshot } from "../../system/system.js";
import type { ObservedEvent, ObservedTx } from "../facts.js";
import type { CampaignHistory } from "./history.js";

/**
 * The stated bounds the campaign promises hold the protocol to. The protocol's own parameters are read
 * from the chain when the world is built; the others are parameters until the protocol issues on sustained
 * manipulation and LP economics set them (then they move here from the defaults below).
 */
export type PromiseBounds = {
  /** From the chain: the breaker's hysteresis (safetyParams). */
  breakerValidReadings: number;
  breakerCooldown: bigint;
  /** From the chain: the owner timelock's delay at the baseline (a later updateDelay is followed). */
  timelockDelay: bigint;
  /** From the chain: the pool's outflow limiter (WAD fraction per window) and its window (seconds). */
  maxOutflow: bigint;
  outflowWindow: bigint;
  /** From the chain: the guard's bands and ages. */
  jumpBand: bigint;
  /** From the chain: the largest jump a fresh secondary's confirmation alone accepts (beyond: persistence too). */
  maxConfirmedJump: bigint;
  divergenceBand: bigint;
  secondaryMaxAge: bigint;
  jumpResetAfter: bigint;
  /** From the chain: the guard's maxAge, mmMaxStep (WAD) and liquidationHorizon (seconds). */
  maxAge: bigint;
  mmMaxStep: bigint;
  liquidationHorizon: bigint;
  /** "Within a few blocks": a deposit or an open followed by its redeem or close this close is a round trip. */
  roundTripBlocks: bigint;
  /**
   * A trader's round trip is also this short in time (a few 12 s blocks): blocks apart by a warp are a position
   * held through the market, not a trade around one round it saw coming.
   */
  roundTripSeconds: bigint;
  /** What a round trip around one event may earn beyond its holding-time share, in bps of its capital. */
  roundTripToleranceBps: bigint;
  /**
   * How far others' outflow room may fall short of what they had, in bps of that room, after capital came back
   * within `roundTripBlocks`, beyond the share the limiter states for capital that crossed a window boundary
   * (`(1 − maxOutflow)` × the fraction of the window it stayed × its size, judged by the promise itself).
   */
  outflowReturnBps: bigint;
  /**
   * A trader's open→close around an oracle round earns at most the part of the price move (open to close, in bps)
   * beyond this, of the notional it opened: the feed's deviation threshold (50 bps), which the immediacy premium of
   * atomic trades prices, plus the other leg's trading fee (10 bps). Next-price orders execute at the round after
   * their commit, so a round seen coming gives them nothing to take.
   */
  frontRunThresholdBps: bigint;
  /** The oldest round (seconds) a risk-increasing trade may execute at (the protocol's TradePricing.MAX_TRADE_AGE). */
  maxTradeAge: bigint;
  /** How long an account unhealthy at the trusted price may stay unliquidatable under a halt anyone can cause. */
  unliquidatableSeconds: bigint;
  /** Prices within this many bps of each other are "no further price move". */
  samePriceBps: bigint;
  /**
   * The most one actor, with any number of accounts, may take out of the pool per profit window of the market, in
   * bps of the most the pool could have been worth (the protocol's MarketAccounting.MAX_PROFIT_SHARE, one room
   * per window that every close shares).
   */
  maxTakeBps: bigint;
  /** The protocol's MarketAccounting.PROFIT_WINDOW (seconds). */
  profitWindow: bigint;
  /** A jump beyond the band is a level once the primary has published it for this long (or a feed confirms). */
  persistSeconds: bigint;
};

export const statedBounds = {
  roundTripBlocks: 10n,
  roundTripSeconds: 120n,
  roundTripToleranceBps: 1n,
  outflowReturnBps: 50n,
  frontRunThresholdBps: 60n,
  maxTradeAge: 300n,
  unliquidatableSeconds: 6n * 3_600n,
  samePriceBps: 50n,
  maxTakeBps: 1_000n,
  profitWindow: 86_400n,
} as const;

/** What every campaign promise sees after a step. */
export type PromiseContext = {
  txs: readonly ObservedTx[];
  snapshot: ChainSnapshot;
  history: CampaignHistory;
  bounds: PromiseBounds;
  step: number;
  addresses: { market: Address; timelock: Address; guardian: Address };
  /** An address's role ("t3", "griefer", "keeper k0"), for artifacts people read. */
  role: (account: Address) => string;
  /** The actor that controls an account, where one actor controls several (default: each account alone). */
  actorOf?: ((account: Address) => string) | undefined;
  /** Called when a promise has a case to judge, whether or not it holds (behaviour coverage counts them). */
  exercise?: ((promise: string) => void) | undefined;
};

/** A broken promise: its name, expected vs actual, and the actors involved. */
export type Breach = {
  promise: string;
  expected: unknown;
  actual: unknown;
  actors: Address[];
};

export const WAD = 10n ** 18n;
export const same = (a: Address, b: Address) => a.toLowerCase() === b.toLowerCase();
export const abs = (x: bigint) => (x < 0n ? -x : x);
export const key = (a: Address): Address => a.toLowerCase() as Address;

export function events(tx: ObservedTx, source: "market" | "guard" | "pool", name: string): ObservedEvent[] {
  return tx[source].filter((e) => e.eventName === name);
}

export const arg = <T>(e: ObservedEvent, name: string): T => e.args[name] as T;

/** |a - b| / b in bps (b > 0). */
export const moveBps = (a: bigint, b: bigint): bigint => (b === 0n ? 0n : (abs(a - b) * 10_000n) / b);

export function accountIn(snapshot: ChainSnapshot | undefined, account: Address) {
  return snapshot?.accounts.find((a) => same(a.account, account));
}
