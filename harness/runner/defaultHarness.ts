// The harness the CLIs and the default fuzz suite use. Until the scenario layer (harness/scenario/) exports
// its ScenarioHarness, this is the runner's stand-in.
import type { AnyHarness } from "./loadHarness.js";
import { createStandInHarness } from "./testing/standIn.js";
import type { ChainWorld } from "./world.js";

export async function createHarness(world: ChainWorld): Promise<AnyHarness> {
  return createStandInHarness({ world });
}
