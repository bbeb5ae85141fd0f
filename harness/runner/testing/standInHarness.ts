// A harness module (for --harness) with the stand-in's checks only: campaigns on the real protocol pass.
import type { AnyHarness } from "../loadHarness.js";
import type { ChainWorld } from "../world.js";
import { createStandInHarness } from "./standIn.js";

export async function createHarness(world: ChainWorld): Promise<AnyHarness> {
  return createStandInHarness({ world });
}
