import {
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type DecodeFunctionResultReturnType,
  encodeFunctionData,
  formatTransactionReceipt,
  type Hash,
  type Hex,
  numberToHex,
  type RpcTransactionReceipt,
  type TransactionReceipt,
} from "viem";
import { createResultDecoder } from "./decodeResult.js";
import { openRpcSocket, type RpcSocket } from "./rpcSocket.js";

/** A transaction from an account the node has unlocked (anvil's dev accounts). */
export type FastTx = {
  from: Address;
  to: Address;
  data: Hex;
  value?: bigint | undefined;
  /** Default: the chain's `gas`. Never estimated (see createFastChain). */
  gas?: bigint | undefined;
};

/** An eth_call to run in the same round trip as a block's receipts. */
export type FastCall = { to: Address; data: Hex; from?: Address | undefined };

export class FastBlockError extends Error {
  override name = "FastBlockError";
}

export class FastReceiptTimeoutError extends Error {
  override name = "FastReceiptTimeoutError";
}

export type SendBlockParameters = {
  /** Mined in one block, in this order (also when several share a sender). */
  txs: readonly FastTx[];
  /** Calls answered against the new block, in the same round trip as its receipts. */
  reads?: readonly FastCall[] | undefined;
};

export type SendBlockReturnType = { receipts: TransactionReceipt[]; reads: Hex[] };

export type FastChain = {
  readonly socket: RpcSocket;
  /**
   * Sends and waits until mined: eth_sendTransaction, then eth_getTransactionReceipt (found on the first
   * poll most of the time). Needs automine on. Throws FastReceiptTimeoutError if it is never mined.
   */
  send(tx: FastTx): Promise<TransactionReceipt>;
  /**
   * N transactions in one block, in order: one batch of sends, one evm_mine, one batch of receipts and
   * reads. Needs automine off. Verifies that the block holds exactly these transactions in this order.
   */
  sendBlock(parameters: SendBlockParameters): Promise<SendBlockReturnType>;
  /** eth_call against the latest block. */
  call(call: FastCall): Promise<Hex>;
  /** eth_call of a view function, encoded and decoded with the ABI (viem's types). */
  read<
    const abi extends Abi,
    functionName extends ContractFunctionName<abi, "pure" | "view">,
    const args extends ContractFunctionArgs<abi, "pure" | "view", functionName>,
  >(parameters: {
    address: Address;
    abi: abi;
    functionName: functionName;
    args: args;
  }): Promise<DecodeFunctionResultReturnType<abi, functionName, args>>;
  /** The revert data of a mined, reverted transaction (debug_traceTransaction): decode it with the ABI. */
  revertData(hash: Hash): Promise<Hex | undefined>;
  setAutomine(enabled: boolean): Promise<void>;
  close(): void;
};

export type CreateFastChainParameters = {
  /** The node's ws:// URL (e.g. clients.node.wsUrl), or an open socket to share. */
  url?: string | undefined;
  socket?: RpcSocket | undefined;
  /**
   * Gas limit of every transaction that does not set one. Fixed rather than estimated: an estimate is a
   * second EVM execution per transaction, it comes out short on anvil when the next block's timestamp
   * changes the path (the market's funding accrual), and a send that fails its estimate never reaches a
   * block, whereas a fuzz step wants the reverted receipt. Default 5,000,000.
   */
  gas?: bigint | undefined;
  /** Per RPC request (default 30 s). */
  timeoutMs?: number | undefined;
  /** How long send() waits for its transaction to be mined (default 30 s). */
  receiptTimeoutMs?: number | undefined;
};

export type CreateFastChainReturnType = FastChain;

/**
 * The harness's fast path to anvil: one WebSocket, raw JSON-RPC, pre-encoded calldata, fixed gas, compiled
 * result decoders. About three round trips per step (send, receipt, one Lens read), four per block of N.
 */
export async function createFastChain(
  parameters: CreateFastChainParameters,
): Promise<CreateFastChainReturnType> {
  const socket =
    parameters.socket ??
    (parameters.url
      ? await openRpcSocket({ url: parameters.url, timeoutMs: parameters.timeoutMs })
      : raise("createFastChain: pass `url` or `socket`"));
  const defaultGas = parameters.gas ?? 5_000_000n;
  const receiptTimeoutMs = parameters.receiptTimeoutMs ?? 30_000;

  const rpcTx = (tx: FastTx, nonce?: bigint) => ({
    from: tx.from,
    to: tx.to,
    data: tx.data,
    gas: numberToHex(tx.gas ?? defaultGas),
    ...(tx.value === undefined ? {} : { value: numberToHex(tx.value) }),
    ...(nonce === undefined ? {} : { nonce: numberToHex(nonce) }),
  });
  const rpcCall = (c: FastCall) => ({ to: c.to, data: c.data, ...(c.from ? { from: c.from } : {}) });

  const chain: FastChain = {
    socket,
    // Not eth_sendTransactionSync, although it saves a round trip: on anvil 1.7 under load it missed the
    // block about once in ten thousand sends here and hung until its 30 s timeout (likely a race between its
    // new-block subscription and automine). Polling measured the same per step, CPU included.
    async send(tx) {
      const hash = await socket.request<Hash>("eth_sendTransaction", [rpcTx(tx)]);
      const deadline = Date.now() + receiptTimeoutMs;
      for (let delay = 0; ; delay = Math.min(2, delay * 2 || 0.25)) {
        const raw = await socket.request<RpcTransactionReceipt | null>("eth_getTransactionReceipt", [hash]);
        if (raw) return formatTransactionReceipt(raw);
        if (Date.now() > deadline) {
          throw new FastReceiptTimeoutError(
            `${hash} not mined after ${receiptTimeoutMs} ms (is automine off?)`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    },

    async sendBlock({ txs, reads = [] }) {
      if (txs.length === 0) throw new FastBlockError("sendBlock: no transactions");
      // A batch's sends run concurrently: a sender that appears twice needs explicit nonces.
      const counts = new Map<string, number>();
      for (const tx of txs) counts.set(tx.from.toLowerCase(), (counts.get(tx.from.toLowerCase()) ?? 0) + 1);
      const repeated = [...counts].filter(([, n]) => n > 1).map(([from]) => from);
      const nonces = new Map<string, bigint>();
      if (repeated.length > 0) {
        const answers = await socket.batch<Hex>(
          repeated.map((from) => ({ method: "eth_getTransactionCount", params: [from, "pending"] })),
        );
        answers.forEach((a, i) => {
          if (!a.ok) throw a.error;
          nonces.set(repeated[i] as string, BigInt(a.result));
        });
      }
      const sends = await socket.batch<Hash>(
        txs.map((tx) => {
          const key = tx.from.toLowerCase();
          const nonce = nonces.get(key);
          if (nonce !== undefined) nonces.set(key, nonce + 1n);
          return { method: "eth_sendTransaction", params: [rpcTx(tx, nonce)] };
        }),
      );
      // Mine even when a send failed, so that the others do not linger in the pool into a later block.
      await socket.request("evm_mine");
      const failed = sends.flatMap((s, i) => (s.ok ? [] : [`#${i}: ${s.error.message}`]));
      if (failed.length > 0)
        throw new FastBlockError(`sendBlock: ${failed.length} send(s) failed: ${failed.join("; ")}`);

      const [receiptsAnswer, ...readAnswers] = await socket.batch([
        { method: "eth_getBlockReceipts", params: ["latest"] },
        ...reads.map((r) => ({ method: "eth_call", params: [rpcCall(r), "latest"] })),
      ]);
      if (!receiptsAnswer?.ok) throw receiptsAnswer?.error ?? new FastBlockError("sendBlock: no receipts");
      const receipts = (receiptsAnswer.result as RpcTransactionReceipt[]).map((r) =>
        formatTransactionReceipt(r),
      );
      const sent = sends.map((s) => (s.ok ? s.result : "?"));
      const mined = receipts.map((r) => r.transactionHash);
      if (mined.length !== sent.length || mined.some((hash, i) => hash !== sent[i])) {
        throw new FastBlockError(
          `sendBlock: the block holds [${mined.join(", ")}], not the ${sent.length} transaction(s) sent in order ` +
            `[${sent.join(", ")}] (is automine on? another client sending?)`,
        );
      }
      const values = readAnswers.map((a) => {
        if (!a.ok) throw a.error;
        return a.result as Hex;
      });
      return { receipts, reads: values };
    },

    call(c) {
      return socket.request<Hex>("eth_call", [rpcCall(c), "latest"]);
    },

    read: (async (p: { address: Address; abi: Abi; functionName: string; args: readonly unknown[] }) => {
      const data = encodeFunctionData({ abi: p.abi, functionName: p.functionName, args: p.args });
      return decoderFor(p.abi, p.functionName)(await chain.call({ to: p.address, data }));
    }) as FastChain["read"],

    async revertData(hash) {
      const trace = await socket.request<{ output?: Hex; error?: string }>("debug_traceTransaction", [
        hash,
        { tracer: "callTracer", tracerConfig: { onlyTopCall: true } },
      ]);
      return trace.error ? trace.output : undefined;
    },

    async setAutomine(enabled) {
      await socket.request("evm_setAutomine", [enabled]);
    },

    close() {
      if (!parameters.socket) socket.close();
    },
  };
  return chain;
}

// Compiled result decoders, per ABI object and function (see decodeResult.ts).
const decoders = new WeakMap<Abi, Map<string, (data: Hex) => unknown>>();
function decoderFor(abi: Abi, functionName: string): (data: Hex) => unknown {
  let byName = decoders.get(abi);
  if (!byName) {
    byName = new Map();
    decoders.set(abi, byName);
  }
  let decoder = byName.get(functionName);
  if (!decoder) {
    decoder = createResultDecoder({ abi, functionName } as never) as (data: Hex) => unknown;
    byName.set(functionName, decoder);
  }
  return decoder;
}

function raise(message: string): never {
  throw new Error(message);
}
