/**
 * An OpenZeppelin ERC20 (v5) ledger: balances, allowances, total supply, and the errors OZ reverts with.
 * Used for the collateral (MockERC20) and for the pool's LP shares.
 */
import type { Address } from "viem";
import { EvmRevert, UINT256_MAX, uadd } from "./math.js";
import { normalizeAddress, zeroAddress } from "./types.js";

export type Ledger = {
  balances: Map<Address, bigint>;
  /** owner → spender → allowance. */
  /** Each owner's row is replaced on a change, never changed in place, so copies of the state share rows. */
  allowances: Map<Address, ReadonlyMap<Address, bigint>>;
  totalSupply: bigint;
};

export function createLedger(): Ledger {
  return { balances: new Map(), allowances: new Map(), totalSupply: 0n };
}

export function balanceOf(ledger: Ledger, account: Address): bigint {
  return ledger.balances.get(normalizeAddress(account)) ?? 0n;
}

export function allowance(ledger: Ledger, owner: Address, spender: Address): bigint {
  return ledger.allowances.get(normalizeAddress(owner))?.get(normalizeAddress(spender)) ?? 0n;
}

export function approve(ledger: Ledger, owner: Address, spender: Address, value: bigint): void {
  if (normalizeAddress(owner) === zeroAddress) throw new EvmRevert("ERC20InvalidApprover", [zeroAddress]);
  if (normalizeAddress(spender) === zeroAddress) throw new EvmRevert("ERC20InvalidSpender", [zeroAddress]);
  const o = normalizeAddress(owner);
  const row = new Map(ledger.allowances.get(o));
  row.set(normalizeAddress(spender), value);
  ledger.allowances.set(o, row);
}

/** ERC20 `_update`: mint (from = 0), burn (to = 0) or move. */
function update(ledger: Ledger, from: Address, to: Address, value: bigint): void {
  const f = normalizeAddress(from);
  const t = normalizeAddress(to);
  if (f === zeroAddress) {
    ledger.totalSupply = uadd(ledger.totalSupply, value);
  } else {
    const fromBalance = balanceOf(ledger, f);
    if (fromBalance < value) throw new EvmRevert("ERC20InsufficientBalance", [f, fromBalance, value]);
    ledger.balances.set(f, fromBalance - value);
  }
  if (t === zeroAddress) ledger.totalSupply -= value;
  else ledger.balances.set(t, balanceOf(ledger, t) + value);
}

/** ERC20 `transfer` / `_transfer`. */
export function transfer(ledger: Ledger, from: Address, to: Address, value: bigint): void {
  if (normalizeAddress(from) === zeroAddress) throw new EvmRevert("ERC20InvalidSender", [zeroAddress]);
  if (normalizeAddress(to) === zeroAddress) throw new EvmRevert("ERC20InvalidReceiver", [zeroAddress]);
  update(ledger, from, to, value);
}

/** ERC20 `transferFrom` called by `spender`: the allowance is spent first, then the balance moves. */
export function transferFrom(
  ledger: Ledger,
  spender: Address,
  from: Address,
  to: Address,
  value: bigint,
): void {
  spendAllowance(ledger, from, spender, value);
  transfer(ledger, from, to, value);
}

/** ERC20 `_spendAllowance`: an infinite (max) allowance is never decreased. */
export function spendAllowance(ledger: Ledger, owner: Address, spender: Address, value: bigint): void {
  const current = allowance(ledger, owner, spender);
  if (current < UINT256_MAX) {
    if (current < value)
      throw new EvmRevert("ERC20InsufficientAllowance", [normalizeAddress(spender), current, value]);
    approve(ledger, owner, spender, current - value);
  }
}

export function mint(ledger: Ledger, to: Address, value: bigint): void {
  if (normalizeAddress(to) === zeroAddress) throw new EvmRevert("ERC20InvalidReceiver", [zeroAddress]);
  update(ledger, zeroAddress, to, value);
}

export function burn(ledger: Ledger, from: Address, value: bigint): void {
  if (normalizeAddress(from) === zeroAddress) throw new EvmRevert("ERC20InvalidSender", [zeroAddress]);
  update(ledger, from, zeroAddress, value);
}

/**
 * solady SafeTransferLib: any failure of the token call becomes the library's own error, never the token's.
 * `safeTransferFrom` → `TransferFromFailed()`, `safeTransfer` → `TransferFailed()`.
 */
export function soladySafeTransferFrom(
  ledger: Ledger,
  spender: Address,
  from: Address,
  to: Address,
  value: bigint,
) {
  try {
    transferFrom(ledger, spender, from, to, value);
  } catch (error) {
    if (error instanceof EvmRevert) throw new EvmRevert("TransferFromFailed");
    throw error;
  }
}

export function soladySafeTransfer(ledger: Ledger, from: Address, to: Address, value: bigint) {
  try {
    transfer(ledger, from, to, value);
  } catch (error) {
    if (error instanceof EvmRevert) throw new EvmRevert("TransferFailed");
    throw error;
  }
}
