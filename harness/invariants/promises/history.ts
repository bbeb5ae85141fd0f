import type { Address } from "viem";
import type { ChainSnapshot } from "../../system/system.js";

/** One accepted oracle round (the guard's PriceAccepted), at the block time it was accepted. */
export type AcceptedRound = { roundId: bigint; price: bigint; at: bigint; maintenanceMargin?: bigint };
/** A round a feed published (a successful setAnswer on the feed), with its updatedAt. */
export type PublishedRound = { answer: bigint; updatedAt: bigint; at: bigint };
/** An LP deposit the round-trip promises may pair with a later redeem. */
export type LpEntry = {
  block: bigint;
  at: bigint;
  assets: bigint;
  shares: bigint;
  /** The pool's outflow room and equity at the end of the step before the deposit (chain reads). */
  roomBefore: bigint;
  equityBefore: bigint;
  /** Net LP outflow (withdrawn - deposited) by everyone else since this deposit. */
  othersNet: bigint;
  /** How many rounds had been accepted when the capital came in. */
  roundsBefore: number;
};

/**
 * What the campaign promises remember between steps, built only from receipts, events and Lens reads (the
 * chain), and from what actors did — never from the model. Reset with the world for every run.
 */
export type CampaignHistory = {
  /** The previous step's snapshot (undefined before the first step: the baseline's is taken then). */
  last: ChainSnapshot | undefined;
  baselinePoolEquity: bigint | undefined;
  rounds: AcceptedRound[];
  lastAcceptedRound: bigint;
  published: { primary: PublishedRound[]; secondary: PublishedRound[] };
  /**
   * The breaker halt in progress: when it tripped, the mode it resumes to, the valid new rounds accepted since the
   * last bad round (`after`: the highest round seen bad, only rounds above it count).
   */
  trip: { at: bigint; resume: number; accepted: number; after: bigint; by: Address } | undefined;
  /** Causes of the tightenings in force since the market was last loosened, with who caused them. */
  tightenings: { cause: number; to: number; by: Address }[];
  /** Accounts unhealthy at the trusted price since (block time). */
  unhealthySince: Map<Address, bigint>;
  lpEntries: Map<Address, LpEntry[]>;
  /** Positions opened from flat: when, fees and PnL since (a close within a few blocks is a round trip). */
  opened: Map<
    Address,
    {
      block: bigint;
      at: bigint;
      roundsBefore: number;
      fees: bigint;
      realised: bigint;
      notional: bigint;
      /** The open's execution price, and the last accepted round's price then (the execution price before any). */
      price: bigint;
      roundPrice: bigint;
    }
  >;
  /** The current halt: when it began and why. */
  halt: { at: bigint; by: Address; cause: number } | undefined;
  /** The earliest snapshot since the last trade and the last price move at which an account was healthy. */
  healthyMark: Map<
    Address,
    {
      at: bigint;
      price: bigint;
      size: bigint;
      equity: bigint;
      maintenance: bigint;
      mm: bigint;
      /** How many rounds had been accepted then: later ones are the path the price took since. */
      rounds: number;
    }
  >;
  /** Per actor, collateral put in (margin deposits, LP deposits, the baseline LP seed) and taken out. */
  putIn: Map<Address, bigint>;
  takenOut: Map<Address, bigint>;
  /**
   * The market's profit windows (one room shared by every account): a window begins at a close that realised
   * profit (a positive PnL, or a capped one) at least `profitWindow` after the last began, as the market delimits
   * them. `count` is how many began.
   */
  profitWindows: { start: bigint; count: number } | undefined;
  /** The first transaction's time: how many profit windows of time an LP's take is judged over. */
  takesFrom: bigint | undefined;
  /** Accounts that ever bought pool shares: the LPs, whom the take promise's coalition of traders leaves out. */
  lps: Set<Address>;
  /**
   * The most the pool could have been worth at any point seen: its cash plus every trader's margin (at most
   * what every trader could lose to it), the peak over the snapshots plus the deposits made since.
   */
  poolValueCeiling: bigint;
  /** Profit withdrawn while a position was open: the price it existed at. */
  withdrewProfitAt: Map<Address, { price: bigint; at: bigint; amount: bigint }>;
  timelockDelay: bigint | undefined;
  /** The primary published (or changed) a round the guard has not accepted since. */
  primaryPending: boolean;
  /**
   * min over accepted rounds k of (horizon · MM_k − mmMaxStep · at_k), for the margin-rise promise; undefined
   * before the first round and after governance changed the guard's parameters (the promise stops judging).
   */
  mmRiseFloor: bigint | undefined;
  oracleParamsChanged: boolean;
};

export const emptyHistory = (): CampaignHistory => ({
  last: undefined,
  baselinePoolEquity: undefined,
  rounds: [],
  mmRiseFloor: undefined,
  oracleParamsChanged: false,
  lastAcceptedRound: 0n,
  published: { primary: [], secondary: [] },
  trip: undefined,
  tightenings: [],
  halt: undefined,
  unhealthySince: new Map(),
  lpEntries: new Map(),
  opened: new Map(),
  healthyMark: new Map(),
  putIn: new Map(),
  takenOut: new Map(),
  profitWindows: undefined,
  takesFrom: undefined,
  lps: new Set(),
  poolValueCeiling: 0n,
  withdrewProfitAt: new Map(),
  timelockDelay: undefined,
  primaryPending: false,
});

export const copyHistory = (h: CampaignHistory): CampaignHistory => structuredClone(h);

export function add(map: Map<Address, bigint>, account: Address, amount: bigint): void {
  const k = account.toLowerCase() as Address;
  map.set(k, (map.get(k) ?? 0n) + amount);
}
