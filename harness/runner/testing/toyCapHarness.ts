// A harness module (for --harness) that always finds a failure: the stand-in with a tight toy check.
import type { AnyHarness } from "../loadHarness.js";
import type { ChainWorld } from "../world.js";
import { createStandInHarness } from "./standIn.js";

export async function createHarness(world: ChainWorld): Promise<AnyHarness> {
  return createStandInHarness({ world, toyMarginCap: 15_000n * 1_000_000n });
}
