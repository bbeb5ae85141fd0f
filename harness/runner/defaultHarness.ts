// The harness the CLIs, the fuzz suite, the corpus and the broken-variant tests use: the project's scenario
// layer (harness/scenario/) on a freshly deployed world. Another module can be given to the CLIs with
// --harness (it must export the same createHarness).
import { createScenarioHarness } from "../scenario/index.js";
import type { AnyHarness } from "./loadHarness.js";
import type { ChainWorld } from "./world.js";

export async function createHarness(world: ChainWorld): Promise<AnyHarness> {
  return createScenarioHarness({ clients: world.clients, system: world.system });
}
