import type { AnvilExit, AnvilNode } from "./anvil.js";

export type NodeDiedErrorParameters = {
  node: Pick<AnvilNode, "label" | "port" | "pid" | "logs">;
  step: string;
  exit: AnvilExit | undefined;
  cause?: unknown;
};

/** The anvil node a step was talking to is gone. Names the step so a run log points at it. */
export class NodeDiedError extends Error {
  override name = "NodeDiedError";
  readonly step: string;
  readonly nodeLabel: string;
  readonly exit: AnvilExit | undefined;

  constructor({ node, step, exit, cause }: NodeDiedErrorParameters) {
    const how = !exit
      ? "stopped answering"
      : exit.expected
        ? "was already stopped by the harness"
        : `died (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code ?? "unknown"}`})`;
    const logs = node.logs.join("").trim().split("\n").slice(-10).join("\n");
    super(
      `anvil node ${node.label} (pid ${node.pid ?? "?"}, port ${node.port}) ${how} during step "${step}"` +
        (logs ? `\n--- last anvil output ---\n${logs}` : ""),
      { cause },
    );
    this.step = step;
    this.nodeLabel = node.label;
    this.exit = exit;
  }
}

export type RunStepParameters<result> = {
  node: AnvilNode;
  /** Human-readable name of the step, carried by the error if the node dies. */
  step: string;
  action: () => Promise<result>;
  /** How long to wait for the exit event after a transport failure before calling it a plain error. */
  exitGraceMs?: number | undefined;
};

// Errors by which viem reports that the node did not answer at all (not that a call reverted).
const transportErrorNames = new Set([
  "SocketClosedError",
  "WebSocketRequestError",
  "HttpRequestError",
  "TimeoutError",
  "UnknownRpcError",
]);

/**
 * Runs one step against a node. If the node exits while the step is pending, the step fails at once with
 * a NodeDiedError naming it, instead of hanging until a transport timeout or surfacing as a socket error
 * with no context.
 */
export function runStep<result>(parameters: RunStepParameters<result>): Promise<result> {
  const { node, step, action, exitGraceMs = 1_000 } = parameters;
  if (node.exit) return Promise.reject(new NodeDiedError({ node, step, exit: node.exit }));
  return new Promise<result>((resolve, reject) => {
    let settled = false;
    const unsubscribe = node.onExit((exit) => {
      if (settled) return;
      settled = true;
      reject(new NodeDiedError({ node, step, exit }));
    });
    action().then(
      (value) => {
        unsubscribe();
        if (settled) return;
        settled = true;
        resolve(value);
      },
      async (error: unknown) => {
        unsubscribe();
        if (settled) return;
        // A revert or a bad argument is the step's own error. A transport failure means the node is gone
        // or hung; the socket can report it before the process exit event arrives, so give that a moment.
        const transportFailed = isTransportError(error);
        const exit = node.exit ?? (transportFailed ? await waitForExit(node, exitGraceMs) : undefined);
        if (settled) return;
        settled = true;
        reject(exit || transportFailed ? new NodeDiedError({ node, step, exit, cause: error }) : error);
      },
    );
  });
}

function isTransportError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 10; depth++) {
    if (transportErrorNames.has(current.name)) return true;
    current = current.cause;
  }
  return false;
}

function waitForExit(node: AnvilNode, ms: number): Promise<AnvilExit | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      unsubscribe();
      resolve(undefined);
    }, ms);
    const unsubscribe = node.onExit((exit) => {
      clearTimeout(timer);
      resolve(exit);
    });
  });
}
