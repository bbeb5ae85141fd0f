import type { ChainClients } from "./clients.js";
import { runStep } from "./nodeDied.js";

export type MineParameters = { blocks?: number | undefined; label?: string | undefined };

/** Mines `blocks` blocks (default 1), including whatever is pending in the mempool. */
export function mine(clients: ChainClients, parameters: MineParameters = {}): Promise<void> {
  const blocks = parameters.blocks ?? 1;
  return runStep({
    node: clients.node,
    step: parameters.label ?? `mine ${blocks} block(s)`,
    action: () => clients.testClient.mine({ blocks }),
  });
}

export type SetAutomineParameters = { enabled: boolean; label?: string | undefined };

/**
 * Turns automine on or off. Off is how several transactions land in one block in the order sent
 * (nodes start with FIFO ordering): send them, then mine().
 */
export function setAutomine(clients: ChainClients, parameters: SetAutomineParameters): Promise<void> {
  return runStep({
    node: clients.node,
    step: parameters.label ?? `automine ${parameters.enabled ? "on" : "off"}`,
    action: () => clients.testClient.setAutomine(parameters.enabled),
  });
}
