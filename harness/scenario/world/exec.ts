import { type Address, type Hex, numberToHex, type parseEventLogs, type TransactionReceipt } from "viem";
import { marketAbi } from "../../../src-ts/generated/abis.js";
import { decodeRevert } from "../../../src-ts/protocol/errors.js";
import { mine, setAutomine } from "../../chain/mining.js";
import { waitForReceipts } from "../../chain/sendAndWait.js";
import { increaseTime } from "../../chain/time.js";
import { SpeculationError } from "../../engine/speculation.js";
import { createLogParser } from "../../fast/decodeLogs.js";
import type { OracleClass } from "../../model/types.js";
import type { World } from "./world.js";

/** One transaction to send: calldata already encoded, so single and same-block sends share one path. */
export type TxRequest = { from: Address; to: Address; data: Hex; label: string };

/** What a mined transaction did, in the model's vocabulary (see model/port.ts Outcome). */
export type ChainResult = (
  | { status: "ok" }
  | { status: "reverted"; error: string; args: readonly unknown[] }
  | { status: "tripped"; oracleClass: OracleClass }
  | { status: "invariant"; invariant: number }
) & { receipt: TransactionReceipt; label: string; events: MarketEvent[] };

export type MarketEvent = ReturnType<typeof parseEventLogs<typeof marketAbi>>[number];

const parseMarketLogs = createLogParser(marketAbi);

// Explicit gas skips estimation: a reverting transaction is mined like any other (so every step fills
// the same blocks whatever it predicts), and its revert data is read back from the trace.
const gasLimit = numberToHex(3_000_000n);

/**
 * Refuses to touch the real chain while a command runs on the engine's simulated blocks (the chain is
 * still at the last flush: what it would answer is stale).
 */
export function assertOnChain(w: World, what: string): void {
  if (w.speculation?.active) {
    throw new SpeculationError(
      `${what} needs the real chain, which is still at the simulated blocks' base (harness/engine/)`,
    );
  }
}

/** Sends one transaction and waits for its block (automine). */
export async function send(w: World, request: TxRequest): Promise<ChainResult> {
  assertOnChain(w, `send ${request.label}`);
  const hash = await submit(w, request);
  const [receipt] = await waitForReceipts(w.clients, { label: request.label, hashes: [hash] });
  w.clock.mined(receipt as TransactionReceipt);
  return classify(w, request.label, receipt as TransactionReceipt);
}

/**
 * Sends several transactions into ONE block, in this order (the node orders FIFO): automine off, send,
 * mine, automine back on, whatever happens in between.
 */
export async function sendBlock(w: World, requests: readonly TxRequest[]): Promise<ChainResult[]> {
  if (requests.length === 0) return [];
  assertOnChain(w, "sendBlock");
  const label = requests.map((r) => r.label).join(" | ");
  const hashes: Hex[] = [];
  await setAutomine(w.clients, { enabled: false, label: `automine off: ${label}` });
  try {
    for (const request of requests) hashes.push(await submit(w, request));
    await mine(w.clients, { label: `mine: ${label}` });
  } finally {
    await setAutomine(w.clients, { enabled: true, label: `automine on: ${label}` });
  }
  const receipts = await waitForReceipts(w.clients, { label, hashes });
  const blocks = new Set(receipts.map((r) => r.blockNumber));
  if (blocks.size !== 1) throw new Error(`sendBlock: ${label} landed in ${blocks.size} blocks, expected one`);
  w.clock.mined(receipts[0] as TransactionReceipt);
  return Promise.all(receipts.map((receipt, i) => classify(w, requests[i]?.label ?? label, receipt)));
}

/** Mines one empty block (time passing with nobody acting). */
export async function mineEmpty(w: World): Promise<void> {
  if (w.speculation?.active) {
    const number = w.clock.block + 1n;
    const time = w.clock.next();
    w.speculation.block(number, time, []);
    w.clock.minedAt(number, time);
    return;
  }
  await mine(w.clients, { label: "mine empty block" });
  const block = await w.clients.publicClient.getBlock({ blockTag: "latest" });
  w.clock.minedAt(block.number, block.timestamp);
}

/** Makes the next block `seconds` after the latest one (instead of the usual interval). */
export async function warp(w: World, seconds: bigint): Promise<void> {
  if (w.speculation?.active) {
    if (seconds < 0n) throw new RangeError(`warp: seconds must be >= 0, got ${seconds}`);
    w.clock.pending = w.clock.latest + seconds;
    return;
  }
  const { timestamp } = await increaseTime(w.clients, { seconds });
  w.clock.pending = timestamp;
}

function submit(w: World, request: TxRequest): Promise<Hex> {
  return w.clients.publicClient.request({
    method: "eth_sendTransaction",
    params: [{ from: request.from, to: request.to, data: request.data, gas: gasLimit }],
  } as never) as Promise<Hex>;
}

/** Reads a mined transaction's outcome: revert data from the trace, trips from the market's events. */
export async function classify(w: World, label: string, receipt: TransactionReceipt): Promise<ChainResult> {
  const data = receipt.status === "reverted" ? await revertData(w, receipt.transactionHash) : undefined;
  return outcomeOf(w, label, receipt, data);
}

/** A transaction's outcome from its receipt (mined or simulated) and, if it reverted, its revert data. */
export function outcomeOf(
  w: World,
  label: string,
  receipt: TransactionReceipt,
  revertData: Hex | undefined,
): ChainResult {
  if (receipt.status === "reverted") {
    const { error, args } = decodeRevert(revertData);
    return { status: "reverted", error, args, receipt, label, events: [] };
  }
  const events = parseMarketLogs(receipt.logs).filter(
    (log) => log.address.toLowerCase() === w.system.addresses.market.toLowerCase(),
  );
  for (const event of events) {
    if (event.eventName === "InvariantViolated") {
      return { status: "invariant", invariant: event.args.invariant, receipt, label, events };
    }
    if (event.eventName === "BreakerTripped") {
      return { status: "tripped", oracleClass: event.args.class as OracleClass, receipt, label, events };
    }
  }
  return { status: "ok", receipt, label, events };
}

async function revertData(w: World, hash: Hex): Promise<Hex | undefined> {
  const trace = (await w.clients.publicClient.request({
    method: "debug_traceTransaction",
    params: [hash, { tracer: "callTracer" }],
  } as never)) as { output?: Hex };
  return trace.output;
}
