/**
 * One process-wide registry of the anvil processes this process started, and the hooks that kill them
 * when the process ends: normally, by an uncaught error, or by SIGINT/SIGTERM/SIGHUP. The kill in the
 * 'exit' hook must be synchronous (Node runs no more async work there), so we track raw pids.
 *
 * A process killed with SIGKILL runs no hooks at all; nothing in-process can cover that case.
 */

type Registry = {
  /** pid → label of the node, for diagnostics. */
  readonly nodes: Map<number, string>;
  exitHookInstalled: boolean;
  readonly signalHooks: Map<NodeJS.Signals, () => void>;
  /** Whether the tool handles SIGINT itself (stops its work, then exits; the exit hook kills the nodes). */
  interruptHandled?: boolean;
};

// Kept on globalThis so that modules re-evaluated in the same process (vitest re-imports per test file)
// still share one registry and install each hook once.
const registryKey = Symbol.for("bulkhead.chain.liveNodes");
const globals = globalThis as typeof globalThis & { [registryKey]?: Registry };
const registry: Registry = globals[registryKey] ?? {
  nodes: new Map(),
  exitHookInstalled: false,
  signalHooks: new Map(),
};
globals[registryKey] = registry;

const hookedSignals: readonly NodeJS.Signals[] =
  process.platform === "win32" ? ["SIGINT", "SIGTERM"] : ["SIGINT", "SIGTERM", "SIGHUP"];

/** Registers a live anvil pid; returns the function that forgets it (call it once the process exited). */
export function trackNode(pid: number, label: string): () => void {
  installHooks();
  registry.nodes.set(pid, label);
  return () => {
    registry.nodes.delete(pid);
  };
}

/** The pids of the nodes this process started and has not seen exit. */
export function liveNodePids(): number[] {
  return [...registry.nodes.keys()];
}

/**
 * Lets the tool handle Ctrl-C itself: SIGINT then leaves the nodes running until the process exits (the exit
 * hook still kills them), so a campaign can finish its run and report. SIGTERM and SIGHUP still kill at once.
 */
export function handleInterruptGracefully(): void {
  registry.interruptHandled = true;
}

/** Sends `signal` to every tracked node, synchronously. Returns the pids signalled. */
export function killAllNodesSync(signal: NodeJS.Signals = "SIGKILL"): number[] {
  const killed: number[] = [];
  for (const pid of registry.nodes.keys()) {
    try {
      process.kill(pid, signal);
      killed.push(pid);
    } catch {
      // ESRCH: already gone.
    }
    registry.nodes.delete(pid);
  }
  return killed;
}

function installHooks(): void {
  if (!registry.exitHookInstalled) {
    registry.exitHookInstalled = true;
    process.on("exit", () => killAllNodesSync());
  }
  for (const signal of hookedSignals) {
    if (registry.signalHooks.has(signal)) continue;
    const onSignal = () => {
      if (signal === "SIGINT" && registry.interruptHandled) return;
      killAllNodesSync();
      process.off(signal, onSignal);
      registry.signalHooks.delete(signal);
      // Adding a listener disables Node's default "terminate on signal". If nobody else handles it,
      // re-raise so the process still dies of the signal. Our hook is prepended, so listeners such as
      // signal-exit's (used by execa), which only re-raise when they are alone, run after we left.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    registry.signalHooks.set(signal, onSignal);
    process.prependListener(signal, onSignal);
  }
}
