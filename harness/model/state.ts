/**
 * The whole modelled system's state: the market's storage, the oracle guard's, the pool's limiter, the
 * feeds', the collateral token's and the LP share token's. Plain data (Maps, Sets and bigints), so a
 * transaction can run on a clone and be committed or dropped whole, as the EVM does.
 */
import type { Address } from "viem";
import type { Ledger } from "./ledger.js";
import type { OracleFeeds, OracleState } from "./oracle.js";
import type {
  Aggregates,
  MarginAccount,
  Mode,
  RiskParams,
  SafetyParams,
  SettlementSnapshot,
} from "./types.js";

export type SystemAddresses = {
  market: Address;
  pool: Address;
  collateral: Address;
  oracle: Address;
  /** The owner of the market (a dev account, or the TimelockController in a deployed system). */
  owner: Address;
};

export type MarketStorage = {
  /** 10^(36 - collateral decimals): size (WAD) * price (WAD) / valueDivisor = collateral units. */
  valueDivisor: bigint;
  /** address(0) until setPool. */
  pool: Address;
  mode: Mode;
  risk: RiskParams;
  agg: Aggregates;
  accounts: Map<Address, MarginAccount>;
  /** `_profitWindow`: the realised profit the market paid all winners in the window that began at `start`. */
  profitWindow: { start: bigint; paid: bigint };
  guardian: Address;
  safety: SafetyParams;
  haltedAt: bigint;
  /** HaltFlag bits. */
  haltFlags: number;
  /** `_resumeMode`, `_validStreak` (uint8), `_streakRound`, `_breakerAt`: the breaker's reset state. */
  resumeMode: Mode;
  validStreak: number;
  streakRound: bigint;
  breakerAt: bigint;
  settlement: SettlementSnapshot;
  settlementPaid: bigint;
  /** `claimed[account]` (lower-case addresses). */
  claimed: Set<Address>;
  /** `_book.immediacyFee`: the premium atomic trades pay on top of the trading fee (WAD). */
  immediacyFee: bigint;
  /** `_book.orders[account]` (lower-case addresses): pending next-price orders (MarketOrders). */
  orders: Map<Address, ModelOrder>;
};

/** A committed next-price order: it executes at primary round `afterRound + 1` only. */
export type ModelOrder = {
  sizeDelta: bigint;
  afterRound: bigint;
  committedAt: bigint;
  /** It reduced the position when committed: it never opens, adds or flips. */
  reduceOnly: boolean;
  priceLimit: bigint;
};

/** LiquidityPool's own storage beyond its ERC-20 shares: the outflow limiter. */
export type PoolStorage = {
  outflowWindow: bigint;
  maxOutflow: bigint;
  windowStart: bigint;
  /** The equity the window is based on, without the young capital carried into it. */
  windowBase: bigint;
  /** Assets in and out of the pool in the window. */
  windowIn: bigint;
  windowOut: bigint;
  /** Room carried in from the previous window's young net inflow. */
  windowCarry: bigint;
  /** Σ inflow (outflow) × its offset into the window (seconds). */
  windowInAge: bigint;
  windowOutAge: bigint;
  /** `_locks[holder]` (lower-case addresses): young shares and when they free up. */
  locks: Map<Address, ShareLock>;
};

/** One holder's young shares, locked (neither redeemable nor transferable) until `until`. */
export type ShareLock = { shares: bigint; until: bigint };

export type SystemState = {
  /** block.timestamp of the transaction being modelled (and of views). */
  now: bigint;
  addresses: SystemAddresses;
  /**
   * `getMinDelay()` of the market's owner when it is a TimelockController, else null (the exit-window check
   * of setSafetyParams is skipped for an owner that is not a timelock).
   */
  ownerMinDelay: bigint | null;
  market: MarketStorage;
  oracle: OracleState;
  pool: PoolStorage;
  feeds: OracleFeeds;
  collateral: Ledger;
  /** The LiquidityPool's ERC-20 shares. */
  shares: Ledger;
};

/**
 * A deep copy (Maps, Sets, nested records and bigints included). Every transaction the model runs copies
 * the state, so the copy follows the state's shape instead of walking it generically (structuredClone's
 * serialisation, then a generic walk, were the model's largest cost per engine step): every record below
 * is flat (bigints, numbers, strings, booleans), so one spread copies it, and the feeds' rounds and the
 * ledgers' allowance rows, read-only, are shared. state.test.ts checks that the copy equals structuredClone's and shares no other object with
 * the original, which fails if a nested record is added here without its own copy.
 */
export function cloneState(state: SystemState): SystemState {
  const { market: m, oracle: o, pool: p, feeds: f } = state;
  return {
    ...state,
    addresses: { ...state.addresses },
    market: {
      ...m,
      risk: { ...m.risk },
      agg: { ...m.agg },
      accounts: copyRecords(m.accounts),
      profitWindow: { ...m.profitWindow },
      safety: { ...m.safety },
      settlement: { ...m.settlement },
      claimed: new Set(m.claimed),
      orders: copyRecords(m.orders),
    },
    oracle: { ...o, params: { ...o.params }, pending: { ...o.pending } },
    pool: { ...p, locks: copyRecords(p.locks) },
    feeds: {
      primary: copyFeed(f.primary),
      secondary: f.secondary === null ? null : copyFeed(f.secondary),
      sequencer: f.sequencer === null ? null : { ...f.sequencer },
    },
    collateral: copyLedger(state.collateral),
    shares: copyLedger(state.shares),
  };
}

/** A map of flat records. */
function copyRecords<K, V extends object>(map: ReadonlyMap<K, V>): Map<K, V> {
  const copy = new Map<K, V>();
  for (const [k, v] of map) copy.set(k, { ...v });
  return copy;
}

/** A feed: its rounds are read-only (feeds.ts `Round`), so the copy's map shares them. */
function copyFeed(feed: OracleFeeds["primary"]): OracleFeeds["primary"] {
  return { ...feed, rounds: new Map(feed.rounds) };
}

/** A ledger: its allowance rows are replaced, never changed (ledger.ts), so the copy's map shares them. */
function copyLedger(ledger: Ledger): Ledger {
  return { ...ledger, balances: new Map(ledger.balances), allowances: new Map(ledger.allowances) };
}

/** Replaces `target`'s contents with `source`'s (a committed inner frame), keeping `target`'s identity. */
export function commitState(target: SystemState, source: SystemState): void {
  Object.assign(target, source);
}
