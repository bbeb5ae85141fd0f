import { type Address, formatLog, type Hex, type Log, numberToHex, type RpcLog } from "viem";
import type { RpcSocket } from "../fast/rpcSocket.js";

/** One call inside a simulated block: a transaction (gas set) or a read (gas left to the node). */
export type SimCall = { from: Address; to: Address; data: Hex; gas?: bigint | undefined };

/** One block to simulate: its number and timestamp are set explicitly (see simulateBlocks). */
export type SimBlock = { number: bigint; time: bigint; calls: SimCall[] };

/** What one simulated call did: its return data is the revert data when it reverted. */
export type SimCallResult = { ok: boolean; returnData: Hex; logs: Log[]; gasUsed: bigint };

export class SimulateError extends Error {
  override name = "SimulateError";
}

/**
 * anvil 1.7.1 answers up to 300 blocks per eth_simulateV1 request; newer anvil caps it at 256 blocks (and
 * 50M gas), so requests stay below both.
 */
export const maxBlocksPerRequest = 250;

type RpcSimCall = { status: Hex; returnData: Hex; logs: RpcLog[]; gasUsed: Hex };
type RpcSimBlock = { number: Hex; timestamp: Hex; calls: RpcSimCall[] };

/**
 * Runs `blocks` on top of the node's latest block with eth_simulateV1, in one request: every call sees the
 * state the calls before it left, nothing is committed. Block numbers and timestamps are overridden
 * explicitly: anvil 1.7.1 numbers the first simulated block like the latest one instead of one above it.
 * No validation (nonces, balances, fees): the harness's senders are unlocked dev or impersonated accounts,
 * as when it sends for real.
 */
export async function simulateBlocks(
  socket: RpcSocket,
  blocks: readonly SimBlock[],
): Promise<SimCallResult[][]> {
  if (blocks.length === 0) return [];
  if (blocks.length > maxBlocksPerRequest) {
    throw new SimulateError(
      `simulateBlocks: ${blocks.length} blocks, at most ${maxBlocksPerRequest} per request`,
    );
  }
  const request = {
    blockStateCalls: blocks.map((b) => ({
      blockOverrides: { number: numberToHex(b.number), time: numberToHex(b.time) },
      calls: b.calls.map((c) => ({
        from: c.from,
        to: c.to,
        data: c.data,
        ...(c.gas === undefined ? {} : { gas: numberToHex(c.gas) }),
      })),
    })),
    validation: false,
  };
  const answer = await socket.request<RpcSimBlock[]>("eth_simulateV1", [request, "latest"]);
  if (answer.length !== blocks.length) {
    throw new SimulateError(`eth_simulateV1 answered ${answer.length} blocks for ${blocks.length}`);
  }
  return answer.map((block, i) => {
    const expected = blocks[i] as SimBlock;
    if (BigInt(block.number) !== expected.number || BigInt(block.timestamp) !== expected.time) {
      throw new SimulateError(
        `eth_simulateV1 block ${i}: number ${BigInt(block.number)} at ${BigInt(block.timestamp)}, asked for ${expected.number} at ${expected.time}`,
      );
    }
    return block.calls.map((c) => ({
      ok: c.status === "0x1",
      returnData: c.returnData,
      logs: c.logs.map((l) => formatLog(l)),
      gasUsed: BigInt(c.gasUsed),
    }));
  });
}
