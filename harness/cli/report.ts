import type { CoverageCounts } from "../coverage/format.js";
import { kindOf } from "../invariants/violation.js";
import type { ProgressStats } from "../runner/run.js";
import type { FailureInfo, JsonValue, StepRecord } from "../scenario/contract.js";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const health = (h: number | null) => (h === null ? "-" : h.toFixed(3));

/** One progress line: runs, actions/s, modes reached, worst health, failures. */
export function formatProgress(stats: ProgressStats): string {
  const parts = [
    `[${seconds(stats.elapsedMs).padStart(7)}]`,
    `runs ${stats.runs}`,
    `actions ${stats.actions} (${stats.actionsPerSecond}/s)`,
    `modes ${stats.modes.join(",") || "-"}`,
    `worst health ${health(stats.worstHealth)}`,
    `failures ${stats.failures}`,
  ];
  if (stats.invariant !== null) parts.push(`shrinking ${stats.invariant} (${stats.shrinkRuns} tries)`);
  return parts.join(" | ");
}

/** What one campaign ended with: `npm run fuzz -- --json` prints it, and --workers merges one per worker. */
export type FuzzSummary = ProgressStats & {
  status: "passed" | "failed" | "error";
  scenario: string;
  seed: number;
  /** Stopped early: by the time budget, or by Ctrl-C. */
  interrupted: boolean;
  failure?: {
    invariant: string;
    kind: string | null;
    step: number;
    /** Commands in the shrunk counterexample. */
    commands: number;
    path: string;
    artifact: string;
    report: string | null;
  };
  /** A harness error (not a finding). */
  error?: string;
  /** Behaviour coverage: seen/possible per axis, and the JSON file with every cell. */
  coverage?: CoverageCounts;
  /** `--scenario incidents | incident:<name>`: each incident's playbook and its variations. */
  incidents?: IncidentSummary[];
};

/** One incident in the JSON summary; amounts are collateral base units as decimal strings. */
export type IncidentSummary = {
  name: string;
  /** The promise the post-mortem playbook broke, or null if it held. */
  playbookBroke: string | null;
  /** The playbook's outcome (null when the run ended before the incident could be measured). */
  playbook: { attackerPnl: string; attackerBound: string; lpPnl: { role: string; pnl: string }[] } | null;
  /** Fuzzed variations run, and the largest attacker P&L among them. */
  runs: number;
  worstAttackerPnl: string | null;
  failure: { invariant: string; artifact: string } | null;
};

export function formatSummary(stats: ProgressStats, context: { scenario: string; seed: number }): string {
  return [
    `${stats.runs} runs (${stats.shrinkRuns} while shrinking), ${stats.actions} actions in ${seconds(stats.elapsedMs)} ` +
      `(${stats.actionsPerSecond} actions/s); scenario ${context.scenario}, seed ${context.seed}`,
    `modes reached: ${stats.modes.join(", ") || "-"}; worst health: ${health(stats.worstHealth)}; ` +
      `failing runs: ${stats.failures}${stats.otherFailures ? ` (+${stats.otherFailures} with another invariant, ignored while shrinking)` : ""}` +
      (stats.foundAfterMs === null ? "" : `; first failure after ${seconds(stats.foundAfterMs)}`),
    ...(stats.engine && stats.engine.simulatedRuns > 0
      ? [
          `engine: ${stats.engine.simulatedRuns} runs on simulated blocks; of their failures ${stats.engine.confirmed} ` +
            `confirmed on mined blocks, ${stats.engine.unconfirmed} not (not reported)`,
        ]
      : []),
  ].join("\n");
}

const json = (v: JsonValue) => (typeof v === "string" ? v : JSON.stringify(v));

/** How each kind of failure is announced: a broken promise first and loudest, a model disagreement as such. */
const headings = {
  promise: "PROMISE BROKEN (a user-level promise, judged from the chain and what actors did)",
  protocol: "PROTOCOL INVARIANT BROKEN (read from the chain)",
  model:
    "MODEL DISAGREES WITH THE CHAIN (the reference model or the contract is wrong; no promise was broken)",
  unexpected: "UNEXPECTED ERROR in a command",
} as const;

/** The failure in full: its kind, invariant, the steps with block and timestamp, expected vs actual, the diff. */
export function formatFailure(failure: FailureInfo, steps: readonly StepRecord[]): string {
  const kind = failure.kind ?? kindOf(failure.invariant);
  const lines = [headings[kind], `${failure.invariant} violated at step ${failure.step}`];
  if (failure.actors && failure.actors.length > 0) lines.push(`actors: ${failure.actors.join(", ")}`);
  lines.push("steps:");
  for (const s of steps) {
    const mark = s.index === failure.step ? ">" : " ";
    lines.push(
      `  ${mark} ${String(s.index).padStart(3)}  ${s.command}   (block ${s.block}, t=${s.timestamp})`,
    );
  }
  if (steps.length === 0) lines.push("    (none)");
  lines.push(`expected: ${json(failure.expected)}`, `actual:   ${json(failure.actual)}`);
  if (failure.diff.length > 0) {
    lines.push("model vs chain:");
    for (const d of failure.diff) lines.push(`  ${d.path}: expected ${d.expected}, chain ${d.actual}`);
  }
  return lines.join("\n");
}

/** Quotes a shell argument only when it needs it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
