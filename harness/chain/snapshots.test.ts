import { parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AnvilNode } from "./anvil.js";
import type { ChainClients } from "./clients.js";
import { mine } from "./mining.js";
import { sendAndWait } from "./sendAndWait.js";
import { revert, SnapshotConsumedError, snapshot, takeBaseline } from "./snapshots.js";
import { startTestChain } from "./testdata/testChain.js";

let node: AnvilNode;
let clients: ChainClients;
beforeAll(async () => {
  ({ node, clients } = await startTestChain({ label: "snapshots" }));
});
afterAll(() => node.stop());

async function state() {
  const block = await clients.publicClient.getBlock({ blockTag: "latest" });
  const balance = await clients.publicClient.getBalance({ address: clients.accounts[1] as `0x${string}` });
  return { number: block.number, timestamp: block.timestamp, balance };
}

async function changeState() {
  const [sender] = clients.walletClients;
  if (!sender) throw new Error("need a dev account");
  await sendAndWait(clients, {
    label: "change state",
    send: () => sender.sendTransaction({ to: clients.accounts[1], value: parseEther("1") }),
  });
  await mine(clients, { blocks: 3 });
}

describe("snapshot / revert", () => {
  test("revert restores the state and hands back a fresh snapshot of it", async () => {
    const before = await state();
    const id = await snapshot(clients);
    await changeState();
    expect(await state()).not.toEqual(before);

    const again = await revert(clients, { id });
    expect(await state()).toEqual(before);
    expect(again).not.toBe(id);

    // The old id is spent; the new one works. (Anvil itself would also delete `again` when asked to
    // revert to the spent id; the guard must stop that request.)
    await changeState();
    await expect(revert(clients, { id, label: "reuse spent id" })).rejects.toThrow(SnapshotConsumedError);
    await expect(revert(clients, { id, label: "reuse spent id" })).rejects.toThrow(/step "reuse spent id"/);
    await revert(clients, { id: again });
    expect(await state()).toEqual(before);
  });

  test("reverting to an earlier snapshot consumes the later ones", async () => {
    const early = await snapshot(clients);
    await changeState();
    const late = await snapshot(clients);
    await revert(clients, { id: early });
    await expect(revert(clients, { id: late })).rejects.toBeInstanceOf(SnapshotConsumedError);
  });
});

describe("baseline", () => {
  test("resetToBaseline can be repeated and restores block number, timestamp and balances exactly", async () => {
    await changeState();
    const baselineState = await state();
    const baseline = await takeBaseline(clients);
    const trajectories: unknown[] = [];
    for (let run = 0; run < 3; run++) {
      await changeState();
      trajectories.push(await state());
      await baseline.resetToBaseline();
      expect(await state()).toEqual(baselineState);
    }
    // Same actions from the same baseline give the same blocks, timestamps included (no wall clock).
    expect(trajectories[1]).toEqual(trajectories[0]);
    expect(trajectories[2]).toEqual(trajectories[0]);
  });

  test("a baseline consumed by an earlier revert fails loudly", async () => {
    const early = await snapshot(clients);
    const baseline = await takeBaseline(clients);
    await revert(clients, { id: early });
    await expect(baseline.resetToBaseline()).rejects.toThrow(/step "reset to baseline".*no longer exists/);
  });
});
