import type { BehaviourCoverage } from "./coverage.js";

/**
 * Steers generation toward behaviour not yet seen: a command whose transactions reached rarely seen cells (a mode,
 * an outcome, an oracle reading, a transition few runs reached) is drawn more often, up to `maxBoost + 1` times its
 * base weight — the same idea as a coverage-guided fuzzer's energy, on semantic cells instead of branches.
 *
 * Weights change only between epochs of `epochRuns` generated runs and never while a failure is shrunk, and they
 * depend only on what earlier runs of the same seed did: a campaign stays deterministic, and the weights in force
 * when a failure was found (`current`) are what a path replay needs (printed with it).
 */
export class Steering {
  private weights: Record<string, number>;
  private runsSinceUpdate = 0;
  frozen = false;

  constructor(
    readonly base: Readonly<Record<string, number>>,
    readonly options: { epochRuns?: number; rareBelow?: number; maxBoost?: number } = {},
  ) {
    this.weights = { ...base };
  }

  /** Fixed weights (a path replay): never updated. */
  static fixed(weights: Readonly<Record<string, number>>): Steering {
    const s = new Steering(weights);
    s.frozen = true;
    return s;
  }

  /** The weights to draw the next run's commands with. */
  get current(): Readonly<Record<string, number>> {
    return this.weights;
  }

  /** After each generated run: every `epochRuns` runs, re-weights from the campaign's coverage so far. */
  afterRun(coverage: BehaviourCoverage): void {
    if (this.frozen) return;
    this.runsSinceUpdate++;
    if (this.runsSinceUpdate < (this.options.epochRuns ?? 10)) return;
    this.runsSinceUpdate = 0;
    this.weights = steeredWeights(this.base, coverage, this.options);
  }
}

/** base × (1 + min(maxBoost, cells this command produced that were hit fewer than `rareBelow` times)). */
export function steeredWeights(
  base: Readonly<Record<string, number>>,
  coverage: BehaviourCoverage,
  { rareBelow = 3, maxBoost = 3 }: { rareBelow?: number; maxBoost?: number } = {},
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, weight] of Object.entries(base)) {
    if (weight <= 0) continue;
    let rare = 0;
    for (const c of coverage.producedBy.get(name) ?? []) if (coverage.hits(c) < rareBelow) rare++;
    out[name] = weight * (1 + Math.min(maxBoost, rare));
  }
  return out;
}

/** `open:8,close:2` — how weights travel on a command line (FUZZ_STEER / --steer). */
export function formatWeights(weights: Readonly<Record<string, number>>): string {
  return Object.entries(weights)
    .map(([k, v]) => `${k}:${v}`)
    .join(",");
}

export function parseWeights(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(",")) {
    const match = /^([A-Za-z]\w*):(\d+)$/.exec(part.trim());
    if (!match) throw new Error(`bad weight "${part}": expected name:integer, e.g. open:8`);
    out[match[1] as string] = Number(match[2]);
  }
  return out;
}
