import type { AxisCount, BehaviourCoverage, CoverageSummary } from "./coverage.js";

const ratio = (a: AxisCount) => `${a.seen}/${a.total}${a.extra > 0 ? ` (+${a.extra} undeclared)` : ""}`;

/** The short form carried in `--json` summaries. */
export type CoverageCounts = {
  file: string | null;
  modeActionOutcome: string;
  oracleAction: string;
  errors: string;
  promises: string;
  transitions: number;
};

export function coverageCounts(summary: CoverageSummary, file: string | null): CoverageCounts {
  return {
    file,
    modeActionOutcome: ratio(summary.modeActionOutcome),
    oracleAction: ratio(summary.oracleAction),
    errors: ratio(summary.errors),
    promises: ratio(summary.promises),
    transitions: summary.transitions,
  };
}

/** The coverage lines printed at the end of a campaign. */
export function formatCoverage(coverage: BehaviourCoverage): string[] {
  const s = coverage.summary();
  const promisesUnseen =
    s.promises.unseen.length > 0 ? `; no case yet for ${s.promises.unseen.join(", ")}` : "";
  return [
    `behaviour coverage over ${s.runs} generated runs: mode×action×outcome ${ratio(s.modeActionOutcome)}, ` +
      `oracle class×action ${ratio(s.oracleAction)}, mode transitions ${s.transitions} kinds, ` +
      `custom errors ${ratio(s.errors)}`,
    `promises with a case to judge: ${ratio(s.promises)}${promisesUnseen}`,
  ];
}

/** Per-command metrics, like forge's `show_metrics`: one row per command drawn. */
export function formatMetrics(coverage: BehaviourCoverage): string[] {
  const rows = [...coverage.commands.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  if (rows.length === 0) return [];
  const width = Math.max(7, ...rows.map(([name]) => name.length));
  const lines = [`${"command".padEnd(width)}  calls    txs     ok  reverts  trips  top revert reasons`];
  for (const [name, m] of rows) {
    const reverts = Object.values(m.reverts).reduce((a, b) => a + b, 0);
    const top = Object.entries(m.reverts)
      .sort(([, a], [, b]) => b - a)
      .slice(0, 3)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(", ");
    lines.push(
      `${name.padEnd(width)}  ${String(m.calls).padStart(5)}  ${String(m.txs).padStart(5)}  ${String(m.ok).padStart(5)}` +
        `  ${String(reverts).padStart(7)}  ${String(m.trips + m.invariantTrips).padStart(5)}  ${top}`,
    );
  }
  return lines;
}
