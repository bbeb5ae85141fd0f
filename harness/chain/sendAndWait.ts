import {
  formatTransactionReceipt,
  type Hash,
  type RpcTransactionReceipt,
  type TransactionReceipt,
} from "viem";
import type { ChainClients } from "./clients.js";
import { runStep } from "./nodeDied.js";

export class TransactionRevertedError extends Error {
  override name = "TransactionRevertedError";
  readonly receipt: TransactionReceipt;
  constructor(step: string, receipt: TransactionReceipt) {
    super(`step "${step}": transaction ${receipt.transactionHash} reverted in block ${receipt.blockNumber}`);
    this.receipt = receipt;
  }
}

export class ReceiptTimeoutError extends Error {
  override name = "ReceiptTimeoutError";
  constructor(step: string, hashes: readonly Hash[], timeoutMs: number) {
    super(
      `step "${step}": ${hashes.length} transaction(s) not mined after ${timeoutMs} ms ` +
        `(automine off? mine a block first): ${hashes.join(", ")}`,
    );
  }
}

export type SendAndWaitParameters = {
  /** Names the step in errors (node death, revert, timeout). */
  label: string;
  /** Sends the transaction, e.g. `() => wallet.writeContract({...})`. */
  send: () => Promise<Hash>;
  /** Return a reverted receipt instead of throwing TransactionRevertedError. */
  allowRevert?: boolean | undefined;
  timeoutMs?: number | undefined;
};

export type SendAndWaitReturnType = TransactionReceipt;

/**
 * Sends a transaction and waits until it is mined. Under automine anvil answers eth_sendTransaction
 * before the block exists, so a read right after the hash can still see the old state.
 */
export function sendAndWait(
  clients: ChainClients,
  parameters: SendAndWaitParameters,
): Promise<SendAndWaitReturnType> {
  const { label } = parameters;
  return runStep({
    node: clients.node,
    step: label,
    action: async () => {
      const hash = await parameters.send();
      const [receipt] = await pollReceipts(clients, [hash], label, parameters.timeoutMs);
      if (!receipt) throw new ReceiptTimeoutError(label, [hash], parameters.timeoutMs ?? defaultTimeoutMs);
      if (receipt.status === "reverted" && !parameters.allowRevert)
        throw new TransactionRevertedError(label, receipt);
      return receipt;
    },
  });
}

export type WaitForReceiptsParameters = {
  label: string;
  hashes: readonly Hash[];
  timeoutMs?: number | undefined;
};

export type WaitForReceiptsReturnType = TransactionReceipt[];

/**
 * Waits for already-sent transactions (e.g. several sent with automine off, then one mine()). Receipts
 * come back in the order of `hashes`; reverted ones are returned, not thrown, since a same-block
 * scenario often expects some of them to fail.
 */
export function waitForReceipts(
  clients: ChainClients,
  parameters: WaitForReceiptsParameters,
): Promise<WaitForReceiptsReturnType> {
  return runStep({
    node: clients.node,
    step: parameters.label,
    action: () => pollReceipts(clients, parameters.hashes, parameters.label, parameters.timeoutMs),
  });
}

const defaultTimeoutMs = 30_000;

// Anvil usually has the receipt on the first or second poll; back off quickly to a small ceiling rather
// than viem's block-based polling, which waits a polling interval first.
async function pollReceipts(
  clients: ChainClients,
  hashes: readonly Hash[],
  label: string,
  timeoutMs = defaultTimeoutMs,
): Promise<TransactionReceipt[]> {
  const receipts = new Map<Hash, TransactionReceipt>();
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 0; ; delayMs = Math.min(25, delayMs * 2 || 1)) {
    const pending = hashes.filter((hash) => !receipts.has(hash));
    const fetched = await Promise.all(
      pending.map((hash) =>
        clients.publicClient.request({ method: "eth_getTransactionReceipt", params: [hash] }),
      ),
    );
    fetched.forEach((raw, i) => {
      const hash = pending[i];
      if (raw && hash) receipts.set(hash, formatTransactionReceipt(raw as RpcTransactionReceipt));
    });
    if (receipts.size === new Set(hashes).size)
      return hashes.map((hash) => receipts.get(hash) as TransactionReceipt);
    if (Date.now() >= deadline) {
      throw new ReceiptTimeoutError(
        label,
        hashes.filter((hash) => !receipts.has(hash)),
        timeoutMs,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}
