/**
 * The whole modelled system's state: the market's storage, the oracle guard's, the feeds', the collateral
 * token's and the LP share token's. Plain data (Maps and bigints), so a transaction can run on a clone and be
 * committed or dropped whole, as the EVM does.
 */
import type { Address } from "viem";
import type { Ledger } from "./ledger.js";
import type { OracleFeeds, OracleState } from "./oracle.js";
import type { Aggregates, MarginAccount, Mode, RiskParams } from "./types.js";

export type SystemAddresses = {
  market: Address;
  pool: Address;
  collateral: Address;
  oracle: Address;
  /** The owner of the market and the guard. */
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
};

export type SystemState = {
  /** block.timestamp of the transaction being modelled (and of views). */
  now: bigint;
  addresses: SystemAddresses;
  market: MarketStorage;
  oracle: OracleState;
  feeds: OracleFeeds;
  collateral: Ledger;
  /** The LiquidityPool's ERC-20 shares. */
  shares: Ledger;
};

/** A deep copy (Maps, nested objects and bigints included). */
export function cloneState(state: SystemState): SystemState {
  return structuredClone(state);
}

/** Replaces `target`'s contents with `source`'s (a committed inner frame), keeping `target`'s identity. */
export function commitState(target: SystemState, source: SystemState): void {
  Object.assign(target, source);
}
