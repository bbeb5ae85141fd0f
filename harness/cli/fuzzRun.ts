// One fuzzing campaign on one node (`npm run fuzz`; each --workers child runs one): the heavy half of the CLI,
// imported only once the arguments are known to be good.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BehaviourCoverage } from "../coverage/coverage.js";
import { type CoverageCounts, coverageCounts, formatCoverage, formatMetrics } from "../coverage/format.js";
import { formatWeights } from "../coverage/steering.js";
import { formatTrips, onChainTrips } from "../repro/describe.js";
import { renderHtmlReport } from "../repro/htmlReport.js";
import type { Recording } from "../repro/recording.js";
import { recordOnce } from "../repro/session.js";
import { createArtifact, writeArtifact } from "../runner/artifact.js";
import { knownOpen } from "../runner/knownOpen.js";
import { defaultHarnessModule, HarnessModuleError, loadHarnessModule } from "../runner/loadHarness.js";
import { emptyProgressStats, type ProgressStats, runCampaign } from "../runner/run.js";
import { type ChainWorld, startChainWorld } from "../runner/world.js";
import { isIncidentKind } from "../scenario/contract.js";
import { type FuzzOptions, UsageError } from "./options.js";
import {
  type FuzzSummary,
  formatFailure,
  formatProgress,
  formatSummary,
  type IncidentSummary,
  shellQuote,
} from "./report.js";

export type RunFuzzParameters = {
  options: FuzzOptions;
  /** Aborted on Ctrl-C: no new run starts, the summary and the seed are printed. */
  signal?: AbortSignal | undefined;
  /** Where human-readable lines go (stderr under --json, so that stdout holds only the summary). */
  log?: ((line: string) => void) | undefined;
};

export type RunFuzzReturnType = { exitCode: 0 | 1 | 3 | 130; summary: FuzzSummary };

/** One campaign on one node: the job of `npm run fuzz` (and of each of its --workers). */
export async function runFuzz({
  options,
  signal,
  log = console.log,
}: RunFuzzParameters): Promise<RunFuzzReturnType> {
  let module: Awaited<ReturnType<typeof loadHarnessModule>>;
  try {
    module = await loadHarnessModule(options.harness);
  } catch (error) {
    if (!(error instanceof HarnessModuleError)) throw error;
    throw new UsageError(error.message);
  }

  if (isIncidentKind(options.scenario)) {
    if (options.harness !== defaultHarnessModule)
      throw new UsageError("--scenario incidents uses the project's harness");
    const { runIncidents } = await import("./incidentCampaign.js");
    const started = Date.now();
    const { exitCode, reports } = await runIncidents({ options, signal, log });
    const runs = reports.reduce((sum, r) => sum + r.runs, 0);
    const elapsedMs = Date.now() - started;
    return {
      exitCode,
      summary: {
        status: exitCode === 1 ? "failed" : "passed",
        scenario: options.scenario,
        seed: options.seed,
        interrupted: exitCode === 130,
        ...emptyProgressStats(),
        // One scripted command per run.
        runs,
        actions: runs,
        elapsedMs,
        actionsPerSecond: elapsedMs > 0 ? Math.round((runs * 1000) / elapsedMs) : 0,
        incidents: reports.map(
          (r): IncidentSummary => ({
            name: r.name,
            playbookBroke: r.playbook.failure?.invariant ?? null,
            playbook: r.playbook.outcome
              ? {
                  attackerPnl: r.playbook.outcome.attackerPnl.toString(),
                  attackerBound: r.playbook.outcome.attackerBound.toString(),
                  lpPnl: r.playbook.outcome.lpPnl.map(({ role, pnl }) => ({ role, pnl: pnl.toString() })),
                }
              : null,
            runs: r.runs,
            worstAttackerPnl: r.worst?.attackerPnl.toString() ?? null,
            failure: r.failure ?? null,
          }),
        ),
      },
    };
  }

  const budget = [
    options.runs < 2 ** 31 - 1 ? `${options.runs} runs` : undefined,
    options.timeBudgetMs === undefined ? undefined : `${options.timeBudgetMs / 1000}s`,
  ].filter(Boolean);
  log(
    `fuzz: scenario ${options.scenario}, seed ${options.seed}${options.randomSeed ? " (random)" : ""}, ` +
      `${budget.join(" or ")}, up to ${options.maxCommands} commands per run` +
      (options.path ? `, replaying path ${options.path}` : "") +
      (options.target ? `, target ${options.target}` : "") +
      (options.skipKnown ? ", skipping the corpus's open bugs" : ""),
  );

  const summary = (
    stats: ProgressStats,
    status: FuzzSummary["status"],
    interrupted: boolean,
  ): FuzzSummary => ({
    status,
    scenario: options.scenario,
    seed: options.seed,
    interrupted,
    ...stats,
  });
  let last: ProgressStats | undefined;
  let world: ChainWorld | undefined;
  try {
    world = await startChainWorld({ label: "fuzz", root: options.root });
    log(`fuzz: anvil pid ${world.clients.node.pid ?? "?"} at ${world.clients.node.httpUrl}`);
    const harness = await module.createHarness(world);
    const result = await runCampaign({
      harness,
      scenario: options.scenario,
      seed: options.seed,
      path: options.path,
      replayPath: options.replayPath,
      runs: options.runs,
      maxCommands: options.maxCommands,
      timeBudgetMs: options.timeBudgetMs,
      shrinkBudgetMs: options.shrinkBudgetMs,
      target: options.target,
      tolerate: options.skipKnown ? knownOpen() : undefined,
      signal,
      steer: options.steer,
      onProgress: (stats) => {
        last = stats;
        log(formatProgress(stats));
      },
    });
    const stopped = signal?.aborted
      ? " (interrupted)"
      : result.status === "passed" && result.interrupted
        ? " (stopped at the time budget)"
        : "";
    log(`\n${formatSummary(result.stats, options)}`);
    const coverage = result.coverage
      ? await saveCoverage(result.coverage, options.coverageFile, log)
      : undefined;
    if (result.status === "passed") {
      log(`\nPASSED: no invariant broke${stopped}`);
      if (signal?.aborted) log(`re-run:   ${rerunCommand(options)}`);
      return {
        exitCode: signal?.aborted ? 130 : 0,
        summary: {
          ...summary(result.stats, "passed", result.interrupted || (signal?.aborted ?? false)),
          ...(coverage ? { coverage } : {}),
        },
      };
    }

    const { counterexample } = result;
    const artifact = await createArtifact({
      counterexample,
      scenario: options.scenario,
      maxCommands: options.maxCommands,
    });
    // Replayed once more on a fresh node and read back from the chain (the campaign's node may no longer hold
    // the state of its early blocks): the market's own trips go into the artifact (decoded, with the
    // transaction's label) and the picture into an HTML report.
    await world.stop();
    world = undefined;
    let recording: Recording | undefined;
    try {
      recording = await recordOnce({
        artifact,
        module,
        root: options.root,
        label: "fuzz-record",
        tolerate: options.skipKnown ? knownOpen() : undefined,
      });
      const trips = onChainTrips(recording).flatMap(({ step, tx }) =>
        tx.events.trips.map((t) => ({
          step,
          invariant: t.invariant,
          expected: t.expected.toString(),
          actual: t.actual.toString(),
          action: t.actionName,
          tx: tx.label ?? tx.call,
          hash: tx.hash,
        })),
      );
      if (trips.length > 0) artifact.onChain = trips;
    } catch (error) {
      log(`fuzz: could not record the replay (${error instanceof Error ? error.message : String(error)})`);
    }
    const file = await writeArtifact(artifact, { dir: options.out });
    const relative = path.relative(process.cwd(), file);
    const shown = relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
    log(
      `\nFAILED after ${counterexample.numRuns} runs, shrunk in ${counterexample.numShrinks} steps to ` +
        `${counterexample.commands.length} commands:\n${formatFailure(counterexample.failure, counterexample.trace)}`,
    );
    if (recording) for (const line of formatTrips(recording)) log(line);
    log(`\nartifact: ${shown}`);
    if (recording) {
      // Beside the artifact, named after it.
      const report = file.replace(/\.json$/, ".html");
      await writeFile(report, renderHtmlReport(recording));
      const relativeReport = path.relative(process.cwd(), report);
      log(`report:   ${relativeReport.startsWith("..") ? report : relativeReport}`);
    }
    log(`replay:   npm run repro -- ${[shown, ...extraFlags(options)].map(shellQuote).join(" ")}`);
    const env = [`FUZZ_SEED=${counterexample.seed}`, `FUZZ_PATH=${counterexample.path}`];
    if (counterexample.replayPath) env.push(`FUZZ_REPLAY_PATH=${shellQuote(counterexample.replayPath)}`);
    if (counterexample.weights) env.push(`FUZZ_STEER=${formatWeights(counterexample.weights)}`);
    else if (options.steer === false) env.push("FUZZ_STEER=");
    const again = [
      "--scenario",
      options.scenario,
      "--max-commands",
      String(options.maxCommands),
      ...(options.target ? ["--target", options.target] : []),
      ...(options.skipKnown ? ["--skip-known"] : []),
      ...extraFlags(options),
    ];
    log(`re-run:   ${env.join(" ")} npm run fuzz -- ${again.map(shellQuote).join(" ")}`);
    return {
      exitCode: 1,
      summary: {
        ...summary(result.stats, "failed", signal?.aborted ?? false),
        ...(coverage ? { coverage } : {}),
        failure: {
          invariant: counterexample.failure.invariant,
          kind: counterexample.failure.kind ?? null,
          step: counterexample.failure.step,
          commands: counterexample.commands.length,
          path: counterexample.path,
          artifact: file,
          report: recording ? file.replace(/\.json$/, ".html") : null,
        },
      },
    };
  } catch (error) {
    log(`fuzz: harness error (not a finding): ${error instanceof Error ? error.message : String(error)}`);
    const stats = last ?? emptyProgressStats();
    return {
      exitCode: 3,
      summary: {
        ...summary(stats, "error", signal?.aborted ?? false),
        error: error instanceof Error ? error.message : String(error),
      },
    };
  } finally {
    await world?.stop();
  }
}

/** Prints the coverage and per-command metrics and writes the coverage JSON; returns the counts for --json. */
async function saveCoverage(
  coverage: BehaviourCoverage,
  file: string,
  log: (line: string) => void,
): Promise<CoverageCounts> {
  for (const line of formatCoverage(coverage)) log(line);
  const metrics = formatMetrics(coverage);
  if (metrics.length > 0) log(["", "per command:", ...metrics].join("\n"));
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, `${JSON.stringify(coverage.toJSON(), null, 2)}\n`);
  log(`coverage: ${file}`);
  return coverageCounts(coverage.summary(), file);
}

function extraFlags(options: FuzzOptions): string[] {
  const flags: string[] = [];
  if (options.harness !== defaultHarnessModule) flags.push("--harness", options.harness);
  if (options.root !== undefined) flags.push("--root", options.root);
  return flags;
}

/** The command that repeats this campaign from its seed. */
function rerunCommand(options: FuzzOptions): string {
  const args = [
    "--scenario",
    options.scenario,
    "--seed",
    String(options.seed),
    "--max-commands",
    String(options.maxCommands),
    ...(options.target ? ["--target", options.target] : []),
    ...(options.skipKnown ? ["--skip-known"] : []),
    ...extraFlags(options),
  ];
  return `npm run fuzz -- ${args.map(shellQuote).join(" ")}`;
}
