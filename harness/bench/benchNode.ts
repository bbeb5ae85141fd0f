import { readFileSync } from "node:fs";
import type { Address } from "viem";
import { type StartAnvilParameters, startAnvil } from "../chain/anvil.js";
import { type ChainClients, createChainClients } from "../chain/clients.js";
import { type Baseline, takeBaseline } from "../chain/snapshots.js";
import { createFastChain, type FastChain } from "../fast/fastChain.js";
import { deployAndBind, type System } from "../system/system.js";
import { setupWorkload } from "./workload.js";

/** One anvil node with the system deployed, the bench accounts funded, and a baseline to reset to. */
export type BenchNode = {
  clients: ChainClients;
  /** The same node over HTTP, for the transport comparison. */
  httpClients: ChainClients;
  system: System;
  fast: FastChain;
  baseline: Baseline;
  traders: readonly Address[];
  priceSetter: Address;
  lp: Address;
  /** The anvil process id (for CPU accounting). */
  pid: number | undefined;
  /** CPU time the anvil process has used so far (Linux /proc), or undefined where that is unreadable. */
  anvilCpuMs(): number | undefined;
  /** Redeploys the system on this node and funds it again (the "redeploy per run" lever). */
  redeploy(): Promise<System>;
  stop(): Promise<void>;
};

export type StartBenchNodeParameters = {
  label: string;
  traders?: number | undefined;
  /** Extra anvil options (e.g. pruneHistory), as startAnvil takes them. */
  anvil?: StartAnvilParameters["options"];
};

export async function startBenchNode(parameters: StartBenchNodeParameters): Promise<BenchNode> {
  const node = await startAnvil({ label: parameters.label, options: parameters.anvil });
  const cleanup: (() => Promise<void> | void)[] = [() => node.stop()];
  const stop = async () => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    const clients = await createChainClients({ node, transport: "webSocket" });
    cleanup.push(() => clients.close());
    const httpClients = await createChainClients({ node, transport: "http" });
    const fast = await createFastChain({ url: node.wsUrl });
    cleanup.push(() => fast.close());
    const [priceSetter, lp, ...rest] = clients.accounts;
    const traders = rest.slice(0, parameters.traders ?? 8);
    if (!priceSetter || !lp || traders.length === 0)
      throw new Error("bench: the node has too few dev accounts");

    const deploy = async () => {
      const system = await deployAndBind({ clients });
      await setupWorkload({ fast, addresses: system.addresses, traders, lp });
      return system;
    };
    const system = await deploy();
    const baseline = await takeBaseline(clients, { label: "bench baseline" });
    const anvilCpuMs = () => processCpuMs(node.pid);
    return {
      clients,
      httpClients,
      system,
      fast,
      baseline,
      traders,
      priceSetter,
      lp,
      pid: node.pid,
      anvilCpuMs,
      redeploy: deploy,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * CPU time of a process from /proc/<pid>/stat, in ms (clock ticks of 10 ms, Linux's USER_HZ): utime + stime,
 * plus the reaped children's (cutime + cstime) with `children`, which is how a forge script run counts.
 */
export function processCpuMs(pid: number | "self" | undefined, children = false): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ");
    if (!fields) return undefined;
    const own = Number(fields[11]) + Number(fields[12]);
    return (children ? own + Number(fields[13]) + Number(fields[14]) : own) * 10;
  } catch {
    return undefined;
  }
}
