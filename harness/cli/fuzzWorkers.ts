// `npm run fuzz -- --workers N`: N campaigns at once, each a child `fuzz` process with its own node and a seed
// derived from the given one, merged into one summary. Children run in their own process group, so a Ctrl-C
// reaches them once, forwarded from here, and each prints how far it got.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { repoRoot } from "../chain/foundryBinary.js";
import type { CoverageJson } from "../coverage/coverage.js";
import { type CoverageCounts, coverageCounts, formatCoverage } from "../coverage/format.js";
import { emptyProgressStats } from "../runner/run.js";
import { type FuzzOptions, workerSeed } from "./options.js";
import { type FuzzSummary, formatSummary } from "./report.js";

export type RunWorkersParameters = {
  options: FuzzOptions;
  /** The command line as given: each worker gets it with its own --seed and --runs, and --json. */
  argv: readonly string[];
  signal?: AbortSignal | undefined;
  log: (line: string) => void;
};

export type WorkersSummary = Omit<FuzzSummary, "failure" | "error"> & {
  workers: (FuzzSummary & { worker: number; exitCode: number })[];
};

/** Flags each worker sets itself. */
const perWorker = new Set(["--workers", "--seed", "--runs", "--json", "--coverage"]);

/** Worker i's coverage file, beside the merged one: `x.json` → `x.w<i>.json`. */
export function workerCoverageFile(file: string, worker: number): string {
  return file.replace(/(\.json)?$/, `.w${worker}.json`);
}

/** The command line minus the flags (and their values) each worker is given its own value for. */
export function workerArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
    if (perWorker.has(flag)) {
      if (inline === undefined && flag !== "--json") i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** Shares `runs` out: the first workers take one more when it does not divide evenly (never below 1). */
export function workerRuns(runs: number, workers: number, worker: number): number {
  const share = Math.floor(runs / workers) + (worker < runs % workers ? 1 : 0);
  return Math.max(1, share);
}

const unlimitedRuns = 2 ** 31 - 1;

export async function runWorkers({
  options,
  argv,
  signal,
  log,
}: RunWorkersParameters): Promise<{ exitCode: number; summary: WorkersSummary }> {
  const { workers } = options;
  const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
  const entry = path.join(repoRoot, "harness", "cli", "fuzz.ts");
  const seeds = Array.from({ length: workers }, (_, i) => workerSeed(options.seed, i));
  log(
    `fuzz: ${workers} workers, scenario ${options.scenario}, seeds ${seeds.join(", ")} (from ${options.seed}` +
      `${options.randomSeed ? ", random" : ""}); each replays alone with its seed`,
  );
  const started = Date.now();
  const children: ResultPromise[] = seeds.map((seed, i) => {
    const runs = options.runs === unlimitedRuns ? [] : [`--runs=${workerRuns(options.runs, workers, i)}`];
    const coverage = `--coverage=${workerCoverageFile(options.coverageFile, i)}`;
    const child = execa(tsx, [entry, ...workerArgs(argv), `--seed=${seed}`, ...runs, coverage, "--json"], {
      cwd: process.cwd(),
      reject: false,
      detached: true,
      // A worker's summary is its stdout; its progress (stderr) is shown with its number.
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    });
    child.stderr?.setEncoding("utf8");
    let pending = "";
    child.stderr?.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) log(`[w${i}] ${line}`);
    });
    return child;
  });

  const forward = () => {
    for (const child of children) child.kill("SIGINT");
  };
  signal?.addEventListener("abort", forward, { once: true });
  // If this process goes (a second Ctrl-C exits at once), its workers and their nodes go with it.
  const stopAll = () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  };
  process.once("exit", stopAll);

  const results = await Promise.all(children);
  signal?.removeEventListener("abort", forward);
  process.off("exit", stopAll);

  const summaries = results.map((result, i) => {
    const seed = seeds[i] as number;
    try {
      const parsed = JSON.parse(String(result.stdout)) as FuzzSummary;
      return { ...parsed, worker: i, exitCode: result.exitCode ?? 3 };
    } catch {
      const error = `worker ${i} (seed ${seed}) printed no summary (exit ${result.exitCode ?? result.signal}): ${String(result.stderr).split("\n").slice(-3).join(" ")}`;
      return { ...emptySummary(options, seed), status: "error" as const, error, worker: i, exitCode: 3 };
    }
  });

  const elapsedMs = Date.now() - started;
  const actions = summaries.reduce((n, s) => n + s.actions, 0);
  const healths = summaries.map((s) => s.worstHealth).filter((h): h is number => h !== null);
  const found = summaries.filter((s) => s.status === "failed");
  const errors = summaries.filter((s) => s.status === "error");
  const merged: WorkersSummary = {
    status: found.length > 0 ? "failed" : errors.length > 0 ? "error" : "passed",
    scenario: options.scenario,
    seed: options.seed,
    interrupted: summaries.some((s) => s.interrupted),
    runs: summaries.reduce((n, s) => n + s.runs, 0),
    shrinkRuns: summaries.reduce((n, s) => n + s.shrinkRuns, 0),
    actions,
    elapsedMs,
    actionsPerSecond: elapsedMs > 0 ? Math.round((actions * 10_000) / elapsedMs) / 10 : 0,
    modes: [...new Set(summaries.flatMap((s) => s.modes))].sort(),
    worstHealth: healths.length > 0 ? Math.min(...healths) : null,
    failures: summaries.reduce((n, s) => n + s.failures, 0),
    otherFailures: summaries.reduce((n, s) => n + s.otherFailures, 0),
    invariant: found[0]?.invariant ?? null,
    foundAfterMs: found.length > 0 ? Math.min(...found.map((s) => s.foundAfterMs ?? Infinity)) : null,
    workers: summaries,
  };

  log(`\n${formatSummary(merged, { scenario: options.scenario, seed: options.seed })} (${workers} workers)`);
  const coverage = await mergeCoverage(summaries, options.coverageFile, log);
  if (coverage) merged.coverage = coverage;
  for (const s of summaries) {
    const what =
      s.status === "failed"
        ? `FAILED: ${s.failure?.invariant} → ${s.failure?.artifact}`
        : s.status === "error"
          ? `harness error: ${s.error}`
          : "passed";
    log(`  worker ${s.worker}: seed ${s.seed}, ${s.runs} runs, ${s.actions} actions: ${what}`);
  }
  if (found.length > 0) {
    log(`\nFAILED in ${found.length} of ${workers} workers; replay each with npm run repro -- <artifact>`);
    return { exitCode: 1, summary: merged };
  }
  if (errors.length > 0) return { exitCode: 3, summary: merged };
  log(`\nPASSED: no invariant broke in ${workers} workers${merged.interrupted ? " (interrupted)" : ""}`);
  return { exitCode: signal?.aborted ? 130 : 0, summary: merged };
}

/** The workers' coverage files merged into one (printed, and written where --coverage says). */
async function mergeCoverage(
  summaries: readonly FuzzSummary[],
  file: string,
  log: (line: string) => void,
): Promise<CoverageCounts | undefined> {
  const files = summaries.map((s) => s.coverage?.file).filter((f): f is string => typeof f === "string");
  if (files.length === 0) return undefined;
  const { emptyScenarioCoverage } = await import("../scenario/world/coverage.js");
  const merged = emptyScenarioCoverage();
  for (const f of files) merged.merge(JSON.parse(await readFile(f, "utf8")) as CoverageJson);
  for (const line of formatCoverage(merged)) log(line);
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, `${JSON.stringify(merged.toJSON(), null, 2)}\n`);
  log(`coverage: ${file} (merged from ${files.length} workers)`);
  return coverageCounts(merged.summary(), file);
}

function emptySummary(options: FuzzOptions, seed: number): FuzzSummary {
  return {
    status: "error",
    scenario: options.scenario,
    seed,
    interrupted: false,
    ...emptyProgressStats(),
  };
}
