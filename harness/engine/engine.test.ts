// The engine against the chain: the same runs on simulated blocks and on mined blocks must execute the
// same commands at the same blocks and timestamps and agree on every check.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunRecord, runCampaign } from "../runner/run.js";
import { type ChainWorld, startChainWorld } from "../runner/world.js";
import { createScenarioHarness, type ScenarioHarnessReturnType } from "../scenario/index.js";
import { SpeculationError } from "./speculation.js";

describe("engine (simulated blocks) against mined blocks", () => {
  let world: ChainWorld;
  let harness: ScenarioHarnessReturnType;
  beforeAll(async () => {
    world = await startChainWorld({ label: "engine" });
    harness = await createScenarioHarness({ clients: world.clients, system: world.system });
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  const runs = async (engine: "simulated" | "mined", scenario: "mixed" | "adversarial") => {
    const records: RunRecord[] = [];
    const result = await runCampaign({
      harness,
      scenario,
      seed: 5,
      runs: 6,
      maxCommands: 15,
      engine,
      // Look for nothing: every promise is recorded and let pass, so both modes run every command.
      target: "none",
      onRun: (run) => records.push(run),
    });
    return { result, records };
  };

  it.each(["mixed", "adversarial"] as const)(
    "%s: same commands, blocks, timestamps and outcome either way",
    async (scenario) => {
      const simulated = await runs("simulated", scenario);
      const mined = await runs("mined", scenario);
      expect(simulated.result.stats.engine?.simulatedRuns).toBe(6);
      expect(simulated.result.stats.engine?.unconfirmed).toBe(0);
      expect(mined.result.stats.engine?.simulatedRuns).toBe(0);
      expect(simulated.records).toEqual(mined.records);
      expect(simulated.records.flatMap((r) => r.trace).length).toBeGreaterThan(20);
    },
    300_000,
  );

  it("refuses a chain read while a step runs on simulated blocks", async () => {
    const { model, real } = await harness.setup({ simulate: true });
    const { safeTransaction } = await import("../scenario/governance.js");
    await expect(
      safeTransaction(real, {
        to: real.timelock,
        data: "0x",
        action: { kind: "noop" },
        signers: [0, 1],
        label: "probe",
      }),
    ).rejects.toBeInstanceOf(SpeculationError);
    expect(model.port.now).toBeGreaterThan(0n);
  });
});
