/**
 * src/LiquidityPool.sol as a model: OpenZeppelin ERC-4626 (v5) with `_decimalsOffset() = 6`, whose
 * `totalAssets` is the market's pool equity floored at zero, whose entry points refresh the market first,
 * whose exits are limited by the market's backing and by an outflow limiter (a window's net outflow at most
 * `maxOutflow` of the equity it started with, deposits making room; young capital carried into the next window
 * as room of its own), and which pays settlement claims. Views quote the market as the action finds it after
 * its refresh (`poolQuote`), so previews and max* agree with the actions in the same transaction.
 *
 *   shares = assets * (supply + 10^6) / (totalAssets + 1)    (floor on deposit/convert, ceil on withdraw)
 *   assets = shares * (totalAssets + 1) / (supply + 10^6)    (floor on redeem/convert, ceil on mint)
 *
 * The market's side (refresh, poolEquity, poolQuote, the hooks) is passed in as `PoolMarket`, so this module does not
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
import { EvmRevert, min, mulDiv, type Rounding, UINT256_MAX, uadd, umul, usub, WAD } from "./math.js";
import type { ModelEvent } from "./result.js";
import type { ShareLock, SystemState } from "./state.js";
import { normalizeAddress, zeroAddress } from "./types.js";

export const DECIMALS_OFFSET = 6;
const VIRTUAL_SHARES = 10n ** BigInt(DECIMALS_OFFSET);

/** The market functions the pool calls. */
export type PoolMarket = {
  refresh(): void;
  poolEquity(): bigint;
  /** `insurance()`: the insurance sub-fund, which goes to the LPs at settlement. */
  insurance(): bigint;
  /** `poolQuote()`: the pool's figures as an action finds them after its refresh. */
  poolQuote(): { equity: bigint; depositOpen: boolean; withdrawable: bigint };
  /** The pool's `_lpGap`: equity with the traders' PnL at the guard's LP price less equity at the mark. */
  lpGap(): bigint;
  /** False when the market tripped (the action was rolled back inside the market). */
  onPoolDeposit(assets: bigint): boolean;
  onPoolWithdraw(receiver: Address, assets: bigint): boolean;
  /** Settlement: pays `receiver` the claim of `shares` of the snapshot supply; returns the assets. */
  onPoolClaim(receiver: Address, shares: bigint): bigint;
};

/* VIEWS */

/**
 * `totalAssets()`: what an exit is paid from — the pool's equity as an action finds it after its refresh, with the
 * traders' PnL at the worse, for the LPs, of the mark and the guard's LP price, floored at zero.
 */
export function totalAssets(market: Pick<PoolMarket, "poolQuote" | "lpGap">): bigint {
  const { equity } = market.poolQuote();
  const gap = market.lpGap();
  const exit = gap < 0n ? equity + gap : equity;
  return exit > 0n ? exit : 0n;
}

/** The limiter's storage before the first LP action. */
export function emptyWindow(): Omit<SystemState["pool"], "outflowWindow" | "maxOutflow"> {
  return {
    windowStart: 0n,
    windowBase: 0n,
    windowIn: 0n,
    windowOut: 0n,
    windowCarry: 0n,
    windowInAge: 0n,
    windowOutAge: 0n,
    locks: new Map(),
  };
}

/** ERC-4626 `_convertToShares(assets, rounding)`. */
export function convertToShares(
  s: SystemState,
  market: Pick<PoolMarket, "poolQuote" | "lpGap">,
  assets: bigint,
  rounding: Rounding,
): bigint {
  return mulDiv(assets, s.shares.totalSupply + VIRTUAL_SHARES, totalAssets(market) + 1n, rounding);
}

/** ERC-4626 `_convertToAssets(shares, rounding)`. */
export function convertToAssets(
  s: SystemState,
  market: Pick<PoolMarket, "poolQuote" | "lpGap">,
  shares: bigint,
  rounding: Rounding,
): bigint {
  return mulDiv(shares, totalAssets(market) + 1n, s.shares.totalSupply + VIRTUAL_SHARES, rounding);
}

/**
 * `_entryAssets()`: what a deposit buys into — `totalAssets` plus the insurance sub-fund, which goes to the shares at
 * settlement (just `totalAssets` while no shares exist).
 */
export function entryAssets(
  s: SystemState,
  market: Pick<PoolMarket, "poolQuote" | "lpGap" | "insurance">,
): bigint {
  if (s.shares.totalSupply === 0n) return totalAssets(market);
  const { equity } = market.poolQuote();
  const gap = market.lpGap();
  const entry = gap > 0n ? equity + gap : equity;
  return uadd(entry > 0n ? entry : 0n, market.insurance());
}

/** `previewDeposit(assets)`: shares at the entry price, rounded down. */
export function previewDeposit(
  s: SystemState,
  market: Pick<PoolMarket, "poolQuote" | "lpGap" | "insurance">,
  assets: bigint,
): bigint {
  return mulDiv(assets, s.shares.totalSupply + VIRTUAL_SHARES, entryAssets(s, market) + 1n, "floor");
}

/** `previewMint(shares)`: assets at the entry price, rounded up. */
export function previewMint(
  s: SystemState,
  market: Pick<PoolMarket, "poolQuote" | "lpGap" | "insurance">,
  shares: bigint,
): bigint {
  return mulDiv(shares, entryAssets(s, market) + 1n, s.shares.totalSupply + VIRTUAL_SHARES, "ceil");
}

/** `maxDeposit`/`maxMint`: open when the market would take it and the shares outstanding have equity behind them. */
export function maxDeposit(s: SystemState, market: Pick<PoolMarket, "poolQuote" | "lpGap">): bigint {
  const { equity, depositOpen } = market.poolQuote();
  return depositOpen && (equity > 0n || s.shares.totalSupply === 0n) ? UINT256_MAX : 0n;
}

export function maxWithdraw(s: SystemState, market: PoolMarket, owner: Address): bigint {
  return min(convertToAssets(s, market, freeShares(s, owner), "floor"), withdrawable(s, market));
}

export function maxRedeem(s: SystemState, market: PoolMarket, owner: Address): bigint {
  return min(freeShares(s, owner), convertToShares(s, market, withdrawable(s, market), "floor"));
}

/* HOLDING PERIOD */

/** `minHoldingPeriod()`: the oracle guard's `maxAge`, the feed's heartbeat. */
export function minHoldingPeriod(s: SystemState): bigint {
  return BigInt(s.oracle.params.maxAge);
}

/** `lockedShares(holder)`: the holder's young shares and when they free up ({0, 0} when none). */
export function lockedShares(s: SystemState, holder: Address): ShareLock {
  const lock = s.pool.locks.get(normalizeAddress(holder));
  return lock && lock.until > s.now ? { ...lock } : { shares: 0n, until: 0n };
}

function freeShares(s: SystemState, holder: Address): bigint {
  const locked = lockedShares(s, holder).shares;
  const balance = balanceOf(s.shares, holder);
  return balance > locked ? balance - locked : 0n;
}

/** `_update`'s lock on a mint: the new shares and the receiver's still-young ones are locked for the period. */
function lockMinted(s: SystemState, to: Address, shares: bigint): void {
  const young = lockedShares(s, to).shares;
  s.pool.locks.set(normalizeAddress(to), { shares: young + shares, until: s.now + minHoldingPeriod(s) });
}

/** `_update`'s check on a move: young shares stay (ERC20 reports a short balance itself). */
function requireUnlocked(s: SystemState, from: Address, value: bigint): void {
  const { shares: locked, until } = lockedShares(s, from);
  const balance = balanceOf(s.shares, from);
  if (locked !== 0n && balance >= value && balance - value < locked) {
    throw new EvmRevert("PoolSharesLocked", [normalizeAddress(from), locked, until]);
  }
}

/** The share token's `transfer(to, value)` from `from`: OpenZeppelin's checks, with the young shares kept. */
export function transferShares(s: SystemState, from: Address, to: Address, value: bigint): void {
  if (normalizeAddress(from) !== zeroAddress && normalizeAddress(to) !== zeroAddress) {
    requireUnlocked(s, from, value);
  }
  transfer(s.shares, from, to, value);
}

/** `outflowAvailable()`: what LPs may still take out in the current window (a lapsed window counts as new). */
export function outflowAvailable(s: SystemState, market: Pick<PoolMarket, "poolQuote" | "lpGap">): bigint {
  const p = s.pool;
  const w = s.now >= p.windowStart + p.outflowWindow ? nextWindow(s, market) : p;
  const room = uadd(uadd(mulDiv(w.windowBase, p.maxOutflow, WAD, "floor"), w.windowCarry), w.windowIn);
  return room > w.windowOut ? room - w.windowOut : 0n;
}

/**
 * `_nextWindow()`: the window that starts now. A flow of the window just ended is young in proportion to how late
 * it came (aging further while the new window starts late); young inflows net of young outflows are carried as
 * room of their own instead of joining the base.
 */
function nextWindow(
  s: SystemState,
  market: Pick<PoolMarket, "poolQuote" | "lpGap">,
): Pick<SystemState["pool"], "windowBase" | "windowCarry" | "windowIn" | "windowOut"> {
  const p = s.pool;
  // The pool's equity at the mark (not the exit valuation): the limiter bounds what may leave of what the pool holds.
  const quoted = market.poolQuote().equity;
  const equity = quoted > 0n ? quoted : 0n;
  const aged = uadd(umul(usub(usub(s.now, p.windowStart), p.outflowWindow), p.windowIn), p.windowOutAge);
  const carry = min(p.windowInAge > aged ? (p.windowInAge - aged) / p.outflowWindow : 0n, equity);
  return { windowBase: equity - carry, windowCarry: carry, windowIn: 0n, windowOut: 0n };
}

/** `_withdrawable()`: the market's backing limit and the outflow limiter, whichever is lower. */
function withdrawable(s: SystemState, market: PoolMarket): bigint {
  return min(market.poolQuote().withdrawable, outflowAvailable(s, market));
}

/** `_rollWindow()`: starts a new limiter window when the last one has run out. */
function rollWindow(s: SystemState, market: Pick<PoolMarket, "poolQuote" | "lpGap">): void {
  const p = s.pool;
  if (s.now < p.windowStart + p.outflowWindow) return;
  Object.assign(p, nextWindow(s, market));
  p.windowStart = s.now;
  p.windowInAge = 0n;
  p.windowOutAge = 0n;
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
  const maxAssets = maxDeposit(s, market);
  if (assets > maxAssets) {
    throw new EvmRevert("ERC4626ExceededMaxDeposit", [normalizeAddress(receiver), assets, maxAssets]);
  }
  const shares = previewDeposit(s, market, assets);
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
  const maxShares = maxDeposit(s, market);
  if (shares > maxShares) {
    throw new EvmRevert("ERC4626ExceededMaxMint", [normalizeAddress(receiver), shares, maxShares]);
  }
  const assets = previewMint(s, market, shares);
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
  // A new window's base is the equity before this deposit (kept even when the market then refuses it).
  rollWindow(s, market);
  // OpenZeppelin SafeERC20 bubbles the token's own error.
  transferFrom(s.collateral, pool, caller, pool, assets);
  if (!market.onPoolDeposit(assets)) {
    transfer(s.collateral, pool, caller, assets);
    events.push(refused(caller, assets, shares));
    return false;
  }
  // Inflows make room for outflows in the same window (and, while young, the next).
  s.pool.windowIn = uadd(s.pool.windowIn, assets);
  s.pool.windowInAge = uadd(s.pool.windowInAge, umul(assets, usub(s.now, s.pool.windowStart)));
  lockMinted(s, receiver, shares);
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
  rollWindow(s, market);
  const room = outflowAvailable(s, market);
  if (assets > room) throw new EvmRevert("PoolOutflowLimit", [assets, room]);
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
  s.pool.windowOut = uadd(s.pool.windowOut, assets);
  s.pool.windowOutAge = uadd(s.pool.windowOutAge, umul(assets, usub(s.now, s.pool.windowStart)));
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

/** `claimSettlement(shares, receiver)`: burns the caller's shares, then the market pays their claim. */
export function claimSettlement(
  s: SystemState,
  market: PoolMarket,
  parameters: { caller: Address; receiver: Address; shares: bigint },
  events: ModelEvent[],
): bigint {
  const { caller, receiver, shares } = parameters;
  if (shares === 0n) throw new EvmRevert("PoolZeroShares");
  burn(s.shares, caller, shares);
  const assets = market.onPoolClaim(receiver, shares);
  events.push({
    contract: "pool",
    name: "SettlementClaimed",
    args: { owner: normalizeAddress(caller), receiver: normalizeAddress(receiver), shares, assets },
  });
  return assets;
}

function refused(caller: Address, assets: bigint, shares: bigint): ModelEvent {
  return {
    contract: "pool",
    name: "ActionRefusedByMarket",
    args: { caller: normalizeAddress(caller), assets, shares },
  };
}
