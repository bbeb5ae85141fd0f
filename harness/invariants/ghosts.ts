import type { Address } from "viem";

/** What the harness saw users do, independent of both the model and the chain's own books. */
export type Ghosts = {
  /** Collateral each account deposited as margin / withdrew / was paid in Settlement. */
  deposited: Map<Address, bigint>;
  withdrawn: Map<Address, bigint>;
  claimed: Map<Address, bigint>;
  /** Accounts that ever held a position (the no-loss promise covers the others). */
  exposed: Set<Address>;
  /** Everything paid out in Settlement: trader and LP claims. */
  settlementPaid: bigint;
  /** Accounts whose Settlement entitlement is used up: claimed, or realised (negative equity). */
  settled: Set<Address>;
};

export const emptyGhosts = (): Ghosts => ({
  deposited: new Map(),
  withdrawn: new Map(),
  claimed: new Map(),
  exposed: new Set(),
  settlementPaid: 0n,
  settled: new Set(),
});

export const copyGhosts = (g: Ghosts): Ghosts => structuredClone(g);

export function addTo(map: Map<Address, bigint>, account: Address, amount: bigint): void {
  map.set(account, (map.get(account) ?? 0n) + amount);
}
