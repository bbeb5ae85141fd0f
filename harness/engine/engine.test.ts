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

  const runs = async (engine: "simulated" | "mined", scenario: "mixed" | "adversarial" | "governance") => {
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

  it.each(["mixed", "adversarial", "governance"] as const)(
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

  it("refuses to send for real while a run is on simulated blocks", async () => {
    const { real } = await harness.setup({ simulate: true });
    const { send } = await import("../scenario/world/exec.js");
    const [from] = real.actors.traders;
    await expect(
      send(real, {
        from: from as `0x${string}`,
        to: real.system.addresses.market,
        data: "0x",
        label: "probe",
      }),
    ).rejects.toBeInstanceOf(SpeculationError);
  });
});
