import * as fc from "fast-check";
import type { BehaviourCoverage } from "../coverage/coverage.js";
import { Steering } from "../coverage/steering.js";
import type { FailureInfo, ScenarioHarness, ScenarioKind, StepRecord } from "../scenario/contract.js";
import { type CommandRecord, recordRuns, toFailureInfo } from "./failure.js";

/**
 * Runs executed on simulated blocks (harness/engine/), and of their failures, how many mined blocks confirmed
 * (the same commands failed again on mined blocks) and how many they did not (not reported: the mined run
 * passed, and it is the one that counts).
 */
export type EngineStats = { simulatedRuns: number; confirmed: number; unconfirmed: number };

/** What the runner reports while it works (and once at the end). */
export type ProgressStats = {
  /** Runs finished, shrinking runs included. */
  runs: number;
  /** Of which while shrinking a failure. */
  shrinkRuns: number;
  /** Commands executed over all runs. */
  actions: number;
  elapsedMs: number;
  actionsPerSecond: number;
  /** Every market mode some run reached (from ScenarioHarness.stats). */
  modes: string[];
  /** The lowest account health seen (equity / maintenance requirement), null if none was reported. */
  worstHealth: number | null;
  /** Runs that failed with the invariant being shrunk. */
  failures: number;
  /** Runs that failed with another invariant while shrinking (treated as passing, see runCampaign). */
  otherFailures: number;
  /** What the simulated-block engine did (runCampaign always sets it). */
  engine?: EngineStats | undefined;
  /** The invariant of the first failure, once there is one. */
  invariant: string | null;
  /** How long the campaign ran before that first failure (ms), null before it. */
  foundAfterMs: number | null;
};

export type Counterexample = {
  seed: number;
  /** fast-check's counterexamplePath: with the seed, replays exactly this case (FUZZ_PATH). */
  path: string;
  /** Which generated commands ran, as fc.commands records it; needed with `path` (FUZZ_REPLAY_PATH). */
  replayPath: string;
  /** The shrunk command list, in the order the commands ran. */
  commands: CommandRecord[];
  /** The failing run's steps with their blocks and timestamps. */
  trace: StepRecord[];
  failure: FailureInfo;
  numRuns: number;
  numShrinks: number;
  /** The steered command weights the failing run was drawn with (a path replay needs them), if steered. */
  weights?: Record<string, number> | undefined;
};

/** One finished run, as onRun reports it. */
export type RunRecord = {
  shrinking: boolean;
  commands: CommandRecord[];
  trace: StepRecord[];
  failure: FailureInfo | undefined;
  /** The steered command weights this run was drawn with (undefined when unsteered). */
  weights?: Readonly<Record<string, number>> | undefined;
};

export type RunCampaignParameters<M extends object, R> = {
  harness: ScenarioHarness<M, R>;
  scenario: ScenarioKind;
  seed: number;
  /** Replay a known case (a counterexample's path) instead of generating from the seed's start. */
  path?: string | undefined;
  /** The counterexample's replayPath; fast-check cannot walk a shrunk command path without it. */
  replayPath?: string | undefined;
  runs: number;
  maxCommands: number;
  /** Stop starting new runs after this long (a run in progress finishes; shrinking is never cut short). */
  timeBudgetMs?: number | undefined;
  /** Stop shrinking after this long and keep the smallest counterexample found so far. */
  shrinkBudgetMs?: number | undefined;
  onProgress?: ((stats: ProgressStats) => void) | undefined;
  /**
   * Look for this invariant only: every other promise the harness can let pass is let pass (the run goes
   * on), and any other failure counts as passing. Undefined: the first failure of any kind is the target.
   */
  target?: string | undefined;
  /** Failures to let pass in every run (known open bugs already in the corpus): the run goes on. */
  tolerate?: ((failure: FailureInfo) => boolean) | undefined;
  /** Called after every run (shrinking runs included) with what it executed. */
  onRun?: ((run: RunRecord) => void) | undefined;
  /** Aborted: no new run starts (while shrinking too: the smallest failing case so far is kept). */
  signal?: AbortSignal | undefined;
  /** Minimum time between two progress reports (default 2 s); a last report always follows the campaign. */
  progressIntervalMs?: number | undefined;
  /**
   * Steer generation toward behaviour not yet seen (harness/coverage/steering.ts), when the harness can: true
   * (the default), false (the kind's fixed weights), or the fixed weights a path replay was found with.
   */
  steer?: boolean | Readonly<Record<string, number>> | undefined;
  /**
   * "simulated" (the default where the harness supports it): search on simulated blocks (harness/engine/),
   * and repeat a failing run on mined blocks before it counts; shrinking and path replays always run on
   * mined blocks. "mined": every run on mined blocks.
   */
  engine?: "simulated" | "mined" | undefined;
};

export type RunCampaignReturnType = (
  | { status: "passed"; stats: ProgressStats; numRuns: number; interrupted: boolean }
  | { status: "failed"; stats: ProgressStats; counterexample: Counterexample }
) & {
  /** What the generated runs (not the shrinking ones) made the protocol do, when the harness reports it. */
  coverage: BehaviourCoverage | undefined;
};

/** Stats before any run (also what a summary reports when nothing ran). */
export function emptyProgressStats(): ProgressStats {
  return {
    runs: 0,
    shrinkRuns: 0,
    actions: 0,
    elapsedMs: 0,
    actionsPerSecond: 0,
    modes: [],
    worstHealth: null,
    failures: 0,
    otherFailures: 0,
    invariant: null,
    foundAfterMs: null,
  };
}

/** Thrown inside the property so that fast-check records the run as failing; never escapes runCampaign. */
class RunFailed extends Error {
  override name = "RunFailed";
  constructor(readonly failure: FailureInfo) {
    super(`${failure.invariant} violated at step ${failure.step}`);
  }
}

/**
 * Runs a fuzzing campaign: fast-check generates command sequences, each runs on a fresh world (model and
 * chain reset to the baseline) and fails on the first invariant violation; a failure is shrunk.
 *
 * Shrinking stays on the same failure: the invariant of the first failing run becomes the target, and
 * while shrinking, a candidate that fails with a different invariant counts as passing (the property
 * returns normally), so fast-check never trades the bug it found for another one. The last run that
 * failed with the target invariant is, by fast-check's greedy shrinking, the reported counterexample:
 * its recorded commands and trace are what we return.
 *
 * Infrastructure errors (node died, snapshot lost) are not findings: the campaign stops and rethrows them.
 */
export async function runCampaign<M extends object, R>(
  parameters: RunCampaignParameters<M, R>,
): Promise<RunCampaignReturnType> {
  const { harness, scenario, seed, path, runs, maxCommands, onProgress } = parameters;
  const started = Date.now();
  const deadline = parameters.timeBudgetMs === undefined ? Infinity : started + parameters.timeBudgetMs;
  const intervalMs = parameters.progressIntervalMs ?? 2_000;
  const modes = new Set<string>();
  const stats: ProgressStats = emptyProgressStats();
  const engine: EngineStats = { simulatedRuns: 0, confirmed: 0, unconfirmed: 0 };
  stats.engine = engine;
  const snapshotStats = (): ProgressStats => {
    const elapsedMs = Date.now() - started;
    const actionsPerSecond = elapsedMs > 0 ? Math.round((stats.actions * 10_000) / elapsedMs) / 10 : 0;
    return { ...stats, elapsedMs, actionsPerSecond, modes: [...modes].sort(), engine: { ...engine } };
  };
  let lastReport = started;

  let target: string | undefined;
  let shrinkDeadline = Infinity;
  const aim = parameters.target;
  const known = parameters.tolerate;
  if (aim !== undefined || known !== undefined) {
    harness.tolerate?.(
      (f) => (known?.(f) ?? false) || (aim !== undefined && f.invariant !== aim && f.kind === "promise"),
    );
  }
  let best: { commands: CommandRecord[]; trace: StepRecord[]; failure: FailureInfo } | undefined;
  const simulated =
    (parameters.engine ?? "simulated") === "simulated" &&
    path === undefined &&
    harness.simulates?.(scenario) === true;
  let infrastructure: { error: unknown } | undefined;
  const steer = parameters.steer ?? true;
  const steering =
    steer === false ? undefined : steer === true ? harness.steering?.(scenario) : Steering.fixed(steer);
  let coverage: BehaviourCoverage | undefined;
  let weights: Record<string, number> | undefined;

  const property = fc.asyncProperty(
    harness.commands(scenario, maxCommands, parameters.replayPath, steering),
    async (commands) => {
      // An interrupting precondition failure ends fast-check's loop between runs, never during one.
      if (infrastructure || parameters.signal?.aborted) throw new fc.PreconditionFailure(true);
      if (target === undefined ? Date.now() >= deadline : Date.now() >= shrinkDeadline) {
        throw new fc.PreconditionFailure(true);
      }
      const execute = async (simulate: boolean) => {
        const ran: CommandRecord[] = [];
        let failure: FailureInfo | undefined;
        let real: R | undefined;
        try {
          const world = await harness.setup(simulate ? { simulate } : undefined);
          real = world.real;
          await fc.asyncModelRun(() => world, recordRuns(commands, ran));
          await harness.endRun?.(world.real);
        } catch (error) {
          failure = real === undefined ? undefined : toFailureInfo(error, ran.length - 1);
          if (!failure) infrastructure = { error };
        }
        stats.actions += ran.length;
        return { ran, failure, real };
      };
      // Simulated blocks only search: a failure there counts once the same commands fail on mined blocks.
      const simulate = simulated && target === undefined;
      let { ran, failure, real } = await execute(simulate);
      if (simulate) {
        engine.simulatedRuns++;
        if (failure && !infrastructure) {
          ({ ran, failure, real } = await execute(false));
          if (failure) engine.confirmed++;
          else engine.unconfirmed++;
        }
      }
      if (infrastructure) throw new fc.PreconditionFailure(true);

      parameters.onRun?.({
        shrinking: target !== undefined,
        commands: ran,
        trace: real === undefined ? [] : [...harness.trace(real)],
        failure,
        weights: steering ? { ...steering.current } : undefined,
      });
      stats.runs++;
      if (target !== undefined) stats.shrinkRuns++;
      const runCoverage = real === undefined || target !== undefined ? undefined : harness.coverage?.(real);
      if (runCoverage) {
        runCoverage.runs = 1;
        coverage = coverage === undefined ? runCoverage : coverage.merge(runCoverage);
      }
      const observed = real === undefined ? undefined : harness.stats?.(real);
      for (const mode of observed?.modes ?? []) modes.add(mode);
      if (observed?.worstHealth != null) {
        stats.worstHealth =
          stats.worstHealth === null
            ? observed.worstHealth
            : Math.min(stats.worstHealth, observed.worstHealth);
      }
      const report = () => {
        if (!onProgress || Date.now() - lastReport < intervalMs) return;
        lastReport = Date.now();
        onProgress(snapshotStats());
      };

      const generated = () => {
        if (coverage) steering?.afterRun(coverage);
        report();
      };
      if (!failure) return generated();
      if (aim !== undefined && failure.invariant !== aim) {
        stats.otherFailures++;
        return target === undefined ? generated() : report();
      }
      if (target === undefined) {
        // The weights this run was drawn with stay in force while it shrinks (and travel with its path).
        if (steering) {
          steering.frozen = true;
          weights = { ...steering.current };
        }
        target = failure.invariant;
        stats.invariant = target;
        stats.foundAfterMs = Date.now() - started;
        if (parameters.shrinkBudgetMs !== undefined) shrinkDeadline = Date.now() + parameters.shrinkBudgetMs;
      } else if (failure.invariant !== target) {
        // Another bug: passing, as far as this shrink is concerned.
        stats.otherFailures++;
        return report();
      }
      stats.failures++;
      best = { commands: ran, trace: [...harness.trace(real as R)], failure };
      report();
      throw new RunFailed(failure);
    },
  );

  const details = await fc
    .check(property, {
      seed,
      path,
      numRuns: runs,
      endOnFailure: false,
      // One run is a whole chain session; fast-check's default 100 skips per run are never needed here.
      maxSkipsPerRun: 0,
    })
    .catch((error: unknown) => {
      if (path === undefined || !/replay/i.test(String(error))) throw error;
      throw new Error(
        `cannot replay path ${path} with seed ${seed} (${(error as Error).message}): a path replays only with ` +
          "the seed, scenario, max commands and replayPath it was found with, on the same harness version",
        { cause: error },
      );
    });
  if (infrastructure) throw infrastructure.error;
  const final = snapshotStats();
  onProgress?.(final);

  if (best) {
    return {
      status: "failed",
      stats: final,
      counterexample: {
        seed: details.seed,
        path: details.counterexamplePath ?? path ?? "",
        replayPath: replayPathOf(details.counterexample?.[0]) ?? parameters.replayPath ?? "",
        commands: best.commands,
        trace: best.trace,
        failure: best.failure,
        numRuns: details.numRuns,
        numShrinks: details.numShrinks,
        weights,
      },
      coverage,
    };
  }
  // No recorded failure: success, or an interruption before the first run finished (a tiny time budget).
  if (details.failed && !details.interrupted) {
    throw new Error(
      `fast-check reported a failure the runner did not record: ${String(details.errorInstance)}`,
    );
  }
  return {
    status: "passed",
    stats: final,
    numRuns: details.numRuns,
    interrupted: details.interrupted,
    coverage,
  };
}

// fc.commands' values print as: cmd1,cmd2 /*replayPath="..."*\/ (the metadata is all we need).
function replayPathOf(commands: unknown): string | undefined {
  const match = /\/\*replayPath=("(?:[^"\\]|\\.)*")\*\//.exec(String(commands));
  return match?.[1] === undefined ? undefined : (JSON.parse(match[1]) as string);
}
