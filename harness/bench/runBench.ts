import os from "node:os";
import { startBenchNode } from "./benchNode.js";
import { type ForgeInvariantResult, runForgeInvariants } from "./forge.js";
import type { BenchMode } from "./measure.js";
import { benchModes, runBenchMode } from "./modes.js";

export type BenchRow = {
  id: string;
  label: string;
  lever: string;
  actions: number;
  seconds: number;
  actionsPerSecond: number;
  cpuMsPerAction: number | undefined;
  anvilCpuMsPerAction: number | undefined;
  outcome?: string | undefined;
  /** forge calls/s ÷ this mode's actions/s (how many invariant calls forge makes per harness action). */
  forgePerAction: number | undefined;
  error?: string | undefined;
};

export type BenchReport = {
  workload: string;
  seed: number;
  actionsPerMode: number;
  runLength: number;
  goalActionsPerSecond: number;
  machine: { cpus: number; loadAverage: number[]; node: string };
  rows: BenchRow[];
  forge: ForgeInvariantResult | { error: string } | undefined;
};

export type RunBenchParameters = {
  actions: number;
  /** Actions per fuzz run (each run starts from the baseline). Default 50. */
  runLength?: number | undefined;
  seed?: number | undefined;
  /** Mode ids to run (default: all, in table order). */
  modes?: readonly string[] | undefined;
  forge?: boolean | undefined;
  /** Progress, one line per finished stage. */
  onProgress?: ((line: string) => void) | undefined;
};

export const goalActionsPerSecond = 1_000;

export class BenchUsageError extends Error {
  override name = "BenchUsageError";
}

/**
 * Times every mode on one node (each from the same baseline and the same seeded actions), then forge's
 * invariant runner on its own (so the two never compete for the two cores), and relates them.
 */
export async function runBench(parameters: RunBenchParameters): Promise<BenchReport> {
  const seed = parameters.seed ?? 1;
  const runLength = parameters.runLength ?? 50;
  const progress = parameters.onProgress ?? (() => {});
  const modes = selectModes(parameters.modes);
  const rows: BenchRow[] = [];

  const node = await startBenchNode({ label: "bench" });
  try {
    for (const mode of modes) {
      try {
        const result = await runBenchMode({ mode, node, actions: parameters.actions, runLength, seed });
        const actionsPerSecond = result.actions / result.seconds;
        rows.push({ ...base(mode), ...result, actionsPerSecond, forgePerAction: undefined });
        progress(
          `${mode.id}: ${result.actions} actions in ${result.seconds.toFixed(2)} s${result.outcome ? ` (${result.outcome})` : ""}`,
        );
      } catch (error) {
        const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
        rows.push({
          ...base(mode),
          actions: 0,
          seconds: 0,
          actionsPerSecond: 0,
          cpuMsPerAction: undefined,
          anvilCpuMsPerAction: undefined,
          forgePerAction: undefined,
          error: message,
        });
        progress(`${mode.id}: FAILED ${message}`);
      }
    }
  } finally {
    await node.stop();
  }

  let forge: BenchReport["forge"];
  if (parameters.forge ?? true) {
    try {
      forge = await runForgeInvariants();
      progress(`forge: ${forge.calls} calls in ${forge.wallSeconds.toFixed(2)} s (${forge.source})`);
      for (const row of rows) {
        if (row.actionsPerSecond > 0) row.forgePerAction = forge.callsPerSecond / row.actionsPerSecond;
      }
    } catch (error) {
      forge = { error: error instanceof Error ? error.message : String(error) };
      progress(`forge: FAILED ${forge.error.split("\n")[0]}`);
    }
  }

  return {
    workload:
      "representative step: one market tx (trade/deposit/oracle round), inclusion, one Lens read, model checks",
    seed,
    actionsPerMode: parameters.actions,
    runLength,
    goalActionsPerSecond,
    machine: {
      cpus: os.cpus().length,
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
      node: process.version,
    },
    rows,
    forge,
  };
}

function base(mode: BenchMode) {
  return { id: mode.id, label: mode.label, lever: mode.lever };
}

function selectModes(ids: readonly string[] | undefined): BenchMode[] {
  if (!ids) return [...benchModes];
  return ids.map((id) => {
    const mode = benchModes.find((m) => m.id === id);
    if (!mode) {
      throw new BenchUsageError(`unknown mode ${id}; modes: ${benchModes.map((m) => m.id).join(", ")}`);
    }
    return mode;
  });
}
