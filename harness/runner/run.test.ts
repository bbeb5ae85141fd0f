import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvariantViolation } from "../scenario/contract.js";
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

describe("runCampaign on simulated blocks (chainless)", () => {
  /** The toy harness with a simulated mode whose runs all fail at their end (`spurious`), or not. */
  const withSimulation = (aLimit: number, spurious: boolean, minedKind?: string) => {
    const toy = createToyHarness({ aLimit });
    const modes: ("simulated" | "mined")[] = [];
    let simulating = false;
    const harness: typeof toy = {
      ...toy,
      simulates: (kind) => kind !== minedKind,
      async setup(options) {
        simulating = options?.simulate === true;
        modes.push(simulating ? "simulated" : "mined");
        return toy.setup();
      },
      async endRun() {
        if (simulating && spurious) {
          throw new InvariantViolation({
            invariant: "only-simulated",
            expected: 0,
            actual: 1,
            diff: [],
            step: 0,
          });
        }
      },
    };
    return { harness, modes };
  };

  it("reports nothing that mined blocks do not confirm", async () => {
    const { harness, modes } = withSimulation(1_000, true);
    const result = await runCampaign({ harness, scenario: "mixed", seed: 3, runs: 10, maxCommands: 5 });
    expect(result.status).toBe("passed");
    expect(result.stats.engine).toEqual({ simulatedRuns: 10, confirmed: 0, unconfirmed: 10 });
    // Each simulated run was repeated on mined blocks.
    expect(modes).toEqual(Array.from({ length: 10 }, () => ["simulated", "mined"]).flat());
  });

  it("runs a kind the harness cannot simulate on mined blocks from the start", async () => {
    const { harness, modes } = withSimulation(1_000, true, "mixed");
    const result = await runCampaign({ harness, scenario: "mixed", seed: 3, runs: 10, maxCommands: 5 });
    expect(result.status).toBe("passed");
    expect(result.stats.engine).toEqual({ simulatedRuns: 0, confirmed: 0, unconfirmed: 0 });
    expect(modes).toEqual(Array.from({ length: 10 }, () => "mined"));
  });

  it("confirms a failure on mined blocks, then shrinks on mined blocks only", async () => {
    const { harness, modes } = withSimulation(3, false);
    const result = await runCampaign({ harness, scenario: "mixed", seed: 7, runs: 200, maxCommands: 20 });
    expect(result.status).toBe("failed");
    if (result.status !== "failed") return;
    expect(result.counterexample.failure.invariant).toBe("too-many-a");
    expect(result.counterexample.commands).toEqual(
      [0, 0, 0].map((weight) => ({ name: "a", args: { weight } })),
    );
    expect(result.stats.engine?.confirmed).toBe(1);
    const first = modes.indexOf("mined");
    expect(modes.slice(first).every((m) => m === "mined")).toBe(true);
    expect(modes.slice(0, first).every((m) => m === "simulated")).toBe(true);
  });

  it("replays a path on mined blocks only", async () => {
    const { harness } = withSimulation(3, false);
    const first = await runCampaign({ harness, scenario: "mixed", seed: 7, runs: 200, maxCommands: 20 });
    if (first.status !== "failed") throw new Error("expected a failure");
    const { harness: again, modes } = withSimulation(3, true);
    const replay = await runCampaign({
      harness: again,
      scenario: "mixed",
      seed: 7,
      path: first.counterexample.path,
      replayPath: first.counterexample.replayPath,
      runs: 200,
      maxCommands: 20,
    });
    expect(replay.status).toBe("failed");
    expect(modes.every((m) => m === "mined")).toBe(true);
  });
});
