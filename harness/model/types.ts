/**
 * The protocol's enums and structs, shaped exactly as viem decodes them from the contracts (uint8 enums and
 * uint32 fields are `number`, wider integers `bigint`, addresses `0x…` strings), so that a chain read and the
 * model's figure compare field by field. Numeric enum values equal the Solidity declaration order.
 */
import type { Address } from "viem";

/** src/interfaces/IMarket.sol `Mode`, loosest to strictest. */
export const Mode = { Normal: 0, Cautious: 1, ReduceOnly: 2, Halted: 3, Settlement: 4 } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

/** src/interfaces/IMarket.sol `Action` (the permission table's rows). */
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

/** src/interfaces/IMarket.sol `Invariant` (the market's own checks, in the order it runs them). */
export const Invariant = { TokenConservation: 0, OpenInterest: 1, PoolCash: 2, NoNegativeMargin: 3 } as const;
export type Invariant = (typeof Invariant)[keyof typeof Invariant];

/** src/interfaces/IOracleGuard.sol `OracleClass`. */
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

/** The name of an enum value, for messages: `enumName(Mode, 3) === "Halted"`. */
export function enumName<values extends Record<string, number>>(values: values, value: number): string {
  return Object.keys(values).find((key) => values[key] === value) ?? `#${value}`;
}

/** IMarket `RiskParams` (uint64/uint128 fields: bigint). Fractions are WAD. */
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

/** IOracleGuard `OracleParams` (uint32 fields: number, uint64 fields: bigint). */
export type OracleParams = {
  maxAge: number;
  secondaryMaxAge: number;
  sequencerGracePeriod: number;
  jumpResetAfter: number;
  liquidationHorizon: number;
  divergenceBand: bigint;
  jumpBand: bigint;
  ewmaLambda: bigint;
  imFloor: bigint;
  mmFloor: bigint;
  kIM: bigint;
  kMM: bigint;
  mmMaxStep: bigint;
};

/** IOracleGuard `PriceReading`. */
export type PriceReading = { class: OracleClass; price: bigint; lastGoodPrice: bigint };

/** IMarket `MarginAccount`. */
export type MarginAccount = { margin: bigint; size: bigint; openNotional: bigint; fundingIndex: bigint };

/** IMarket `Aggregates`. */
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
};

/** src/Lens.sol `MarketView`. */
export type MarketView = {
  market: Address;
  pool: Address;
  collateral: Address;
  mode: Mode;
  oracleClass: OracleClass;
  price: bigint;
  priceUpdatedAt: bigint;
  initialMargin: bigint;
  maintenanceMargin: bigint;
  variance: bigint;
  fundingRate: bigint;
  fundingIndexNow: bigint;
  poolEquity: bigint;
  poolWithdrawable: bigint;
  collateralBalance: bigint;
  poolShareSupply: bigint;
  risk: RiskParams;
  agg: Aggregates;
  blockNumber: bigint;
  timestamp: bigint;
};

/** src/Lens.sol `AccountView`. */
export type AccountView = {
  account: Address;
  state: MarginAccount;
  equity: bigint;
  initialRequired: bigint;
  maintenanceRequired: bigint;
  notional: bigint;
  liquidatable: boolean;
  walletBalance: bigint;
  lpShares: bigint;
};

/** What `Lens.snapshot(market, accounts)` returns, named. */
export type Snapshot = { market: MarketView; accounts: readonly AccountView[] };

export const zeroAddress: Address = "0x0000000000000000000000000000000000000000";

/** Addresses are compared and stored lower-case. */
export const normalizeAddress = (address: string): Address => address.toLowerCase() as Address;
