import type { Address } from "viem";
import type { ObservedTx } from "../facts.js";
import { accountIn, arg, events, key, type PromiseContext } from "./context.js";

/**
 * Exposure inside a step, transaction by transaction: positions and LP shares as the previous step's
 * snapshot left them, moved by the events of the transactions mined since (PositionModified, Liquidated,
 * the pool's Deposit and Withdraw).
 */
export class Exposure {
  private readonly sizes = new Map<Address, bigint>();
  private readonly shares = new Map<Address, bigint>();
  private readonly margins = new Map<Address, bigint>();
  constructor(private readonly ctx: PromiseContext) {}

  size(account: Address): bigint {
    return this.sizes.get(key(account)) ?? accountIn(this.ctx.history.last, account)?.state.size ?? 0n;
  }
  lpShares(account: Address): bigint {
    return this.shares.get(key(account)) ?? accountIn(this.ctx.history.last, account)?.lpShares ?? 0n;
  }
  /**
   * Margin as the previous step left it plus the deposits less the withdrawals since (a trader who deposits and
   * trades in one step has margin at stake at its trade: netting seed 707). Trading PnL and fees inside the step are
   * left out: a trade makes its account exposed anyway.
   */
  margin(account: Address): bigint {
    return this.margins.get(key(account)) ?? accountIn(this.ctx.history.last, account)?.state.margin ?? 0n;
  }
  exposed(account: Address): boolean {
    return this.size(account) !== 0n || this.lpShares(account) !== 0n;
  }

  /** Applies one transaction's events. */
  apply(tx: ObservedTx): void {
    for (const e of events(tx, "market", "PositionModified")) {
      this.sizes.set(key(arg<Address>(e, "account")), arg<bigint>(e, "newSize"));
    }
    for (const e of events(tx, "market", "Liquidated")) this.sizes.set(key(arg<Address>(e, "account")), 0n);
    for (const [name, sign] of [
      ["Deposited", 1n],
      ["Withdrawn", -1n],
    ] as const) {
      for (const e of events(tx, "market", name)) {
        const account = arg<Address>(e, "account");
        this.margins.set(key(account), this.margin(account) + sign * arg<bigint>(e, "amount"));
      }
    }
    for (const e of events(tx, "pool", "Deposit")) {
      const owner = arg<Address>(e, "owner");
      this.shares.set(key(owner), this.lpShares(owner) + arg<bigint>(e, "shares"));
    }
    for (const e of events(tx, "pool", "Withdraw")) {
      const owner = arg<Address>(e, "owner");
      this.shares.set(key(owner), this.lpShares(owner) - arg<bigint>(e, "shares"));
    }
  }
}
