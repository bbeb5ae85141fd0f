/**
 * src/LiquidityPool.sol as a model: OpenZeppelin ERC-4626 (v5) with `_decimalsOffset() = 6`, whose
 * `totalAssets` is the market's pool equity floored at zero, and whose entry points refresh the market first.
 *
 *   shares = assets * (supply + 10^6) / (totalAssets + 1)    (floor on deposit/convert, ceil on withdraw)
 *   assets = shares * (totalAssets + 1) / (supply + 10^6)    (floor on redeem/convert, ceil on mint)
 *
 * The market's side (refresh, poolEquity, the hooks) is passed in as `PoolMarket`, so this module does not
 * depend on market.ts. Every figure is read from `s` at the moment the contract reads it: a hook may replace
 * `s`'s ledgers (a committed inner frame), so never hold on to them across a hook call.
 */
import type { Address } from "viem";
import {
  balanceOf,
  burn,
  allowance as ledgerAllowance,
  mint,
  spendAllowance,
  transfer,
  transferFrom,
} from "./ledger.js";
import { EvmRevert, min, mulDiv, type Rounding, UINT256_MAX } from "./math.js";
import type { ModelEvent } from "./result.js";
import type { SystemState } from "./state.js";
import { Action, normalizeAddress } from "./types.js";

export const DECIMALS_OFFSET = 6;
const VIRTUAL_SHARES = 10n ** BigInt(DECIMALS_OFFSET);

/** The market functions the pool calls. */
export type PoolMarket = {
  refresh(): void;
  poolEquity(): bigint;
  allows(action: Action): boolean;
  poolWithdrawable(): bigint;
  /** False when the market tripped (the action was rolled back inside the market). */
  onPoolDeposit(assets: bigint): boolean;
  onPoolWithdraw(receiver: Address, assets: bigint): boolean;
};

/* VIEWS */

/** `totalAssets()`: the pool's equity, floored at zero. */
export function totalAssets(market: Pick<PoolMarket, "poolEquity">): bigint {
  const equity = market.poolEquity();
  return equity > 0n ? equity : 0n;
}

/** ERC-4626 `_convertToShares(assets, rounding)`. */
export function convertToShares(
  s: SystemState,
  market: Pick<PoolMarket, "poolEquity">,
  assets: bigint,
  rounding: Rounding,
): bigint {
  return mulDiv(assets, s.shares.totalSupply + VIRTUAL_SHARES, totalAssets(market) + 1n, rounding);
}

/** ERC-4626 `_convertToAssets(shares, rounding)`. */
export function convertToAssets(
  s: SystemState,
  market: Pick<PoolMarket, "poolEquity">,
  shares: bigint,
  rounding: Rounding,
): bigint {
  return mulDiv(shares, totalAssets(market) + 1n, s.shares.totalSupply + VIRTUAL_SHARES, rounding);
}

export function maxDeposit(market: Pick<PoolMarket, "allows">): bigint {
  return market.allows(Action.LpDeposit) ? UINT256_MAX : 0n;
}

export function maxWithdraw(s: SystemState, market: PoolMarket, owner: Address): bigint {
  return min(convertToAssets(s, market, balanceOf(s.shares, owner), "floor"), market.poolWithdrawable());
}

export function maxRedeem(s: SystemState, market: PoolMarket, owner: Address): bigint {
  return min(balanceOf(s.shares, owner), convertToShares(s, market, market.poolWithdrawable(), "floor"));
}

/* ENTRY POINTS (each runs inside one transaction: `s` is the transaction's working state) */

export type PoolEntryParameters = {
  caller: Address;
  receiver: Address;
};

/** `deposit(assets, receiver)`; returns the shares minted (0 when the market refused). */
export function deposit(
  s: SystemState,
  market: PoolMarket,
  parameters: PoolEntryParameters & { assets: bigint },
  events: ModelEvent[],
): bigint {
  const { caller, receiver, assets } = parameters;
  market.refresh();
  const maxAssets = maxDeposit(market);
  if (assets > maxAssets) {
    throw new EvmRevert("ERC4626ExceededMaxDeposit", [normalizeAddress(receiver), assets, maxAssets]);
  }
  const shares = convertToShares(s, market, assets, "floor");
  return enter(s, market, caller, receiver, assets, shares, events) ? shares : 0n;
}

/** `mint(shares, receiver)`; returns the assets taken (0 when the market refused). */
export function mintShares(
  s: SystemState,
  market: PoolMarket,
  parameters: PoolEntryParameters & { shares: bigint },
  events: ModelEvent[],
): bigint {
  const { caller, receiver, shares } = parameters;
  market.refresh();
  const maxShares = maxDeposit(market);
  if (shares > maxShares) {
    throw new EvmRevert("ERC4626ExceededMaxMint", [normalizeAddress(receiver), shares, maxShares]);
  }
  const assets = convertToAssets(s, market, shares, "ceil");
  return enter(s, market, caller, receiver, assets, shares, events) ? assets : 0n;
}

/** `withdraw(assets, receiver, owner)`; returns the shares burned (0 when the market refused). */
export function withdraw(
  s: SystemState,
  market: PoolMarket,
  parameters: PoolEntryParameters & { owner: Address; assets: bigint },
  events: ModelEvent[],
): bigint {
  const { caller, receiver, owner, assets } = parameters;
  market.refresh();
  const maxAssets = maxWithdraw(s, market, owner);
  if (assets > maxAssets) {
    throw new EvmRevert("ERC4626ExceededMaxWithdraw", [normalizeAddress(owner), assets, maxAssets]);
  }
  const shares = convertToShares(s, market, assets, "ceil");
  return exit(s, market, caller, receiver, owner, assets, shares, events) ? shares : 0n;
}

/** `redeem(shares, receiver, owner)`; returns the assets paid (0 when the market refused). */
export function redeem(
  s: SystemState,
  market: PoolMarket,
  parameters: PoolEntryParameters & { owner: Address; shares: bigint },
  events: ModelEvent[],
): bigint {
  const { caller, receiver, owner, shares } = parameters;
  market.refresh();
  const maxShares = maxRedeem(s, market, owner);
  if (shares > maxShares) {
    throw new EvmRevert("ERC4626ExceededMaxRedeem", [normalizeAddress(owner), shares, maxShares]);
  }
  const assets = convertToAssets(s, market, shares, "floor");
  return exit(s, market, caller, receiver, owner, assets, shares, events) ? assets : 0n;
}

function enter(
  s: SystemState,
  market: PoolMarket,
  caller: Address,
  receiver: Address,
  assets: bigint,
  shares: bigint,
  events: ModelEvent[],
): boolean {
  const pool = s.addresses.pool;
  if (shares === 0n) throw new EvmRevert("PoolZeroShares");
  const equity = market.poolEquity();
  if (s.shares.totalSupply !== 0n && equity <= 0n) throw new EvmRevert("PoolInsolvent", [equity]);
  // OpenZeppelin SafeERC20 bubbles the token's own error.
  transferFrom(s.collateral, pool, caller, pool, assets);
  if (!market.onPoolDeposit(assets)) {
    transfer(s.collateral, pool, caller, assets);
    events.push(refused(caller, assets, shares));
    return false;
  }
  mint(s.shares, receiver, shares);
  events.push({
    contract: "pool",
    name: "Deposit",
    args: { sender: normalizeAddress(caller), owner: normalizeAddress(receiver), assets, shares },
  });
  return true;
}

function exit(
  s: SystemState,
  market: PoolMarket,
  caller: Address,
  receiver: Address,
  owner: Address,
  assets: bigint,
  shares: bigint,
  events: ModelEvent[],
): boolean {
  if (shares === 0n || assets === 0n) throw new EvmRevert("PoolZeroShares");
  const spender = normalizeAddress(caller);
  const isOwner = spender === normalizeAddress(owner);
  if (!isOwner) {
    const allowed = ledgerAllowance(s.shares, owner, caller);
    if (allowed < shares) throw new EvmRevert("ERC20InsufficientAllowance", [spender, allowed, shares]);
  }
  if (!market.onPoolWithdraw(receiver, assets)) {
    events.push(refused(caller, assets, shares));
    return false;
  }
  if (!isOwner) spendAllowance(s.shares, owner, caller, shares);
  burn(s.shares, owner, shares);
  events.push({
    contract: "pool",
    name: "Withdraw",
    args: {
      sender: spender,
      receiver: normalizeAddress(receiver),
      owner: normalizeAddress(owner),
      assets,
      shares,
    },
  });
  return true;
}

function refused(caller: Address, assets: bigint, shares: bigint): ModelEvent {
  return {
    contract: "pool",
    name: "ActionRefusedByMarket",
    args: { caller: normalizeAddress(caller), assets, shares },
  };
}
