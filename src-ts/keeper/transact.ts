import type {
  Account,
  Address,
  Chain,
  Hash,
  PublicClient,
  RpcTransactionReceipt,
  TransactionReceipt,
  Transport,
  WalletClient,
} from "viem";
import { formatTransactionReceipt } from "viem";
import { type DecodedRevert, keeperAbi, revertOf } from "./revert.js";

export type KeeperFunction = "liquidate" | "settleLoss" | "refresh" | "settle" | "realise";

export type KeeperWalletClient = WalletClient<Transport, Chain | undefined, Account>;

export type TransactParameters = {
  publicClient: PublicClient;
  walletClient: KeeperWalletClient;
  market: Address;
  functionName: KeeperFunction;
  args: readonly [] | readonly [Address];
  /** Simulate only: never send. */
  dryRun: boolean;
  /** Errors that mean "nothing to do here" (the keeper skips the action) rather than a failure. */
  expected: ReadonlySet<string>;
  receiptTimeoutMs: number;
};

export type TransactReturnType =
  /** Simulated fine; `receipt` is absent in a dry run. `result` is the call's return value (a reward). */
  | { kind: "done"; result: bigint | undefined; hash?: Hash; receipt?: TransactionReceipt }
  /** The simulation reverted with an expected error. */
  | { kind: "skipped"; revert: DecodedRevert }
  /** An unexpected revert (in simulation or on chain), or an RPC failure while sending. */
  | { kind: "failed"; message: string; revert?: DecodedRevert | undefined; hash?: Hash };

/**
 * Gas estimates on anvil run at the latest block's timestamp, but the transaction lands a block later: a
 * market call then also accrues funding (the estimate skipped it, time not having moved), runs out of gas
 * inside the guarded self-call and reverts. Half again as much covers that and the oracle's accept path.
 */
const gasHeadroom = (estimate: bigint) => (estimate * 3n) / 2n;

/** Simulates a market call, then (unless dry) sends it with padded gas and waits for its receipt. */
export async function transact(parameters: TransactParameters): Promise<TransactReturnType> {
  const { publicClient, walletClient, market, functionName, args } = parameters;
  const call = {
    address: market,
    abi: keeperAbi,
    functionName,
    args,
    account: walletClient.account,
  } as const;

  let result: bigint | undefined;
  let gas: bigint;
  try {
    // The simulation decides, with the market's own errors, whether there is anything to do.
    const simulated = await publicClient.simulateContract(call as never);
    result = typeof simulated.result === "bigint" ? simulated.result : undefined;
    if (parameters.dryRun) return { kind: "done", result };
    gas = gasHeadroom(await publicClient.estimateContractGas(call as never));
  } catch (error) {
    const revert = revertOf(error);
    if (revert?.name !== undefined && parameters.expected.has(revert.name))
      return { kind: "skipped", revert };
    return { kind: "failed", message: revert?.text ?? shortMessage(error), revert };
  }

  let hash: Hash;
  try {
    hash = await walletClient.writeContract({ ...call, gas, chain: walletClient.chain ?? null } as never);
  } catch (error) {
    return { kind: "failed", message: `send failed: ${shortMessage(error)}`, revert: revertOf(error) };
  }
  let receipt: TransactionReceipt;
  try {
    receipt = await waitForReceipt(publicClient, hash, parameters.receiptTimeoutMs);
  } catch (error) {
    if (!(error instanceof KeeperReceiptTimeoutError)) throw error;
    return { kind: "failed", message: error.message, hash };
  }
  if (receipt.status === "reverted") {
    return { kind: "failed", message: `transaction reverted in block ${receipt.blockNumber}`, hash };
  }
  return { kind: "done", result, hash, receipt };
}

export class KeeperReceiptTimeoutError extends Error {
  override name = "KeeperReceiptTimeoutError";
}

/**
 * Polls eth_getTransactionReceipt with a quick backoff up to the client's polling interval: a local node
 * has the receipt within a millisecond or two, a real chain within a block.
 */
export async function waitForReceipt(
  publicClient: PublicClient,
  hash: Hash,
  timeoutMs: number,
): Promise<TransactionReceipt> {
  const ceiling = Math.max(1, publicClient.pollingInterval);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 0; ; delay = Math.min(ceiling, delay * 2 || 1)) {
    const raw = await publicClient.request({ method: "eth_getTransactionReceipt", params: [hash] });
    if (raw) return formatTransactionReceipt(raw as RpcTransactionReceipt);
    if (Date.now() >= deadline) {
      throw new KeeperReceiptTimeoutError(`transaction ${hash} not mined after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function shortMessage(error: unknown): string {
  if (error instanceof Error) return (error as { shortMessage?: string }).shortMessage ?? error.message;
  return String(error);
}
