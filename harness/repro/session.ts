// One recorded replay on a fresh node: start, deploy, build the harness, replay, read the chain back.
import type { FailureArtifact } from "../runner/artifact.js";
import type { HarnessModule } from "../runner/loadHarness.js";
import { type ChainWorld, startChainWorld } from "../runner/world.js";
import { type Recording, type RecordReplayParameters, recordReplay } from "./recording.js";

export type RecordSessionParameters = {
  artifact: FailureArtifact;
  module: HarnessModule;
  /** A patched copy of the project to deploy from (default the repository). */
  root?: string | undefined;
  label?: string | undefined;
  onTx?: RecordReplayParameters["onTx"];
  tolerate?: RecordReplayParameters["tolerate"];
  /** Called once the node is up (its URL, pid). */
  onNode?: ((world: ChainWorld) => void) | undefined;
};

export type RecordSession = { recording: Recording; world: ChainWorld };

/**
 * Records a replay and returns the node with it: the caller stops it (`world.stop()`), or keeps it for
 * `cast`. If anything fails on the way, the node is stopped before the error propagates.
 */
export async function recordSession(parameters: RecordSessionParameters): Promise<RecordSession> {
  const world = await startChainWorld({ label: parameters.label ?? "repro", root: parameters.root });
  try {
    parameters.onNode?.(world);
    const deployedAt = await world.clients.publicClient.getBlockNumber();
    const harness = await parameters.module.createHarness(world);
    const baselineAt = await world.clients.publicClient.getBlockNumber();
    const recording = await recordReplay({
      artifact: parameters.artifact,
      harness,
      clients: world.clients,
      system: world.system,
      deployedAt,
      baselineAt,
      onTx: parameters.onTx,
      tolerate: parameters.tolerate,
      root: parameters.root,
    });
    return { recording, world };
  } catch (error) {
    await world.stop();
    throw error;
  }
}

/** Records a replay on a fresh node and stops the node. */
export async function recordOnce(parameters: RecordSessionParameters): Promise<Recording> {
  const { recording, world } = await recordSession(parameters);
  await world.stop();
  return recording;
}
