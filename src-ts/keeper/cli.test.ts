import path from "node:path";
import { execa } from "execa";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvil } from "../../harness/chain/anvil.js";
import { type ChainClients, createChainClients } from "../../harness/chain/clients.js";
import { repoRoot } from "../../harness/chain/foundryBinary.js";
import { sendAndWait } from "../../harness/chain/sendAndWait.js";
import { deployAndBind, type System } from "../../harness/system/system.js";
import { liquidityPoolAbi, marketAbi, mockAggregatorAbi, mockErc20Abi } from "../generated/abis.js";

const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
const cli = path.join(repoRoot, "src-ts", "keeper", "main.ts");
const keeper = (args: string[]) =>
  execa(tsx, [cli, ...args], { cwd: repoRoot, reject: false, timeout: 60_000 });

describe("keeper CLI", () => {
  let clients: ChainClients;
  let system: System;
  let alice: Address;
  let target: string[];

  beforeAll(async () => {
    const node = await startAnvil({ label: "keeper-cli" });
    clients = await createChainClients({ node });
    system = await deployAndBind({ clients, immediacyFee: 0n }); // the tests' margins are sized for the trading fee
    const [deployer, lp, a] = [clients.accounts[0], clients.accounts[4], clients.accounts[5]];
    if (!deployer || !lp || !a) throw new Error("anvil has too few dev accounts");
    alice = a;
    const send = (from: Address, address: Address, abi: never, functionName: string, args: unknown[]) =>
      sendAndWait(clients, {
        label: functionName,
        send: () =>
          (
            clients.walletClients[clients.accounts.indexOf(from)] as (typeof clients.walletClients)[0]
          ).writeContract({
            address,
            abi,
            functionName,
            args,
            gas: 3_000_000n,
          } as never),
      });
    const { collateral, market, pool, primaryFeed, secondaryFeed } = system.addresses;
    await send(lp, collateral, mockErc20Abi as never, "mint", [lp, 10n ** 12n]);
    await send(lp, collateral, mockErc20Abi as never, "approve", [pool, 10n ** 12n]);
    await send(lp, pool, liquidityPoolAbi as never, "deposit", [10n ** 12n, lp]);
    await send(alice, collateral, mockErc20Abi as never, "mint", [alice, 2_100_000_000n]);
    await send(alice, collateral, mockErc20Abi as never, "approve", [market, 2_100_000_000n]);
    await send(alice, market, marketAbi as never, "deposit", [2_100_000_000n]);
    await send(alice, market, marketAbi as never, "modifyPosition", [10n * 10n ** 18n, 0n]);
    for (const feed of [primaryFeed, secondaryFeed]) {
      await send(deployer, feed, mockAggregatorAbi as never, "setAnswer", [1850n * 10n ** 8n]);
    }
    target = ["--rpc", node.wsUrl, "--market", market, "--lens", system.addresses.lens];
  }, 60_000);

  afterAll(async () => {
    await clients?.close();
    await clients?.node.stop();
  });

  it("--once against a node ticks once, liquidates and exits 0", async () => {
    const result = await keeper([...target, "--account", clients.accounts[9] as string, "--once"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      /^keeper: market 0x[0-9a-fA-F]{40} on chain 31337 via ws:\/\/.* \(unlocked\), once$/,
    );
    expect(lines[1]).toMatch(
      /^tick 1 block \d+ Normal accounts 1 \(\+1\) liquidatable 1 \| refresh \(new price\) \| liquidate 0x/,
    );
    expect((await system.market.read.accountOf([alice])).size).toBe(0n);
  }, 60_000);

  it("prints one JSON report per tick with --json, and stops cleanly on SIGINT", async () => {
    const child = execa(tsx, [cli, ...target, "--dry-run", "--json", "--interval", "100ms"], {
      cwd: repoRoot,
      reject: false,
      timeout: 60_000,
    });
    const firstReport = new Promise<string>((resolve) => {
      let buffer = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        const line = buffer.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve(line);
      });
    });
    const report = JSON.parse(await firstReport);
    expect(report).toMatchObject({ tick: 1, dryRun: true, modeBefore: "Normal", accounts: 1, errors: [] });
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("SIGINT: stopping after the current tick");
    expect(result.stdout).toMatch(/keeper: stopped after \d+ tick\(s\)\n?$/);
  }, 60_000);

  it("a bad --rpc is a clear error and exit 2", async () => {
    const result = await keeper([...target.slice(2), "--rpc", "http://127.0.0.1:1", "--dry-run", "--once"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "keeper: cannot reach a node at --rpc http://127.0.0.1:1: HTTP request failed. (bad port)",
    );
  }, 60_000);

  it("explains bad flags, a missing contract and a locked account with exit 2", async () => {
    const missing = await keeper(["--rpc", "http://127.0.0.1:1"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^keeper: --market is required\n\nUsage: npm run keeper/);

    const nowhere = "0x000000000000000000000000000000000000dEaD";
    const noCode = await keeper([...target.slice(0, 3), nowhere, ...target.slice(4), "--dry-run", "--once"]);
    expect(noCode.exitCode).toBe(2);
    expect(noCode.stderr).toBe(`keeper: no contract at --market ${nowhere} on chain 31337`);

    const locked = await keeper([...target, "--account", nowhere, "--once"]);
    expect(locked.exitCode).toBe(2);
    expect(locked.stderr).toContain(`--account ${nowhere} is not unlocked on the node`);
  }, 60_000);
});
