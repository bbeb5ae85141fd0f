import { parseArgs } from "node:util";
import { parseWeights } from "../coverage/steering.js";
import { defaultHarnessModule } from "../runner/loadHarness.js";
import {
  incidentNames,
  isIncidentKind,
  type ScenarioKind,
  scenarioKinds as scenarios,
} from "../scenario/contract.js";

/** A bad command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const fuzzUsage = `usage: npm run fuzz -- [options]

  --scenario <kind>     oracle | cascade | mixed | adversarial | griefer | feeds | lp | netting |
                        volatility | governance | drain | manipulation (default mixed); incidents runs
                        the incident library (each post-mortem's playbook, then --runs variations of
                        it), incident:<name> one of ${incidentNames.join(", ")}
  --runs <n>            number of runs (default FUZZ_RUNS or 100, 3 per incident; unlimited with --time alone)
  --time <duration>     stop starting runs after this long: 90s, 10m, 1h (shrinking always finishes)
  --seed <int>          fast-check seed (default FUZZ_SEED, else random and printed)
  --max-commands <n>    longest command sequence per run (default 30)
  --path <path>         replay one case: a counterexample's path (default FUZZ_PATH)
  --replay-path <rp>    the counterexample's replayPath, needed with --path (default FUZZ_REPLAY_PATH)
  --shrink-time <dur>   stop shrinking after this long, keeping the smallest case so far
  --target <invariant>  look for this one failure only (e.g. breaker-halt-ends): other broken promises
                        are recorded and the run goes on; other failures count as passing
  --skip-known          let the open bugs recorded in test/corpus (expectFailure) pass, and go on
  --out <dir>           where failure artifacts go (default .fuzz/failures)
  --harness <module>    harness module exporting createHarness(world) (default ${defaultHarnessModule})
  --root <dir>          deploy from this Foundry project instead of the repository (a patched copy)
  --workers <n>         run n campaigns in parallel, each on its own node with a seed derived from --seed
                        (printed); --runs is shared out, --time applies to each; one merged summary
  --json                print the summary as JSON on stdout (progress goes to stderr)
  --coverage <file>     where the behaviour coverage JSON goes (default .fuzz/coverage/<scenario>-seed<seed>.json)
  --no-steer            draw commands with the scenario's fixed weights (default: steer toward unseen behaviour)
  --steer <weights>     fixed weights for a path replay, as printed with it (default FUZZ_STEER; empty: --no-steer)
  -h, --help            this text

Ctrl-C stops starting runs (a second one stops at once) and prints the summary and the seed.
Exit status: 0 no failure, 1 a failure was found (artifact written), 2 bad usage, 3 harness error,
130 interrupted before any failure.`;

export const reproUsage = `usage: npm run repro -- <artifact.json> [options]

  --harness <module>    harness module exporting createHarness(world) (default ${defaultHarnessModule})
  --root <dir>          deploy from this Foundry project instead of the repository (a patched copy)
  --forge               write the replay as a Foundry test, test/regressions/<name>.t.sol (under --root if given)
  --trace               print the failing transaction's call trace
  --keep-node           leave the node running until Ctrl-C (its RPC URL, the system's and its libraries' addresses printed)
  --html                write a self-contained HTML report under .fuzz/reports/
  -h, --help            this text

Replays the artifact's commands on a fresh node, printing every transaction's hash and outcome. Exit status: 0 fixed (every check passes), 1 the failure
(or another one) still happens, 2 bad artifact file or usage, 3 harness error.`;

export type FuzzOptions = {
  scenario: ScenarioKind;
  runs: number;
  timeBudgetMs: number | undefined;
  seed: number;
  /** Whether the seed was chosen at random (printed so the run can be repeated). */
  randomSeed: boolean;
  maxCommands: number;
  path: string | undefined;
  replayPath: string | undefined;
  shrinkBudgetMs: number | undefined;
  target: string | undefined;
  skipKnown: boolean;
  out: string | undefined;
  harness: string;
  root: string | undefined;
  /** Campaigns run in parallel, each on its own node (1: this process runs the campaign itself). */
  workers: number;
  /** Print the summary as JSON on stdout. */
  json: boolean;
  /** Where the behaviour coverage JSON goes. */
  coverageFile: string;
  /** Steer generation toward unseen behaviour (false: the kind's fixed weights), or fixed weights to replay a path. */
  steer: boolean | Record<string, number>;
};

export type ParseFuzzArgsReturnType = { help: true } | ({ help: false } & FuzzOptions);

const unlimitedRuns = 2 ** 31 - 1;

/** Parses `npm run fuzz` arguments (flags win over FUZZ_* environment variables). */
export function parseFuzzArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  random: () => number = Math.random,
): ParseFuzzArgsReturnType {
  const { values } = parse(argv, {
    scenario: { type: "string" },
    runs: { type: "string" },
    time: { type: "string" },
    seed: { type: "string" },
    "max-commands": { type: "string" },
    path: { type: "string" },
    "replay-path": { type: "string" },
    "shrink-time": { type: "string" },
    target: { type: "string" },
    "skip-known": { type: "boolean" },
    out: { type: "string" },
    harness: { type: "string" },
    root: { type: "string" },
    workers: { type: "string" },
    json: { type: "boolean" },
    coverage: { type: "string" },
    "no-steer": { type: "boolean" },
    steer: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return { help: true };

  const workers = count("--workers", values.workers ?? "1", 64);
  const scenario = (values.scenario ?? env.FUZZ_SCENARIO ?? "mixed") as ScenarioKind;
  if (!scenarios.includes(scenario)) {
    throw new UsageError(`--scenario must be one of ${scenarios.join(", ")}, got "${scenario}"`);
  }
  const timeBudgetMs = values.time === undefined ? undefined : parseDuration("--time", values.time);
  const runsText = values.runs ?? (timeBudgetMs === undefined ? env.FUZZ_RUNS : undefined);
  const defaultRuns = isIncidentKind(scenario) ? 3 : 100;
  const runs =
    runsText === undefined
      ? timeBudgetMs === undefined
        ? defaultRuns
        : unlimitedRuns
      : count("--runs", runsText);
  const seedText = values.seed ?? env.FUZZ_SEED;
  const seed = seedText === undefined ? Math.floor(random() * 2 ** 31) : int32("--seed", seedText);
  const path = values.path ?? env.FUZZ_PATH;
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path)) {
    throw new UsageError(`--path must look like 12:0:3 (a counterexample's path), got "${path}"`);
  }
  if (path !== undefined && seedText === undefined) {
    throw new UsageError("--path needs the --seed (or FUZZ_SEED) it was found with");
  }
  if (isIncidentKind(scenario) && (workers > 1 || path !== undefined)) {
    throw new UsageError(
      "--scenario incidents runs on one node: drop --workers and --path (replay an artifact)",
    );
  }
  if (path !== undefined && workers > 1) {
    throw new UsageError("--path replays one case on one node: drop --workers");
  }
  const steerText = values.steer ?? env.FUZZ_STEER;
  if (steerText !== undefined && values["no-steer"])
    throw new UsageError("--steer and --no-steer contradict");
  let steer: boolean | Record<string, number> = !values["no-steer"];
  if (steerText === "") steer = false;
  else if (steerText !== undefined) {
    try {
      steer = parseWeights(steerText);
    } catch (error) {
      throw new UsageError(`--steer: ${(error as Error).message}`);
    }
  }
  return {
    help: false,
    scenario,
    runs,
    timeBudgetMs,
    seed,
    randomSeed: seedText === undefined,
    maxCommands: count("--max-commands", values["max-commands"] ?? "30", 10_000),
    path,
    replayPath: values["replay-path"] ?? env.FUZZ_REPLAY_PATH,
    shrinkBudgetMs:
      values["shrink-time"] === undefined ? undefined : parseDuration("--shrink-time", values["shrink-time"]),
    target: values.target,
    skipKnown: values["skip-known"] ?? false,
    out: values.out,
    harness: values.harness ?? defaultHarnessModule,
    root: values.root,
    workers,
    json: values.json ?? false,
    coverageFile: values.coverage ?? `.fuzz/coverage/${scenario}-seed${seed}.json`,
    steer,
  };
}

/**
 * Worker i's seed: the given seed for worker 0, then a fixed odd step (the 32-bit golden ratio) apart, kept in
 * 0..2^31-1, so that workers explore different sequences and any one of them replays alone with its printed seed.
 */
export function workerSeed(seed: number, worker: number): number {
  if (worker === 0) return seed;
  return ((seed + Math.imul(worker, 0x9e3779b9)) >>> 0) % 2 ** 31;
}

export type ReproOptions = {
  artifact: string;
  harness: string;
  root: string | undefined;
  forge: boolean;
  trace: boolean;
  keepNode: boolean;
  html: boolean;
};
export type ParseReproArgsReturnType = { help: true } | ({ help: false } & ReproOptions);

export function parseReproArgs(argv: readonly string[]): ParseReproArgsReturnType {
  const { values, positionals } = parse(
    argv,
    {
      harness: { type: "string" },
      root: { type: "string" },
      forge: { type: "boolean" },
      trace: { type: "boolean" },
      "keep-node": { type: "boolean" },
      html: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    true,
  );
  if (values.help) return { help: true };
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "give the artifact file to replay"
        : `give one artifact file, got ${positionals.length}`,
    );
  }
  return {
    help: false,
    artifact: positionals[0] as string,
    harness: values.harness ?? defaultHarnessModule,
    root: values.root,
    forge: values.forge ?? false,
    trace: values.trace ?? false,
    keepNode: values["keep-node"] ?? false,
    html: values.html ?? false,
  };
}

type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

function parse<const T extends OptionSpec>(argv: readonly string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (error) {
    // node:util reports e.g. "Unknown option '--rusn'"; keep its words, drop the advice about '--'.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
}

/** "90s", "10m", "1h", "1500ms", or a bare number of seconds. */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`${flag} must be a duration like 90s, 10m or 1h, got "${text}"`);
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? "s") as "ms" | "s" | "m" | "h"];
  const ms = Math.round(Number(match[1]) * factor);
  if (ms <= 0) throw new UsageError(`${flag} must be longer than zero, got "${text}"`);
  return ms;
}

function count(flag: string, text: string, max = unlimitedRuns): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}, got "${text}"`);
  }
  return Number(text);
}

function int32(flag: string, text: string): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || n < -(2 ** 31) || n >= 2 ** 31) {
    throw new UsageError(`${flag} must be a 32-bit integer, got "${text}"`);
  }
  return n;
}
