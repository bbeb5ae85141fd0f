/**
 * What a bench mode is and how it is timed (wall time and the CPU of anvil and of this process), apart from
 * the modes themselves so that a mode in its own module (mixed.ts) and the list of modes import it one way.
 */
import { type BenchNode, processCpuMs, type StartBenchNodeParameters } from "./benchNode.js";

export type ModeResult = {
  /** Actions executed and checked. */
  actions: number;
  /** Wall time of the actions and of the resets between runs (node start and deployment excluded). */
  seconds: number;
};

export type MeasuredModeResult = ModeResult & {
  /**
   * CPU time of anvil and of this process per action. On a loaded machine wall time mostly measures the
   * neighbours; CPU time measures the work, and 1000 / cpuMsPerAction estimates one stream's rate when the
   * machine is otherwise idle (node and anvil take turns). Undefined where /proc is unreadable.
   */
  cpuMsPerAction: number | undefined;
  /** The part of cpuMsPerAction spent in anvil (the rest: this process and its children, e.g. forge). */
  anvilCpuMsPerAction: number | undefined;
  /** Anything the row should say about the outcome (the mixed campaign: passed, or what it found). */
  outcome?: string | undefined;
};

export type BenchModeContext = {
  node: BenchNode;
  actions: number;
  /** Actions per fuzz run: every run starts from the baseline, as the runner's do. */
  runLength: number;
  seed: number;
  /** Starts another node for modes that need one (stopped by the caller, untimed). */
  startNode(label: string, anvil?: StartBenchNodeParameters["anvil"]): Promise<BenchNode>;
  /**
   * Times `body` (wall and CPU of this process, its children and every node started so far): only the part
   * a mode wraps in it counts, so that setup such as climbing the chain stays out. `body` returns the
   * number of actions it ran.
   */
  measure(body: () => Promise<number>): Promise<MeasuredModeResult>;
};

export type BenchMode = {
  id: string;
  /** What the mode does, for the table. */
  label: string;
  /** The lever it isolates, for the report. */
  lever: string;
  /** Caps the actions of a mode too slow to run at full count within the time budget. */
  maxActions?: number | undefined;
  run(context: BenchModeContext): Promise<MeasuredModeResult>;
};

/**
 * Times `body`: wall time, and the CPU of the anvil processes `pids` names (read before and after) plus this
 * process and its reaped children (forge scripts).
 */
export async function measure(
  pids: () => readonly (number | undefined)[],
  body: () => Promise<number>,
): Promise<MeasuredModeResult> {
  const anvilCpu = () => {
    const each = pids().map((pid) => processCpuMs(pid));
    return each.includes(undefined) ? undefined : (each as number[]).reduce((sum, ms) => sum + ms, 0);
  };
  const anvilBefore = anvilCpu();
  const selfBefore = processCpuMs("self", true);
  const started = performance.now();
  const actions = await body();
  const seconds = (performance.now() - started) / 1000;
  const anvilAfter = anvilCpu();
  const selfAfter = processCpuMs("self", true);
  if (
    anvilBefore === undefined ||
    anvilAfter === undefined ||
    selfBefore === undefined ||
    selfAfter === undefined
  ) {
    return { actions, seconds, cpuMsPerAction: undefined, anvilCpuMsPerAction: undefined };
  }
  const anvilMs = anvilAfter - anvilBefore;
  return {
    actions,
    seconds,
    cpuMsPerAction: (anvilMs + selfAfter - selfBefore) / actions,
    anvilCpuMsPerAction: anvilMs / actions,
  };
}
