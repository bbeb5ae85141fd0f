import { type StartAnvilParameters, startAnvil } from "../anvil.js";
import { type CreateChainClientsParameters, createChainClients } from "../clients.js";

export type StartTestChainParameters = StartAnvilParameters & Omit<CreateChainClientsParameters, "node">;

/** A fresh node plus clients for one test file (or one test that kills its node). */
export async function startTestChain(parameters: StartTestChainParameters = {}) {
  const node = await startAnvil(parameters);
  try {
    const clients = await createChainClients({ node, ...parameters });
    return { node, clients };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
