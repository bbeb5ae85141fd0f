import type { Hex } from "viem";
import type { AnvilNode } from "./anvil.js";
import type { ChainClients } from "./clients.js";
import { runStep } from "./nodeDied.js";

export type SnapshotId = Hex;

/**
 * Anvil deletes a snapshot when it reverts to it (and every snapshot taken after it); a second revert
 * to the same id returns false, which viem's testClient.revert silently ignores. We fail instead.
 *
 * Worse, anvil's evm_revert to a spent id still deletes every snapshot with a higher id, so one stale
 * id would silently destroy the baseline. Snapshot ids are a per-node counter, so we track which ids we
 * issued and which are still live, and refuse a spent id before it reaches the node. Take every
 * snapshot on a node through this module for that guard to hold.
 */
export class SnapshotConsumedError extends Error {
  override name = "SnapshotConsumedError";
  readonly snapshotId: SnapshotId;
  constructor(snapshotId: SnapshotId, step: string, cause?: unknown) {
    super(
      `step "${step}": snapshot ${snapshotId} no longer exists (a revert consumes its snapshot and every later one; ` +
        "use the id returned by revert(), or a Baseline)",
      { cause },
    );
    this.snapshotId = snapshotId;
  }
}

export type SnapshotParameters = { label?: string | undefined };
export type SnapshotReturnType = SnapshotId;

type SnapshotLedger = { highestIssued: bigint; live: Set<bigint> };
const ledgers = new WeakMap<AnvilNode, SnapshotLedger>();

function ledgerOf(node: AnvilNode): SnapshotLedger {
  let ledger = ledgers.get(node);
  if (!ledger) {
    ledger = { highestIssued: -1n, live: new Set() };
    ledgers.set(node, ledger);
  }
  return ledger;
}

async function takeSnapshot(clients: ChainClients): Promise<SnapshotId> {
  const id = await clients.testClient.request({ method: "evm_snapshot" });
  const ledger = ledgerOf(clients.node);
  const value = BigInt(id);
  if (value > ledger.highestIssued) ledger.highestIssued = value;
  ledger.live.add(value);
  return id;
}

/** Takes an evm_snapshot of the node's current state. */
export function snapshot(
  clients: ChainClients,
  parameters: SnapshotParameters = {},
): Promise<SnapshotReturnType> {
  return runStep({
    node: clients.node,
    step: parameters.label ?? "snapshot",
    action: () => takeSnapshot(clients),
  });
}

export type RevertParameters = { id: SnapshotId; label?: string | undefined };
/** A fresh snapshot of the state just restored: revert to it next time, the old id is spent. */
export type RevertReturnType = SnapshotId;

/** Reverts to `id`, then snapshots the restored state again and returns the new id. */
export function revert(clients: ChainClients, parameters: RevertParameters): Promise<RevertReturnType> {
  const step = parameters.label ?? `revert to ${parameters.id}`;
  return runStep({
    node: clients.node,
    step,
    action: async () => {
      const ledger = ledgerOf(clients.node);
      const target = BigInt(parameters.id);
      if (target <= ledger.highestIssued && !ledger.live.has(target)) {
        throw new SnapshotConsumedError(parameters.id, step);
      }
      let reverted: unknown;
      try {
        reverted = await clients.testClient.request({ method: "evm_revert", params: [parameters.id] });
      } catch (error) {
        // Anvil answers "Resource not found" for ids deleted by a revert to an earlier snapshot.
        if (error instanceof Error && /not found/i.test(error.message)) {
          throw new SnapshotConsumedError(parameters.id, step, error);
        }
        throw error;
      }
      // evm_revert is typed `void` in viem, but anvil answers a boolean.
      for (const id of ledger.live) if (id >= target) ledger.live.delete(id);
      if (reverted !== true) throw new SnapshotConsumedError(parameters.id, step);
      return takeSnapshot(clients);
    },
  });
}

export type Baseline = {
  /** The snapshot that currently holds the baseline state (it changes after every reset). */
  readonly snapshotId: SnapshotId;
  /** Puts the node back in the baseline state; can be called any number of times. */
  resetToBaseline(parameters?: { label?: string | undefined }): Promise<void>;
};

export type TakeBaselineParameters = { label?: string | undefined };
export type TakeBaselineReturnType = Baseline;

/**
 * Marks the current state as the baseline every run starts from (typically right after deployment).
 * Reverting to a snapshot taken before the baseline deletes it; resetToBaseline then fails loudly.
 */
export async function takeBaseline(
  clients: ChainClients,
  parameters: TakeBaselineParameters = {},
): Promise<TakeBaselineReturnType> {
  let snapshotId = await snapshot(clients, { label: parameters.label ?? "take baseline" });
  return {
    get snapshotId() {
      return snapshotId;
    },
    async resetToBaseline(resetParameters = {}) {
      snapshotId = await revert(clients, {
        id: snapshotId,
        label: resetParameters.label ?? "reset to baseline",
      });
    },
  };
}
