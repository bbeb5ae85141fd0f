// The Foundry writer's refusals, without a node: what it cannot express it names instead of writing a test
// that asserts nothing.
import { type Hex, toHex, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { ForgeTestError, writeForgeTest } from "./forgeTest.js";
import { create2Deployer } from "./libraries.js";
import type { Recording } from "./recording.js";

const addresses = {
  collateral: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  primaryFeed: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  secondaryFeed: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
  oracle: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
  market: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
  pool: "0x0165878A594ca255338adfa4d48449f69242Eb8F",
  lens: "0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6",
  guardian: "0x1Cb11056C6Cb0903CFb4f15efe0a118c5ac6ec93",
  timelock: "0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0",
} as const;

function recording(invariant: string, txTo: `0x${string}` | null = addresses.market): Recording {
  const failure = { invariant, expected: null, actual: null, diff: [], step: 0 };
  const tx = {
    hash: `0x${"1".repeat(64)}`,
    block: 20n,
    timestamp: 1_700_000_240n,
    from: zeroAddress,
    to: txTo,
    input: "0x",
    value: 0n,
    gas: 3_000_000n,
    label: "t0 deposit",
    call: "market.deposit(1)",
    outcome: { status: "ok" },
    events: { trips: [], modeChanges: [], breaker: [] },
  };
  return {
    artifact: {
      failure,
      scenario: "mixed",
      seed: 1,
      path: "0",
      harnessVersion: "0.1.0",
      commands: [{ name: "deposit", args: {} }],
    },
    result: { status: "reproduced", failure, trace: [], ran: [] },
    failure,
    addresses,
    accounts: [],
    roles: new Map(),
    deployment: [{ block: 1n, timestamp: 1_700_000_012n, hash: `0x${"2".repeat(64)}` }],
    deployer: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    safeOwners: [],
    safeThreshold: 2n,
    baseline: [],
    steps: [
      {
        index: 0,
        command: "deposit",
        block: 20n,
        timestamp: 1_700_000_240n,
        txs: [tx],
        snapshot: undefined,
        feeds: undefined,
      },
    ],
  } as unknown as Recording;
}

describe("writeForgeTest refusals", () => {
  it("names a property it has no Solidity translation for", () => {
    expect(() => writeForgeTest(recording("claims-within-assets"))).toThrow(ForgeTestError);
    expect(() => writeForgeTest(recording("claims-within-assets"))).toThrow(
      /no Foundry translation for the property "claims-within-assets"/,
    );
  });

  it("needs the failing step, but for a fixed replay of a campaign promise, which is asserted on every step that ran", () => {
    const ended = (invariant: string, status: "fixed" | "reproduced") => {
      const r = recording(invariant);
      (r.failure as { step: number }).step = 3; // the replay ran step 0 only
      (r.result as { status: string }).status = status;
      return () => writeForgeTest(r);
    };
    expect(ended("no-invariant-trip", "fixed")).toThrow(/the replay has no step 3/);
    expect(ended("no-exposure-no-mode-change", "reproduced")).toThrow(/the replay has no step 3/);
    expect(ended("no-exposure-no-mode-change", "fixed")().source).toContain("no-exposure-no-mode-change");
  });

  it("refuses a replay that creates contracts, naming the transaction", () => {
    expect(() => writeForgeTest(recording("no-invariant-trip", null))).toThrow(/creates a contract/);
  });

  it("sends forge's library deployments first, in its order, before the system's own transactions", () => {
    const r = recording("no-invariant-trip");
    const library = (id: string, salt: bigint) => ({
      block: 1n,
      timestamp: 1_700_000_012n,
      hash: `0x${"3".repeat(64)}` as Hex,
      to: create2Deployer,
      library: { id, salt: toHex(salt, { size: 32 }), address: zeroAddress },
    });
    r.deployment.unshift(library("src/L.sol:A", 0n), library("src/L.sol:B", 7n));
    const source = writeForgeTest(r).source;
    const a = source.indexOf('_deployLibrary("src/L.sol:A", bytes32(0));');
    const b = source.indexOf(`_deployLibrary("src/L.sol:B", bytes32(${toHex(7n, { size: 32 })}));`);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    expect(source.indexOf("s = _deploySystem(DEPLOYER);")).toBeGreaterThan(b);
    expect(source).toContain("assertEq(_deployTx, 3,");
    expect(source).toContain("CREATE2_DEPLOYER.call(abi.encodePacked(salt, vm.getCode(artifact)))");

    r.deployment.push(library("src/L.sol:C", 0n));
    expect(() => writeForgeTest(r)).toThrow(/library src\/L.sol:C after the script's own transactions began/);
  });

  it("names a deployment through the CREATE2 deployer that is no library of the build", () => {
    const r = recording("no-invariant-trip");
    r.deployment.unshift({ ...(r.deployment[0] as Recording["deployment"][number]), to: create2Deployer });
    expect(() => writeForgeTest(r)).toThrow(/no library the build links/);
  });

  it("writes a translated property: the check after the step, the transaction with its block, time and sender", () => {
    const test = writeForgeTest(recording("no-invariant-trip"));
    expect(test.name).toMatch(/^Repro_no_invariant_trip_mixed_seed1_[0-9a-f]{8}$/);
    expect(test.source).toContain(`_tx(20, 1700000240, ${zeroAddress}, address(s.market), 0, hex"")`);
    expect(test.source).toContain('assertEq(uint256(m.haltFlags & 2), 0, string.concat("no-invariant-trip: ');
    expect(test.source).toContain("if (i == 0) return (1, 1700000012);");
  });
});
