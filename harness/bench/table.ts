import type { BenchReport } from "./runBench.js";

/** The report as a fixed-width table plus notes, for a terminal. */
export function formatBenchTable(report: BenchReport): string {
  const forge = report.forge && "callsPerSecond" in report.forge ? report.forge : undefined;
  const header = [
    "mode",
    "actions",
    "seconds",
    "actions/s",
    "× forge",
    "CPU ms/action (anvil+harness)",
    "what it does",
  ];
  const rows: string[][] = report.rows.map((r) =>
    r.error
      ? [r.id, "-", "-", "FAILED", "-", "-", `${r.label}: ${r.error}`]
      : [
          r.id,
          String(r.actions),
          r.seconds.toFixed(2),
          Math.round(r.actionsPerSecond).toLocaleString("en-US"),
          r.forgePerAction === undefined ? "-" : `${formatRatio(1 / r.forgePerAction)}×`,
          r.cpuMsPerAction === undefined || r.anvilCpuMsPerAction === undefined
            ? "-"
            : `${r.cpuMsPerAction.toFixed(2)} (${r.anvilCpuMsPerAction.toFixed(2)}+${(r.cpuMsPerAction - r.anvilCpuMsPerAction).toFixed(2)})`,
          r.outcome ? `${r.label} (${r.outcome})` : r.label,
        ],
  );
  if (forge) {
    rows.push([
      "forge",
      String(forge.calls),
      forge.wallSeconds.toFixed(2),
      Math.round(forge.callsPerSecond).toLocaleString("en-US"),
      "1.00×",
      "-",
      forge.source === "suite"
        ? "forge invariant runner, protocol suite"
        : "forge invariant runner, trivial handler",
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const right = new Set([1, 2, 3, 4, 5]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        i === cells.length - 1 ? c : right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0),
      )
      .join("  ");
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];

  out.push("");
  out.push(
    `workload: ${report.workload}; runs of ${report.runLength} from the baseline; seed ${report.seed}`,
  );
  out.push(
    `machine: ${report.machine.cpus} cores, load ${report.machine.loadAverage.join(" ")}, node ${report.machine.node}`,
  );
  if (forge) out.push(`forge: ${forge.command} — ${forge.note}`);
  else if (report.forge && "error" in report.forge) out.push(`forge: FAILED ${report.forge.error}`);
  out.push('"× forge" = harness actions per second ÷ forge invariant calls per second, same run.');
  out.push(
    '"CPU ms/action" = anvil + harness (with its children) CPU per action: the work, whatever the neighbours do; 1000 / it estimates ' +
      "one stream's actions/s on an idle machine.",
  );
  const met = report.rows
    .filter((r) => !r.error && r.actionsPerSecond >= report.goalActionsPerSecond)
    .map((r) => r.id);
  out.push(
    `goal ${report.goalActionsPerSecond.toLocaleString("en-US")} actions/s: ${met.length ? `met by ${met.join(", ")}` : "not met by any mode"}`,
  );
  return out.join("\n");
}

function formatRatio(x: number): string {
  return x >= 10 ? Math.round(x).toLocaleString("en-US") : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2);
}
