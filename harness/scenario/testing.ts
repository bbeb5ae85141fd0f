import * as fc from "fast-check";
import { startAnvil } from "../chain/anvil.js";
import { type ChainClients, createChainClients } from "../chain/clients.js";
import { deployAndBind } from "../system/system.js";
import type { FailureInfo, JsonValue, ScenarioKind } from "./contract.js";
import { createScenarioHarness, type ScenarioHarnessReturnType } from "./index.js";

/**
 * A node with the system deployed and the scenario harness on it: one per test file. `tolerate`: failures
 * to let pass (the corpus's open bugs, runner/knownOpen.ts), as the fuzz suite does.
 */
export async function startScenarioHarness(
  label: string,
  tolerate?: (failure: FailureInfo) => boolean,
): Promise<{
  harness: ScenarioHarnessReturnType;
  clients: ChainClients;
  stop(): Promise<void>;
}> {
  const node = await startAnvil({ label });
  let clients: ChainClients | undefined;
  const stop = async () => {
    await clients?.close();
    await node.stop();
  };
  try {
    clients = await createChainClients({ node });
    const system = await deployAndBind({ clients });
    const harness = await createScenarioHarness({ clients, system });
    if (tolerate) harness.tolerate?.(tolerate);
    return { harness, clients, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs a hand-picked sequence (name + args, as an artifact lists them) from the baseline. */
export async function runSequence(
  harness: ScenarioHarnessReturnType,
  sequence: readonly [string, Record<string, JsonValue>][],
) {
  const commands = sequence.map(([name, args]) => harness.rebuild(name, args));
  const setup = await harness.setup();
  const baselineBlock = setup.real.clock.block;
  await fc.asyncModelRun(() => setup, commands);
  return Object.assign(setup.real, { baselineBlock });
}

/** A fixed-seed property run of one scenario kind, no shrinking (a failure is reported as found). */
export async function runKind(
  harness: ScenarioHarnessReturnType,
  kind: ScenarioKind,
  parameters: { runs: number; maxCommands: number; seed: number },
): Promise<{ actions: number }> {
  let actions = 0;
  await fc.assert(
    fc.asyncProperty(harness.commands(kind, parameters.maxCommands), async (commands) => {
      const setup = await harness.setup();
      try {
        await fc.asyncModelRun(() => setup, commands);
      } finally {
        actions += setup.real.steps.length;
      }
    }),
    { numRuns: parameters.runs, seed: parameters.seed, endOnFailure: true },
  );
  return { actions };
}
