import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mockAggregatorAbi, mockErc20Abi } from "../../src-ts/generated/abis.js";
import type { AnvilNode } from "./anvil.js";
import { loadArtifact } from "./artifacts.js";
import type { ChainClients } from "./clients.js";
import { DeployError, deployArtifact, deployContract } from "./deploy.js";
import { sendAndWait } from "./sendAndWait.js";
import { startTestChain } from "./testdata/testChain.js";

let node: AnvilNode;
let clients: ChainClients;
beforeAll(async () => {
  ({ node, clients } = await startTestChain({ label: "deploy" }));
});
afterAll(() => node.stop());

describe("deployContract", () => {
  test("deploys an artifact with the generated, typed ABI", async () => {
    const { bytecode } = await loadArtifact({ contract: "MockAggregator" });
    // args are type-checked against the generated ABI: (uint8, int256, int256, int256).
    const feed = await deployContract(clients, {
      label: "deploy feed",
      abi: mockAggregatorAbi,
      bytecode,
      args: [8, 2_000n * 10n ** 8n, 1n, 10n ** 30n],
    });
    expect(feed.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const [, answer] = await clients.publicClient.readContract({
      address: feed.address,
      abi: feed.abi,
      functionName: "latestRoundData",
    });
    expect(answer).toBe(2_000n * 10n ** 8n);
  });

  test("deployArtifact loads and deploys by name, from any dev account", async () => {
    const token = await deployArtifact(clients, {
      contract: "MockERC20",
      args: ["Collateral", "COL", 6],
      from: 2,
    });
    expect(token.receipt.from.toLowerCase()).toBe(clients.accounts[2]?.toLowerCase());
    const [minter] = clients.walletClients;
    const holder = clients.accounts[3];
    if (!minter || !holder) throw new Error("need four dev accounts");
    await sendAndWait(clients, {
      label: "mint",
      send: () =>
        minter.writeContract({
          address: token.address,
          abi: mockErc20Abi,
          functionName: "mint",
          args: [holder, 5_000_000n],
        }),
    });
    const balance = await clients.publicClient.readContract({
      address: token.address,
      abi: mockErc20Abi,
      functionName: "balanceOf",
      args: [holder],
    });
    expect(balance).toBe(5_000_000n);
  });

  test("refuses code that cannot be deployed, with the reason", async () => {
    await expect(deployArtifact(clients, { contract: "AggregatorV3Interface" })).rejects.toThrow(
      /no creation bytecode.*interface/,
    );
    await expect(
      deployContract(clients, { abi: [], bytecode: "0x6080__$0123456789abcdef0123456789abcdef01$__" }),
    ).rejects.toThrow(DeployError);
    await expect(
      deployContract(clients, {
        abi: [],
        bytecode: "0x00",
        from: "0x0000000000000000000000000000000000000001",
      }),
    ).rejects.toThrow(/not one of the node's dev accounts/);
  });
});
