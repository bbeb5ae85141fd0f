import { type Address, getAddress, keccak256, toHex } from "viem";

/** Who plays which part. Every role but the Safe owners holds a margin account in the market. */
export type Actors = {
  /** Deploys, funds, and runs the price feeds (MockAggregator pushes are permissionless anyway). */
  operator: Address;
  /** Owners of the guardian Safe (threshold 2), as the deploy script sets them. */
  safeOwners: readonly Address[];
  /** Deposits and withdraws, never trades: the no-loss and exit promises are checked on this account. */
  neverTrader: Address;
  traders: readonly Address[];
  lps: readonly Address[];
  keepers: readonly Address[];
  /** Runs same-block manipulation (spike, act, restore). */
  attacker: Address;
  /** Holds nothing and is never funded: calls every entry point anyway (the zero-capital griefer). */
  griefer: Address;
  /** Every account the invariants sum over (all market-facing actors). */
  accounts: readonly Address[];
  /** The ones that are not anvil dev accounts (impersonated; funded with ether by the world). */
  impersonated: readonly Address[];
};

export const actorCounts = { traders: 8, lps: 2, keepers: 2 } as const;

/**
 * Assigns roles: dev account 0 is the operator, 1-3 own the Safe, then dev accounts 4.. in a fixed role
 * order; when the node has fewer dev accounts than roles (anvil's default is 10), the rest are fixed
 * impersonated addresses, so the layout never depends on how the node was started.
 */
export function assignActors(devAccounts: readonly Address[]): Actors {
  const [operator, ...rest] = devAccounts;
  if (!operator || rest.length < 3) throw new Error("assignActors: need at least 4 dev accounts");
  const safeOwners = rest.slice(0, 3);
  const pool = devAccounts.slice(4);
  const impersonated: Address[] = [];
  let next = 0;
  const take = (): Address => {
    const dev = pool[next++];
    if (dev) return dev;
    const extra = getAddress(`0x${keccak256(toHex(`bulkhead.scenario.actor.${next}`)).slice(26)}`);
    impersonated.push(extra);
    return extra;
  };
  // Role order: the roles every scenario uses come first, so they are dev accounts on any node.
  const neverTrader = take();
  const lp0 = take();
  const keeper0 = take();
  const traders = [take(), take(), take()];
  const attacker = take();
  const lps = [lp0, take()];
  const keepers = [keeper0, take()];
  while (traders.length < actorCounts.traders) traders.push(take());
  const griefer = take();
  return {
    operator,
    safeOwners,
    neverTrader,
    traders,
    lps,
    keepers,
    attacker,
    griefer,
    accounts: [neverTrader, ...traders, ...lps, ...keepers, attacker, griefer],
    impersonated,
  };
}

/** The trader account an attacker uses as its sock puppet (the JELLY playbook's offsetting short). */
export const sockOf = (actors: Actors): Address => actors.traders[actorCounts.traders - 1] as Address;

/** The actor behind an account, for promises that judge what one actor does with several: the sock is the attacker's. */
export function actorOf(actors: Actors, account: Address): Address {
  return account.toLowerCase() === sockOf(actors).toLowerCase() ? actors.attacker : account;
}
