import { accessSync, constants } from "node:fs";
import { type AnvilOptions, type CreateAnvilOptions, createAnvil } from "@viem/anvil";
import { FoundryBinaryNotFoundError, foundryBinary } from "./foundryBinary.js";
import { getFreePort } from "./freePort.js";
import { trackNode } from "./liveNodes.js";

export type AnvilExit = {
  code: number | undefined;
  signal: NodeJS.Signals | undefined;
  /** True when the harness itself stopped the node. */
  expected: boolean;
};

export type AnvilNode = {
  readonly label: string;
  readonly host: string;
  readonly port: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** The anvil process id (undefined only where no POSIX shell exists to report it, e.g. Windows). */
  readonly pid: number | undefined;
  /** Seconds added per mined block, or undefined when blocks follow the wall clock. */
  readonly blockTimestampInterval: number | undefined;
  /** The node's most recent output lines (anvil logs every RPC call), for error messages. */
  readonly logs: readonly string[];
  /** Set once the process has exited. */
  readonly exit: AnvilExit | undefined;
  /** Resolves (never rejects) when the process exits, for whatever reason. */
  readonly exited: Promise<AnvilExit>;
  /**
   * Calls `listener` when the process exits (at once if it already has); returns the unsubscribe
   * function. Prefer this to racing `exited` in hot paths: every race leaves a reaction on the pending
   * promise until the node exits.
   */
  onExit(listener: (exit: AnvilExit) => void): () => void;
  /** Stops the node: SIGTERM, then SIGKILL after the stop timeout. Idempotent. */
  stop(): Promise<void>;
};

export type StartAnvilParameters = {
  /** Names the node in errors and in the live-node registry. */
  label?: string | undefined;
  host?: string | undefined;
  /** Fixed port; by default the OS picks a free one (retried if someone takes it first). */
  port?: number | undefined;
  /** Path of the anvil executable; by default the one installed by npm (see tools/foundryBinary.mjs). */
  anvilBinary?: string | undefined;
  /** Any other anvil flag, as @viem/anvil spells it (chainId, accounts, mnemonic, gasLimit, ...). */
  options?: Omit<AnvilOptions, "host" | "port" | "timestamp"> | undefined;
  /**
   * Genesis timestamp. Fixed by default so the same run gives the same block timestamps; `false`
   * lets anvil use the wall clock.
   */
  genesisTimestamp?: number | bigint | false | undefined;
  /**
   * Seconds between consecutive blocks (anvil_setBlockTimestampInterval). Set by default so block
   * timestamps never depend on wall-clock time; `false` keeps anvil's wall-clock mode.
   */
  blockTimestampInterval?: number | false | undefined;
  startTimeoutMs?: number | undefined;
  stopTimeoutMs?: number | undefined;
};

export type StartAnvilReturnType = AnvilNode;

export class AnvilStartError extends Error {
  override name = "AnvilStartError";
}

export const defaultGenesisTimestamp = 1_700_000_000;
export const defaultBlockTimestampInterval = 12;

const pidMarker = "bulkhead-anvil-pid=";
const pidPattern = new RegExp(`${pidMarker}(\\d+)`);
const portTakenPattern = /address already in use/i;
const maxPortAttempts = 3;
let nodeCounter = 0;

/** Starts an anvil node on a free port and registers it so it cannot outlive this process. */
export async function startAnvil(parameters: StartAnvilParameters = {}): Promise<StartAnvilReturnType> {
  const label = parameters.label ?? `anvil#${++nodeCounter}`;
  const binary = parameters.anvilBinary ?? foundryBinary("anvil");
  if (parameters.anvilBinary !== undefined) assertExecutable(binary);

  for (let attempt = 1; ; attempt++) {
    const host = parameters.host ?? "127.0.0.1";
    const port = parameters.port ?? (await getFreePort(host));
    try {
      return await startOnPort({ ...parameters, label, host, port, binary });
    } catch (error) {
      const retry = parameters.port === undefined && attempt < maxPortAttempts;
      if (retry && error instanceof AnvilStartError && portTakenPattern.test(error.message)) continue;
      throw error;
    }
  }
}

type StartOnPortParameters = StartAnvilParameters & {
  label: string;
  host: string;
  port: number;
  binary: string;
};

async function startOnPort(parameters: StartOnPortParameters): Promise<AnvilNode> {
  const { label, host, port, binary } = parameters;
  const blockTimestampInterval = parameters.blockTimestampInterval ?? defaultBlockTimestampInterval;
  const genesisTimestamp = parameters.genesisTimestamp ?? defaultGenesisTimestamp;
  const stopTimeoutMs = parameters.stopTimeoutMs ?? 5_000;

  const anvilOptions: CreateAnvilOptions = {
    // FIFO makes the order of transactions in a manually mined block the order they were sent.
    order: "fifo",
    ...parameters.options,
    host,
    port,
    timestamp: genesisTimestamp === false ? undefined : genesisTimestamp,
    anvilBinary: binary,
    startTimeout: parameters.startTimeoutMs ?? 10_000,
    execArgs: reportPid,
  };
  const instance = createAnvil(anvilOptions);

  let pid: number | undefined;
  let exit: AnvilExit | undefined;
  let stopping = false;
  let untrack = () => {};
  let resolveExited: (exit: AnvilExit) => void = () => {};
  const exited = new Promise<AnvilExit>((resolve) => {
    resolveExited = resolve;
  });
  const exitListeners = new Set<(exit: AnvilExit) => void>();

  const offStdout = instance.on("stdout", (message) => {
    if (pid !== undefined) return;
    const match = pidPattern.exec(message);
    if (!match) return;
    pid = Number(match[1]);
    untrack = trackNode(pid, `${label} (port ${port})`);
  });
  instance.on("exit", (code, signal) => {
    untrack();
    const info: AnvilExit = { code, signal, expected: stopping };
    exit = info;
    resolveExited(info);
    for (const listener of exitListeners) listener(info);
    exitListeners.clear();
  });

  const describe = () => `${label} (${binary} on ${host}:${port})`;
  try {
    await instance.start();
  } catch (error) {
    untrack();
    const reason = error instanceof Error ? error.message : String(error);
    const logs = instance.logs.join("").trim();
    throw new AnvilStartError(
      `anvil failed to start: ${describe()}: ${reason}${logs ? `\n--- anvil output ---\n${logs}` : ""}`,
      { cause: error },
    );
  } finally {
    offStdout();
  }

  const node: AnvilNode = {
    label,
    host,
    port,
    httpUrl: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}`,
    get pid() {
      return pid;
    },
    blockTimestampInterval: blockTimestampInterval === false ? undefined : blockTimestampInterval,
    get logs() {
      return instance.logs;
    },
    get exit() {
      return exit;
    },
    exited,
    onExit(listener) {
      if (exit) {
        listener(exit);
        return () => {};
      }
      exitListeners.add(listener);
      return () => {
        exitListeners.delete(listener);
      };
    },
    async stop() {
      if (exit) return;
      stopping = true;
      if (pid === undefined) {
        // Without a pid, fall back to @viem/anvil's own stop (it keeps a timer alive until its timeout).
        await instance.stop().catch(() => {});
        return;
      }
      // We stop by pid rather than instance.stop(): the latter arms a timer it never clears, which keeps
      // a CLI process alive for the whole stop timeout after the node is already gone.
      signal(pid, "SIGTERM");
      const timer = setTimeout(() => pid !== undefined && signal(pid, "SIGKILL"), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };

  if (blockTimestampInterval !== false) {
    try {
      await rpc(node.httpUrl, "anvil_setBlockTimestampInterval", [blockTimestampInterval]);
    } catch (error) {
      await node.stop();
      throw new AnvilStartError(`anvil started but could not be configured: ${describe()}`, { cause: error });
    }
  }
  return node;
}

/**
 * @viem/anvil does not expose the child process, but the synchronous exit hook needs its pid. A POSIX
 * shell prints its own pid and then `exec`s anvil, which keeps that pid: no extra process, and signals
 * reach anvil directly.
 *
 * execa's own `cleanup` is turned off: liveNodes.ts is the one owner of "kill on exit". Two owners
 * would also hide a broken registry from the tests that check it.
 */
function reportPid(
  execParameters: Parameters<Extract<CreateAnvilOptions["execArgs"], (...args: never[]) => unknown>>[0],
) {
  const [file, args, options] = execParameters;
  // Its own process group: a terminal's Ctrl-C reaches the tool, which decides when the node stops (the
  // fuzz CLI finishes its run first); liveNodes.ts kills it by pid whenever this process ends.
  const withoutCleanup = { ...options, cleanup: false, detached: process.platform !== "win32" };
  if (process.platform === "win32") return [file, args, withoutCleanup] as typeof execParameters;
  const script = `echo "${pidMarker}$$"; exec "$0" "$@"`;
  return ["/bin/sh", ["-c", script, file, ...args], withoutCleanup] as typeof execParameters;
}

function assertExecutable(binary: string): void {
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new FoundryBinaryNotFoundError("anvil", `${binary} does not exist or is not executable`);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // ESRCH: already gone.
  }
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
