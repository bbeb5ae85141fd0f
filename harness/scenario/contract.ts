// The contract between the scenario layer (commands, arbitraries, world wiring: harness/scenario/) and
// the runner/CLIs (harness/runner/, harness/cli/). Kept small and stable: the runner only needs to
// generate, run, name and rebuild commands; everything protocol-specific stays on the scenario side.
import type * as fc from "fast-check";
import type { BehaviourCoverage } from "../coverage/coverage.js";
import type { Steering } from "../coverage/steering.js";
import type { FailureInfo, JsonValue } from "../invariants/violation.js";

// The failure vocabulary has its home with the checks that raise it; the runner reads it from here too.
export {
  type FailureInfo,
  type FailureKind,
  InvariantViolation,
  type JsonValue,
} from "../invariants/violation.js";

/** The incident library (harness/scenario/incidents/): each replays a public post-mortem's price path. */
export const incidentNames = [
  "mango",
  "jelly",
  "moola",
  "harvest",
  "bzx",
  "compoundDai",
  "skrw",
  "blackThursday",
  "oct2025",
] as const;
export type IncidentName = (typeof incidentNames)[number];
/** `incidents` draws every incident; `incident:<name>` one. */
export type IncidentKind = "incidents" | `incident:${IncidentName}`;
export const incidentKinds: readonly IncidentKind[] = [
  "incidents",
  ...incidentNames.map((n): IncidentKind => `incident:${n}`),
];
export const isIncidentKind = (kind: string): kind is IncidentKind =>
  (incidentKinds as readonly string[]).includes(kind);

const commandKinds = [
  "oracle",
  "cascade",
  "mixed",
  "adversarial",
  "griefer",
  "feeds",
  "lp",
  "netting",
  "volatility",
  "governance",
  "drain",
  "manipulation",
] as const;
/** The kinds a weighted draw of commands serves (harness/scenario/weights.ts). */
export type CommandKind = (typeof commandKinds)[number];

export const scenarioKinds: readonly ScenarioKind[] = [...commandKinds, ...incidentKinds];

/**
 * Which commands a campaign draws (harness/scenario/weights.ts). `adversarial` mixes every adversary with
 * ordinary users; the narrower kinds aim one adversary family at the promises it attacks. The incident kinds
 * replay public incidents (harness/scenario/incidents/), varied around each one's price path.
 */
export type ScenarioKind = CommandKind | IncidentKind;

/** One executed step, as recorded by the real world (block and timestamp as decimal strings). */
export type StepRecord = {
  index: number;
  command: string;
  name: string;
  args: Record<string, JsonValue>;
  block: string;
  timestamp: string;
};

/** An fc.AsyncCommand plus a stable name and JSON args, so that a failure artifact can rebuild it. */
export interface NamedCommand<M extends object, R> extends fc.AsyncCommand<M, R, boolean> {
  readonly name: string;
  args(): Record<string, JsonValue>;
}

/**
 * Optional observations of one world for the runner's progress lines (aggregated over runs).
 * `modes`: the market modes seen so far (e.g. "Normal", "Halted"); `worstHealth`: the lowest account
 * health seen, as equity / maintenance requirement (1 = at the liquidation threshold), null if none.
 */
export type WorldStats = { modes: string[]; worstHealth: number | null };

/** What harness/scenario/index.ts exports for the runner. */
export type ScenarioHarness<M extends object, R> = {
  /**
   * Typically `fc.commands(arbitrariesOfNamedCommands, { maxCommands })`. Typed as fast-check types it: its
   * elements are fast-check's wrappers around your NamedCommands (the runner unwraps them for name/args).
   */
  commands(
    kind: ScenarioKind,
    maxCommands: number,
    /**
     * Pass it on as `fc.commands(..., { replayPath })`: fast-check needs it (with seed and path) to replay a
     * shrunk command sequence, since which commands ran is not part of the path.
     */
    replayPath?: string,
    /** Draw commands with these live weights (behaviour-coverage steering) instead of the kind's fixed ones. */
    steering?: Steering,
  ): fc.Arbitrary<Iterable<fc.AsyncCommand<M, R, boolean>>>;
  /** Optional: a steering that starts from the kind's own weights (see harness/coverage/steering.ts). */
  steering?(kind: ScenarioKind): Steering;
  /** Optional: what the last run made the protocol do (behaviour coverage and per-command metrics). */
  coverage?(real: R): BehaviourCoverage;
  /** Throws on an unknown name or bad args. */
  rebuild(name: string, args: Record<string, JsonValue>): NamedCommand<M, R>;
  /**
   * A fresh model and real world on the baseline (resets the chain to the baseline snapshot). With
   * `simulate` (only if `simulates`), the run's steps execute on simulated blocks and their checks wait for
   * endRun (harness/engine/): a failure found that way is a lead, to be confirmed on mined blocks.
   */
  setup(options?: { simulate?: boolean | undefined }): Promise<{ model: M; real: R }>;
  /** Optional: whether setup({ simulate: true }) is supported for runs of this scenario kind. */
  simulates?(kind: ScenarioKind): boolean;
  /**
   * Optional: completes a run after its last command (a simulated run's pending checks); throws like a
   * command would.
   */
  endRun?(real: R): Promise<void>;
  /** The steps executed so far in this world, with block and timestamp. */
  trace(real: R): StepRecord[];
  /** Optional: progress observations (see WorldStats). */
  stats?(real: R): WorldStats;
  /**
   * Optional: failures the checks should record and let pass, so the run goes on (known open bugs, or all
   * but a campaign's target). Applies to every later setup().
   */
  tolerate?(predicate: (failure: FailureInfo) => boolean): void;
};
