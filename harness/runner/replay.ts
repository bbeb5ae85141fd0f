import * as fc from "fast-check";
import type { FailureInfo, NamedCommand, ScenarioHarness, StepRecord } from "../scenario/contract.js";
import { ArtifactError, type FailureArtifact } from "./artifact.js";
import { type CommandRecord, recordRuns, toFailureInfo } from "./failure.js";

export type ReplayResult =
  /** The same invariant broke again: the bug is still there. */
  | { status: "reproduced"; failure: FailureInfo; trace: StepRecord[]; ran: CommandRecord[] }
  /** Every command ran and every check passed. */
  | { status: "fixed"; trace: StepRecord[]; ran: CommandRecord[] }
  /** Something else broke on the way: a new or changed failure. */
  | { status: "different"; failure: FailureInfo; trace: StepRecord[]; ran: CommandRecord[] };

export type ReplayArtifactReturnType = ReplayResult;

/**
 * Rebuilds the artifact's commands by name and runs them in order on a fresh world (model and chain at
 * the baseline) with every check the commands run. A command whose precondition no longer holds on the
 * model is skipped, as in the original run. Infrastructure errors (node died) are thrown, not reported.
 */
export async function replayArtifact<M extends object, R>(
  artifact: FailureArtifact,
  harness: ScenarioHarness<M, R>,
  /**
   * Other failures to let pass on the way (the corpus's other open bugs): the artifact's own invariant is
   * never let pass.
   */
  tolerate?: (failure: FailureInfo) => boolean,
): Promise<ReplayArtifactReturnType> {
  if (tolerate) harness.tolerate?.((f) => f.invariant !== artifact.failure.invariant && tolerate(f));
  const commands = artifact.commands.map((c, i): NamedCommand<M, R> => {
    try {
      return harness.rebuild(c.name, c.args);
    } catch (error) {
      throw new ArtifactError(
        "incompatible",
        `command ${i} of the artifact (${c.name} ${JSON.stringify(c.args)}) cannot be rebuilt by this harness: ` +
          `${(error as Error).message}. The artifact was written by harness ${artifact.harnessVersion}.`,
      );
    }
  });
  const world = await harness.setup();
  const ran: CommandRecord[] = [];
  let failure: FailureInfo | undefined;
  try {
    await fc.asyncModelRun(() => world, recordRuns(commands, ran));
  } catch (error) {
    failure = toFailureInfo(error, ran.length - 1);
    if (!failure) throw error;
  }
  const trace = [...harness.trace(world.real)];
  if (!failure) return { status: "fixed", trace, ran };
  const same = failure.invariant === artifact.failure.invariant;
  return { status: same ? "reproduced" : "different", failure, trace, ran };
}
