import { readFileSync } from "node:fs";
import path from "node:path";
import { encodeFunctionData, numberToHex, pad } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mockErc20Abi } from "../../src-ts/generated/abis.js";
import { repoRoot } from "../chain/foundryBinary.js";
import { InvariantViolation } from "../scenario/contract.js";
import type { ScenarioHarnessReturnType } from "../scenario/index.js";
import { startScenarioHarness } from "../scenario/testing.js";

// The checks must be able to fail: change the chain behind the model's back and expect the named violation.

let harness: ScenarioHarnessReturnType;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ harness, stop } = await startScenarioHarness("tamper-test"));
}, 60_000);
afterAll(async () => {
  await stop?.();
});

/** Market._agg's slot, from the build's storage layout (longOpenInterest is its first word). */
const AGGREGATES_SLOT = (() => {
  const artifact = JSON.parse(
    readFileSync(path.join(repoRoot, "out", "Market.sol", "Market.json"), "utf8"),
  ) as {
    storageLayout?: { storage: { label: string; slot: string }[] };
  };
  const agg = artifact.storageLayout?.storage.find((v) => v.label === "_agg");
  if (!agg)
    throw new Error("out/Market.sol/Market.json has no storage layout entry for _agg: run forge build");
  return BigInt(agg.slot);
})();

async function runOne(name: string, args: Record<string, never> | Record<string, number | string | boolean>) {
  const { model, real } = await harness.setup();
  return { model, real, command: harness.rebuild(name, args) };
}

describe("tampering is caught", () => {
  it("collateral minted to a trader the model does not know of: model-equality names the wallet", async () => {
    const { model, real, command } = await runOne("timePasses", { seconds: 60, refresh: true });
    const trader = real.actors.traders[0] as `0x${string}`;
    const hash = await real.clients.publicClient.request({
      method: "eth_sendTransaction",
      params: [
        {
          from: real.actors.operator,
          to: real.system.addresses.collateral,
          data: encodeFunctionData({ abi: mockErc20Abi, functionName: "mint", args: [trader, 1n] }),
        },
      ],
    } as never);
    await real.clients.publicClient.waitForTransactionReceipt({ hash: hash as `0x${string}` });
    real.clock.minedAt(real.clock.block + 1n, real.clock.next());
    const error = await command.run(model, real).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvariantViolation);
    const info = (error as InvariantViolation).info;
    expect(info.invariant).toBe("model-equality");
    expect(info.diff.map((d) => d.path)).toEqual([
      expect.stringMatching(new RegExp(`^accounts\\.${trader}\\.walletBalance$`, "i")),
    ]);
    expect(info.step).toBe(0);
  }, 60_000);

  it("open interest rewritten in storage: the protocol check reports open-interest", async () => {
    const { model, real, command } = await runOne("timePasses", { seconds: 60, refresh: false });
    await real.clients.testClient.setStorageAt({
      address: real.system.addresses.market,
      index: numberToHex(AGGREGATES_SLOT, { size: 32 }),
      value: pad(numberToHex(10n ** 18n), { size: 32 }),
    });
    const error = await command.run(model, real).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvariantViolation);
    expect((error as InvariantViolation).info).toMatchObject({
      invariant: "open-interest",
      expected: "0",
      actual: "1000000000000000000",
    });
  }, 60_000);
});
