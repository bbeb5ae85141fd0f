import { type Address, getAbiItem, type Hash, type PublicClient } from "viem";
import { marketAbi } from "../generated/abis.js";

// Every account that can ever hold margin or a position first shows up in one of these events.
const discoveryEvents = [
  getAbiItem({ abi: marketAbi, name: "Deposited" }),
  getAbiItem({ abi: marketAbi, name: "PositionModified" }),
] as const;

/** Public RPC endpoints cap eth_getLogs ranges; anvil does not care. */
const maxBlocksPerQuery = 10_000n;

export type AccountDiscoveryParameters = {
  publicClient: PublicClient;
  market: Address;
  /** First block to scan (default 0). */
  fromBlock?: bigint | undefined;
};

export type ScanParameters = { head: { number: bigint; hash: Hash } };

export type ScanReturnType = {
  /** Accounts seen for the first time in this scan, in log order. */
  added: Address[];
  /** True when the chain no longer holds the block scanned last (an evm_revert or a reorg): rescanned. */
  rescanned: boolean;
};

export type AccountDiscovery = {
  /** Every account seen so far, in the order first seen (deterministic: block, then log index). */
  readonly accounts: readonly Address[];
  scan(parameters: ScanParameters): Promise<ScanReturnType>;
};

/**
 * Incremental account discovery from the market's logs. Remembers the last scanned block (number and
 * hash) and only asks for newer logs; if that block is gone or changed (anvil's evm_revert, a reorg), it
 * forgets everything and rescans from `fromBlock`, so a reverted account never lingers.
 */
export function createAccountDiscovery(parameters: AccountDiscoveryParameters): AccountDiscovery {
  const { publicClient, market } = parameters;
  const fromBlock = parameters.fromBlock ?? 0n;
  let accounts: Address[] = [];
  let known = new Set<string>();
  let last: { number: bigint; hash: Hash } | undefined;

  const fetchAccounts = async (from: bigint, to: bigint): Promise<Address[]> => {
    const found: Address[] = [];
    for (let start = from; start <= to; start += maxBlocksPerQuery) {
      const end = start + maxBlocksPerQuery - 1n < to ? start + maxBlocksPerQuery - 1n : to;
      const logs = await publicClient.getLogs({
        address: market,
        events: discoveryEvents,
        fromBlock: start,
        toBlock: end,
        strict: true,
      });
      for (const log of logs) found.push(log.args.account);
    }
    return found;
  };

  const remember = (found: readonly Address[]): Address[] => {
    const added: Address[] = [];
    for (const account of found) {
      const key = account.toLowerCase();
      if (known.has(key)) continue;
      known.add(key);
      accounts.push(account);
      added.push(account);
    }
    return added;
  };

  return {
    get accounts() {
      return accounts;
    },
    async scan({ head }) {
      let rescanned = false;
      if (last) {
        // The block we stopped at must still be there, unchanged. (Sequential: see index.ts on concurrency.)
        const unchanged =
          head.number === last.number
            ? head.hash === last.hash
            : head.number > last.number &&
              (await publicClient
                .getBlock({ blockNumber: last.number })
                .then((block) => block.hash === last?.hash)
                .catch(() => false));
        const found =
          unchanged && head.number > last.number ? await fetchAccounts(last.number + 1n, head.number) : [];
        if (unchanged) {
          last = head;
          return { added: remember(found), rescanned };
        }
        rescanned = true;
        accounts = [];
        known = new Set();
      }
      const found = head.number >= fromBlock ? await fetchAccounts(fromBlock, head.number) : [];
      last = head;
      return { added: remember(found), rescanned };
    },
  };
}
