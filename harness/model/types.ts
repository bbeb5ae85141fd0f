/**
 * The protocol's enums and structs, shaped exactly as viem decodes them from the contracts (uint8 enums and
 * uint32 fields are `number`, wider integers `bigint`, addresses `0x…` strings), so that a chain read and the
 * model's figure compare field by field. The enums and halt flags are generated from the Solidity sources
 * (wagmi.config.ts), never copied by hand.
 */
import type { Address } from "viem";
import { haltFlags, solidityEnums } from "../../src-ts/generated/abis.js";

/** src/interfaces/IMarket.sol `Mode`, loosest to strictest. */
export const Mode = solidityEnums.Mode;
export type Mode = (typeof Mode)[keyof typeof Mode];

/** src/interfaces/IMarket.sol `Action` (the permission table's rows). */
export const Action = solidityEnums.Action;
export type Action = (typeof Action)[keyof typeof Action];

/** src/interfaces/IMarket.sol `Cause` (why a market changed mode: `ModeChanged`'s third argument). */
export const Cause = solidityEnums.Cause;
export type Cause = (typeof Cause)[keyof typeof Cause];

/** src/libraries/HaltFlags.sol: the `haltFlags` bits, why a market is Halted. Only the breaker's clears itself. */
export const HaltFlag = {
  Breaker: haltFlags.BREAKER,
  Invariant: haltFlags.INVARIANT,
  Insolvent: haltFlags.INSOLVENT,
  Guardian: haltFlags.GUARDIAN,
} as const;

/** src/interfaces/IMarket.sol `Invariant` (the market's own checks, in the order it runs them). */
export const Invariant = solidityEnums.Invariant;
export type Invariant = (typeof Invariant)[keyof typeof Invariant];

/** src/interfaces/IOracleGuard.sol `OracleClass`. */
export const OracleClass = solidityEnums.OracleClass;
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

/** IMarket `SafetyParams` (uint8/uint32 fields: number, wider ones bigint). Fractions are WAD. */
export type SafetyParams = {
  insuranceFloor: bigint;
  maxHaltDuration: number;
  settlementWindow: number;
  breakerCooldown: number;
  breakerValidReadings: number;
  cautiousImMultiplier: bigint;
  cautiousOiFactor: bigint;
  warningBand: bigint;
};

/** IMarket `SettlementSnapshot`: written once by `settle()`, the last four fields at finalisation. */
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
  claimsOpenAt: bigint;
  deficit: bigint;
  traderRatio: bigint;
  lpAssets: bigint;
  finalised: boolean;
};

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
  claimsOpenAt: 0n,
  deficit: 0n,
  traderRatio: 0n,
  lpAssets: 0n,
  finalised: false,
});

/** IOracleGuard `OracleParams` (uint32 fields: number, uint64 fields: bigint). */
export type OracleParams = {
  maxAge: number;
  secondaryMaxAge: number;
  sequencerGracePeriod: number;
  jumpResetAfter: number;
  liquidationHorizon: number;
  divergenceBand: bigint;
  jumpBand: bigint;
  maxConfirmedJump: bigint;
  ewmaLambda: bigint;
  imFloor: bigint;
  mmFloor: bigint;
  kIM: bigint;
  kMM: bigint;
  mmMaxStep: bigint;
};

/** IOracleGuard `PriceReading`. */
export type PriceReading = { class: OracleClass; price: bigint; lastGoodPrice: bigint; roundId: bigint };

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
  idleMargin: bigint;
  /** The long side's part of netOpenNotional. */
  longOpenNotional: bigint;
  /** The long side's part of sizeTimesIndex. */
  longSizeTimesIndex: bigint;
};

/** src/Lens.sol `MarketView`. */
export type MarketView = {
  market: Address;
  pool: Address;
  collateral: Address;
  mode: Mode;
  haltFlags: number;
  haltedAt: bigint;
  guardian: Address;
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
  poolOutflowAvailable: bigint;
  collateralBalance: bigint;
  poolShareSupply: bigint;
  risk: RiskParams;
  agg: Aggregates;
  settlement: SettlementSnapshot;
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
