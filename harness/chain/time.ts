import type { ChainClients } from "./clients.js";
import { runStep } from "./nodeDied.js";

export type IncreaseTimeParameters = {
  seconds: number | bigint;
  /** Mine an empty block at the new time right away (default false: the next transaction's block). */
  mine?: boolean | undefined;
  label?: string | undefined;
};

export type IncreaseTimeReturnType = {
  /** Timestamp the next block will carry (or the mined block, with `mine`). */
  timestamp: bigint;
};

/**
 * Makes the next block exactly `seconds` later than the latest block.
 *
 * evm_increaseTime only shifts anvil's wall-clock offset, which anvil ignores while a block timestamp
 * interval is set (our nodes' deterministic default). Setting the next block's timestamp explicitly
 * behaves the same in both modes. Calls do not accumulate: two calls before a block is mined leave the
 * last one in force.
 */
export function increaseTime(
  clients: ChainClients,
  parameters: IncreaseTimeParameters,
): Promise<IncreaseTimeReturnType> {
  const seconds = BigInt(parameters.seconds);
  return runStep({
    node: clients.node,
    step: parameters.label ?? `increase time by ${seconds}s`,
    action: async () => {
      if (seconds < 0n) throw new RangeError(`increaseTime: seconds must be >= 0, got ${seconds}`);
      const latest = await clients.publicClient.getBlock({ blockTag: "latest" });
      const timestamp = latest.timestamp + seconds;
      await clients.testClient.setNextBlockTimestamp({ timestamp });
      if (parameters.mine) await clients.testClient.mine({ blocks: 1 });
      return { timestamp };
    },
  });
}
