import { parseEther, parseGwei } from "viem";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { AnvilNode } from "./anvil.js";
import type { ChainClients } from "./clients.js";
import { deployArtifact } from "./deploy.js";
import { mine, setAutomine } from "./mining.js";
import {
  ReceiptTimeoutError,
  sendAndWait,
  TransactionRevertedError,
  waitForReceipts,
} from "./sendAndWait.js";
import { type Baseline, takeBaseline } from "./snapshots.js";
import { startTestChain } from "./testdata/testChain.js";
import { increaseTime } from "./time.js";

let node: AnvilNode;
let clients: ChainClients;
let baseline: Baseline;
beforeAll(async () => {
  ({ node, clients } = await startTestChain({ label: "sendAndWait" }));
  baseline = await takeBaseline(clients);
});
beforeEach(() => baseline.resetToBaseline());
afterAll(() => node.stop());

function wallets() {
  const [a, b, c] = clients.walletClients;
  if (!a || !b || !c) throw new Error("need three dev accounts");
  return [a, b, c] as const;
}

describe("sendAndWait", () => {
  test("a reverted transaction throws, naming the step, unless reverts are allowed", async () => {
    const [deployer, other] = wallets();
    const token = await deployArtifact(clients, { contract: "MockERC20", args: ["Token", "TKN", 18] });
    // Explicit gas skips estimation, so the failing transfer is mined (and reverts) instead of refused.
    const send = () =>
      other.writeContract({
        address: token.address,
        abi: token.abi,
        functionName: "transfer",
        args: [deployer.account.address, 1n],
        gas: 100_000n,
      });
    await expect(sendAndWait(clients, { label: "overdrawn transfer", send })).rejects.toThrow(
      TransactionRevertedError,
    );
    await expect(sendAndWait(clients, { label: "overdrawn transfer", send })).rejects.toThrow(
      /step "overdrawn transfer"/,
    );
    const receipt = await sendAndWait(clients, { label: "allowed", send, allowRevert: true });
    expect(receipt.status).toBe("reverted");
  });
});

describe("mining control", () => {
  test("with automine off, transactions wait for mine() and land in one block in the order sent", async () => {
    const [a, b, c] = wallets();
    await setAutomine(clients, { enabled: false });
    try {
      // The second transaction pays a higher tip: fee ordering would put it first, FIFO must not.
      const fees = (tip: string) => ({ maxFeePerGas: parseGwei("50"), maxPriorityFeePerGas: parseGwei(tip) });
      const first = await a.sendTransaction({ to: c.account.address, value: 1n, ...fees("1") });
      const second = await b.sendTransaction({ to: c.account.address, value: 1n, ...fees("9") });
      await expect(
        waitForReceipts(clients, { label: "before mining", hashes: [first, second], timeoutMs: 100 }),
      ).rejects.toThrow(ReceiptTimeoutError);

      await mine(clients);
      const [r1, r2] = await waitForReceipts(clients, { label: "after mining", hashes: [first, second] });
      expect(r1?.blockNumber).toBe(r2?.blockNumber);
      expect([r1?.transactionIndex, r2?.transactionIndex]).toEqual([0, 1]);
    } finally {
      await setAutomine(clients, { enabled: true });
    }
  });

  test("mine mines the number of blocks asked", async () => {
    const before = await clients.publicClient.getBlockNumber();
    await mine(clients, { blocks: 5 });
    expect(await clients.publicClient.getBlockNumber()).toBe(before + 5n);
  });

  test("increaseTime sets the next block exactly that much later than the latest", async () => {
    const [a, b] = wallets();
    const latest = await clients.publicClient.getBlock({ blockTag: "latest" });
    const { timestamp } = await increaseTime(clients, { seconds: 3_600 });
    expect(timestamp).toBe(latest.timestamp + 3_600n);
    const receipt = await sendAndWait(clients, {
      label: "tx after the jump",
      send: () => a.sendTransaction({ to: b.account.address, value: parseEther("0.1") }),
    });
    const block = await clients.publicClient.getBlock({ blockNumber: receipt.blockNumber });
    expect(block.timestamp).toBe(latest.timestamp + 3_600n);

    await increaseTime(clients, { seconds: 60, mine: true });
    const mined = await clients.publicClient.getBlock({ blockTag: "latest" });
    expect(mined.timestamp).toBe(block.timestamp + 60n);
    // Afterwards blocks continue at the node's fixed interval.
    await mine(clients);
    const next = await clients.publicClient.getBlock({ blockTag: "latest" });
    expect(next.timestamp).toBe(mined.timestamp + BigInt(node.blockTimestampInterval ?? 0));
  });
});
