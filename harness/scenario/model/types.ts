import type { Address } from "viem";

// Enum values as the contracts number them (IMarket.sol, IOracleGuard.sol).
export const Mode = { Normal: 0, Cautious: 1, ReduceOnly: 2, Halted: 3, Settlement: 4 } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];
export const modeNames = ["Normal", "Cautious", "ReduceOnly", "Halted", "Settlement"] as const;

export const Action = {
  Deposit: 0,
  Withdraw: 1,
  Increase: 2,
  Reduce: 3,
  Liquidate: 4,
  LpDeposit: 5,
  LpWithdraw: 6,
} as const;
export type Action = (typeof Action)[keyof typeof Action];

export const OracleClass = {
  Valid: 0,
  Stale: 1,
  NonPositive: 2,
  AtBounds: 3,
  Diverged: 4,
  TooVolatile: 5,
  SequencerDown: 6,
  GracePeriod: 7,
} as const;
export type OracleClass = (typeof OracleClass)[keyof typeof OracleClass];
export const oracleClassNames = [
  "Valid",
  "Stale",
  "NonPositive",
  "AtBounds",
  "Diverged",
  "TooVolatile",
  "SequencerDown",
  "GracePeriod",
] as const;

export const Invariant = { TokenConservation: 0, OpenInterest: 1, PoolCash: 2, NoNegativeMargin: 3 } as const;
export const HaltFlag = { Breaker: 1, Invariant: 2, Insolvent: 4, Guardian: 8 } as const;

export type RiskParams = {
  tradingFee: bigint;
  insuranceFeeShare: bigint;
  liquidationPenalty: bigint;
  keeperRewardShare: bigint;
  maxFundingRate: bigint;
  minBacking: bigint;
  skewScale: bigint;
  maxOpenInterest: bigint;
};

export type SafetyParams = {
  insuranceFloor: bigint;
  maxHaltDuration: bigint;
  settlementWindow: bigint;
  breakerCooldown: bigint;
  breakerValidReadings: bigint;
  cautiousImMultiplier: bigint;
  cautiousOiFactor: bigint;
  warningBand: bigint;
};

export type OracleParams = {
  maxAge: bigint;
  secondaryMaxAge: bigint;
  sequencerGracePeriod: bigint;
  jumpResetAfter: bigint;
  liquidationHorizon: bigint;
  divergenceBand: bigint;
  jumpBand: bigint;
  ewmaLambda: bigint;
  imFloor: bigint;
  mmFloor: bigint;
  kIM: bigint;
  kMM: bigint;
  mmMaxStep: bigint;
};

export type MarginAccount = { margin: bigint; size: bigint; openNotional: bigint; fundingIndex: bigint };

export type Aggregates = {
  longOpenInterest: bigint;
  shortOpenInterest: bigint;
  netSize: bigint;
  netOpenNotional: bigint;
  sizeTimesIndex: bigint;
  totalMargin: bigint;
  poolCash: bigint;
  insurance: bigint;
  fundingIndex: bigint;
  lastFundingTime: bigint;
  idleMargin: bigint;
};

export type SettlementSnapshot = {
  price: bigint;
  fundingIndex: bigint;
  longOpenInterest: bigint;
  shortOpenInterest: bigint;
  insurance: bigint;
  poolEquity: bigint;
  assets: bigint;
  idleMargin: bigint;
  traderEquity: bigint;
  poolShareSupply: bigint;
  settledAt: bigint;
  deficit: bigint;
  traderRatio: bigint;
  lpAssets: bigint;
  finalised: boolean;
};

export type FeedRound = { answer: bigint; updatedAt: bigint };

/** A MockAggregator: rounds by id, the reported-round override, and its clamp. */
export type FeedState = {
  scale: bigint; // 10 ** (18 - decimals)
  latestRound: bigint;
  reportedOverride: bigint;
  rounds: Map<bigint, FeedRound>;
  minAnswer: bigint;
  maxAnswer: bigint;
};

export type GuardState = {
  params: OracleParams;
  minAnswer: bigint; // the guard's immutable clamp (not the feed's)
  maxAnswer: bigint;
  lastGoodPrice: bigint;
  lastGoodAt: bigint;
  lastRoundId: bigint;
  variance: bigint;
  initialMargin: bigint;
  maintenanceMargin: bigint;
};

export type MarketState = {
  mode: Mode;
  haltFlags: number;
  haltedAt: bigint;
  resumeMode: Mode;
  validStreak: bigint;
  streakRound: bigint;
  breakerAt: bigint;
  risk: RiskParams;
  safety: SafetyParams;
  agg: Aggregates;
  accounts: Map<Address, MarginAccount>;
  settlement: SettlementSnapshot;
  settlementPaid: bigint;
  claimed: Set<Address>;
};

export type PoolState = {
  supply: bigint;
  shares: Map<Address, bigint>;
  windowStart: bigint;
  windowBase: bigint;
  windowNet: bigint;
  outflowWindow: bigint;
  maxOutflow: bigint;
};

/** Addresses the model needs to tell roles apart. */
export type ModelAddresses = {
  market: Address;
  pool: Address;
  guardian: Address;
  timelock: Address;
};

/** The whole modelled world: one plain object, so a transaction is a structuredClone and a swap. */
export type ModelState = {
  addresses: ModelAddresses;
  now: bigint; // timestamp of the latest block
  primary: FeedState;
  secondary: FeedState;
  guard: GuardState;
  market: MarketState;
  pool: PoolState;
  /** Collateral balances (wallets, market, pool). */
  tokens: Map<Address, bigint>;
};

export const zeroAccount = (): MarginAccount => ({
  margin: 0n,
  size: 0n,
  openNotional: 0n,
  fundingIndex: 0n,
});

export const emptySettlement = (): SettlementSnapshot => ({
  price: 0n,
  fundingIndex: 0n,
  longOpenInterest: 0n,
  shortOpenInterest: 0n,
  insurance: 0n,
  poolEquity: 0n,
  assets: 0n,
  idleMargin: 0n,
  traderEquity: 0n,
  poolShareSupply: 0n,
  settledAt: 0n,
  deficit: 0n,
  traderRatio: 0n,
  lpAssets: 0n,
  finalised: false,
});
