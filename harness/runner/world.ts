import { startAnvil } from "../chain/anvil.js";
import { type ChainClients, createChainClients } from "../chain/clients.js";
import { deployAndBind, type System } from "../system/system.js";

/** A node with the whole system deployed on it: what a harness factory builds its worlds on. */
export type ChainWorld = {
  readonly clients: ChainClients;
  readonly system: System;
  /** Closes the clients and stops the node. Idempotent; call it in a `finally`. */
  stop(): Promise<void>;
};

export type StartChainWorldParameters = {
  label?: string | undefined;
  /** A patched copy of the Foundry project to deploy from (see variants.ts); default this repository. */
  root?: string | undefined;
};

export type StartChainWorldReturnType = ChainWorld;

/** Starts a fresh anvil node and deploys the system with the project's forge script. */
export async function startChainWorld(
  parameters: StartChainWorldParameters = {},
): Promise<StartChainWorldReturnType> {
  const node = await startAnvil({ label: parameters.label ?? "fuzz" });
  const stop = async () => {
    await clients?.close();
    await node.stop();
  };
  let clients: ChainClients | undefined;
  try {
    clients = await createChainClients({ node });
    const system = await deployAndBind({ clients, root: parameters.root });
    return { clients, system, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
