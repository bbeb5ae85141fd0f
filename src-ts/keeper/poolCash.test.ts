// The keeper's pool-cash step, judged on its decisions alone: a KeeperIo that serves a fixed state and records
// what the keeper would send (the chain path is covered by keeper.test.ts).
import { type Address, createPublicClient, createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { createKeeper, type KeeperIo, type KeeperState } from "./index.js";

const address = (i: number) => `0x${i.toString(16).padStart(40, "0")}` as Address;
const [alice, bob, carol, dave] = [address(1), address(2), address(3), address(4)];

type Row = { account: Address; margin: bigint; equity: bigint; size: bigint; liquidatable?: boolean };

function stateOf(poolCash: bigint, rows: Row[]): KeeperState {
  return {
    market: { mode: 0, haltFlags: 0, price: 2000n, timestamp: 1n, agg: { poolCash } },
    accounts: rows.map((r) => ({
      account: r.account,
      state: { margin: r.margin, size: r.size, openNotional: 0n, fundingIndex: 0n },
      equity: r.equity,
      maintenanceRequired: 0n,
      liquidatable: r.liquidatable ?? false,
    })),
    peek: { class: 1, price: 2000n },
  } as unknown as KeeperState;
}

/** Runs one tick on `state` and returns the (kind, account) of every call the keeper sent. */
async function decisions(state: KeeperState): Promise<[string, Address | undefined][]> {
  const rpc = http("http://127.0.0.1:1"); // never used: every read and write goes through the io below
  const keeper = createKeeper({
    publicClient: createPublicClient({ transport: rpc }),
    walletClient: createWalletClient({
      account: privateKeyToAccount(`0x${"11".repeat(32)}`),
      transport: rpc,
    }),
    market: carol,
    lens: dave,
  });
  const sent: [string, Address | undefined][] = [];
  const io: KeeperIo = {
    head: async () => ({ number: 1n, timestamp: 1n, added: [], rescanned: false }),
    accounts: () => state.accounts.map((a) => a.account),
    readState: async () => state,
    exitOpensAt: async () => 0n,
    collateralDecimals: async () => 6,
    transact: async (kind, account) => {
      sent.push([kind, account]);
      return { kind: "done", result: undefined };
    },
  };
  await keeper.tick(io);
  return sent;
}

describe("keeper: the pool's cash for the winners", () => {
  it("settles the largest solvent losses until the cash covers what the winners are owed", async () => {
    const state = stateOf(100n, [
      { account: alice, margin: 1_000n, equity: 1_600n, size: 10n }, // owed 600: short by 500
      { account: bob, margin: 1_000n, equity: 700n, size: -4n }, // loss 300
      { account: carol, margin: 1_000n, equity: 600n, size: -6n }, // loss 400: the largest, first
      { account: dave, margin: 100n, equity: -50n, size: -1n, liquidatable: true }, // for the liquidators
    ]);
    const sent = (await decisions(state)).filter(([kind]) => kind === "settleLoss");
    expect(sent).toEqual([
      ["settleLoss", carol],
      ["settleLoss", bob],
    ]);
  });

  it("settles nothing while the cash covers the winners", async () => {
    const state = stateOf(600n, [
      { account: alice, margin: 1_000n, equity: 1_600n, size: 10n },
      { account: bob, margin: 1_000n, equity: 400n, size: -10n },
    ]);
    expect((await decisions(state)).filter(([kind]) => kind === "settleLoss")).toEqual([]);
  });
});
