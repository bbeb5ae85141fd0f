import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCampaign } from "./run.js";
import { createStandInHarness, type StandInHarness } from "./testing/standIn.js";
import { createToyHarness } from "./testing/toyHarness.js";
import { type ChainWorld, startChainWorld } from "./world.js";

describe("runCampaign (chainless)", () => {
  it("shrinks to the minimal failing sequence and returns its path", async () => {
    const harness = createToyHarness({ aLimit: 3 });
    const result = await runCampaign({ harness, scenario: "mixed", seed: 7, runs: 200, maxCommands: 20 });
    expect(result.status).toBe("failed");
    if (result.status !== "failed") return;
    const { counterexample } = result;
    expect(counterexample.failure.invariant).toBe("too-many-a");
    // Shrunk: exactly three a-commands, nothing else, weights shrunk to 0.
    expect(counterexample.commands).toEqual([0, 0, 0].map((weight) => ({ name: "a", args: { weight } })));
    expect(counterexample.trace.map((s) => s.name)).toEqual(["a", "a", "a"]);
    expect(counterexample.path).toMatch(/^\d+(:\d+)*$/);
    expect(counterexample.seed).toBe(7);
  });

  it("keeps shrinking the first failure when candidates fail with another invariant", async () => {
    const harness = createToyHarness({ aLimit: 3, decoyAfterFirstFailure: true });
    const result = await runCampaign({ harness, scenario: "mixed", seed: 11, runs: 200, maxCommands: 20 });
    expect(result.status).toBe("failed");
    if (result.status !== "failed") return;
    expect(result.stats.otherFailures).toBeGreaterThan(0);
    expect(result.counterexample.failure.invariant).toBe("too-many-a");
    expect(result.counterexample.commands.every((c) => c.name === "a")).toBe(true);
  });

  it("replaying the counterexample's path fails at once with the same case", async () => {
    const harness = createToyHarness({ aLimit: 3 });
    const first = await runCampaign({ harness, scenario: "mixed", seed: 7, runs: 200, maxCommands: 20 });
    if (first.status !== "failed") throw new Error("expected a failure");
    const again = await runCampaign({
      harness,
      scenario: "mixed",
      seed: 7,
      path: first.counterexample.path,
      replayPath: first.counterexample.replayPath,
      runs: 200,
      maxCommands: 20,
    });
    if (again.status !== "failed") throw new Error("expected a failure");
    expect(again.counterexample.commands).toEqual(first.counterexample.commands);
    expect(again.stats.runs).toBe(1 + again.stats.shrinkRuns);
  });

  it("stops starting runs after the time budget and reports it passed", async () => {
    const harness = createToyHarness({ aLimit: 1_000 });
    const result = await runCampaign({
      harness,
      scenario: "mixed",
      seed: 1,
      runs: 1_000_000_000,
      maxCommands: 5,
      timeBudgetMs: 200,
    });
    expect(result).toMatchObject({ status: "passed", interrupted: true });
  });
});

describe("runCampaign (stand-in harness on anvil)", () => {
  let world: ChainWorld;
  let harness: StandInHarness;
  beforeAll(async () => {
    world = await startChainWorld({ label: "run-test" });
    harness = await createStandInHarness({ world, toyMarginCap: 15_000n * 1_000_000n });
  }, 60_000);
  afterAll(async () => {
    await world?.stop();
  });

  it("runs, reports progress, shrinks a real failure to the boundary", async () => {
    const reports: unknown[] = [];
    const result = await runCampaign({
      harness,
      scenario: "mixed",
      seed: 42,
      runs: 20,
      maxCommands: 8,
      progressIntervalMs: 0,
      onProgress: (stats) => reports.push(stats),
    });
    expect(reports.length).toBeGreaterThan(1);
    expect(result.stats.actions).toBeGreaterThan(0);
    expect(result.stats.modes).toContain("Normal");
    expect(result.status).toBe("failed");
    if (result.status !== "failed") return;
    // The toy cap (15,000) breaks once deposits exceed it: shrinking leaves a deposit or two adding up to
    // exactly one unit above the cap (fast-check cannot merge two commands into one).
    const { counterexample } = result;
    expect(counterexample.failure.invariant).toBe("toy-margin-cap");
    expect(counterexample.commands.length).toBeLessThanOrEqual(2);
    expect(counterexample.commands.every((c) => c.name === "deposit")).toBe(true);
    const total = counterexample.commands.reduce((sum, c) => sum + Number(c.args.amount), 0);
    expect(total).toBe(15_001);
    expect(counterexample.trace.map((s) => s.command)).toEqual(
      counterexample.commands.map((c) => `deposit(trader=${c.args.trader}, amount=${c.args.amount})`),
    );
    expect(BigInt(counterexample.trace[0]?.block ?? 0)).toBeGreaterThan(0n);
  }, 120_000);
});
