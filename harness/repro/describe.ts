// Words for a recording: one line per transaction, the market's own trips, the transaction to trace.
import type { RecordedTx, Recording } from "./recording.js";

/** `0xab12…  t0 modifyPosition +5  → ok` (reverts and the market's trips and mode changes spelled out). */
export function formatTx(tx: RecordedTx): string {
  return `${tx.hash}  ${tx.label ?? tx.call}  → ${outcomeText(tx)}`;
}

export function outcomeText(tx: RecordedTx): string {
  const parts: string[] = [];
  if (tx.outcome.status === "reverted")
    parts.push(`reverted ${tx.outcome.error}(${tx.outcome.args.join(", ")})`);
  else parts.push("ok");
  for (const t of tx.events.trips) {
    parts.push(
      `InvariantViolated(${t.invariant}, expected ${t.expected}, actual ${t.actual}) in ${t.actionName}`,
    );
  }
  for (const b of tx.events.breaker) parts.push(`BreakerTripped(${b.oracleClass})`);
  for (const m of tx.events.modeChanges) parts.push(`mode ${m.from} → ${m.to} (${m.cause})`);
  return parts.join("; ");
}

/** The transactions in which the market's own invariant check fired, with their step. */
export function onChainTrips(recording: Recording): { step: number; tx: RecordedTx }[] {
  return recording.steps.flatMap((s) =>
    s.txs.filter((tx) => tx.events.trips.length > 0).map((tx) => ({ step: s.index, tx })),
  );
}

/** `on chain: InvariantViolated(TokenConservation, …) in executeModify, in "t0 modifyPosition +70" (0x…)`. */
export function formatTrips(recording: Recording): string[] {
  return onChainTrips(recording).flatMap(({ step, tx }) =>
    tx.events.trips.map(
      (t) =>
        `on chain: InvariantViolated(${t.invariant}, expected ${t.expected}, actual ${t.actual}) in ${t.actionName}, ` +
        `step ${step}, transaction "${tx.label ?? tx.call}" ${tx.hash}`,
    ),
  );
}

/**
 * The transaction that shows the failure best: the one where the market's check fired, else the one a
 * model-outcome failure names, else the failing step's last reverted one, else its last one.
 */
export function failingTx(recording: Recording): RecordedTx | undefined {
  const f = recording.failure;
  const step = recording.steps.find((s) => s.index === f.step);
  if (!step || step.txs.length === 0) return undefined;
  const tripped = step.txs.find((tx) => tx.events.trips.length > 0);
  if (tripped) return tripped;
  const label = (f.expected as { tx?: unknown } | null)?.tx;
  const named = typeof label === "string" ? step.txs.find((tx) => tx.label === label) : undefined;
  if (named) return named;
  return (
    [...step.txs].reverse().find((tx) => tx.outcome.status === "reverted") ?? step.txs[step.txs.length - 1]
  );
}

/**
 * The system's addresses, then the libraries forge linked into it (a call trace shows their delegatecalls),
 * one `  name  0x…` line each, for inspecting the node with `cast`.
 */
export function formatAddresses(recording: Recording): string[] {
  const rows: [string, string][] = Object.entries(recording.addresses);
  for (const { library } of recording.deployment) {
    if (library)
      rows.push([library.id.split(":").pop() as string, `${library.address}  (library ${library.id})`]);
  }
  const width = Math.max(...rows.map(([name]) => name.length)) + 1;
  return rows.map(([name, address]) => `  ${name.padEnd(width)} ${address}`);
}
