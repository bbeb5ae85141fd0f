import { solidityEnums } from "../../../src-ts/generated/abis.js";
import type { ObservedTx } from "../facts.js";
import { type Breach, events, type PromiseContext } from "./context.js";

const HALTED = solidityEnums.Mode.Halted;
const HALTED_TOO_LONG = solidityEnums.Cause.HaltedTooLong;
const causeNames: readonly string[] = Object.keys(solidityEnums.Cause);
export const causeName = (cause: number) => causeNames[cause] ?? String(cause);

/** Keeps when and why the market was last halted, and the owner timelock's delay. */
export function followGovernance(ctx: PromiseContext, tx: ObservedTx): void {
  const h = ctx.history;
  if (tx.call === "timelockDelay" && tx.status === "ok") h.timelockDelay = tx.input.delay as bigint;
  for (const e of events(tx, "market", "ModeChanged")) {
    if (Number(e.args.to) === HALTED && Number(e.args.from) < HALTED) {
      h.halt = { at: tx.timestamp, by: tx.from, cause: Number(e.args.cause) };
    }
  }
}

/**
 * A halt governance may lift is not settled before governance could act: the permissionless exit
 * (settle() once Halted past maxHaltDuration) must not come before the owner timelock could have executed
 * a reopening queued the moment the market halted (halt + the timelock's delay).
 */
export function judgeGovernanceFirst(ctx: PromiseContext, tx: ObservedTx): Breach[] {
  const settled = events(tx, "market", "ModeChanged").find((e) => Number(e.args.cause) === HALTED_TOO_LONG);
  if (!settled) return [];
  ctx.exercise?.("governance-acts-before-exit");
  const h = ctx.history;
  const haltedAt = h.halt?.at ?? h.last?.market.haltedAt ?? 0n;
  const delay = h.timelockDelay ?? ctx.bounds.timelockDelay;
  if (tx.timestamp >= haltedAt + delay) return [];
  return [
    {
      promise: "governance-acts-before-exit",
      expected: { settleNotBefore: haltedAt + delay, haltedAt, timelockDelay: delay },
      actual: {
        settledAt: tx.timestamp,
        by: ctx.role(tx.from),
        haltCause: causeName(h.halt?.cause ?? -1),
        haltedBy: h.halt ? ctx.role(h.halt.by) : "unknown",
      },
      actors: [tx.from, ...(h.halt ? [h.halt.by] : [])],
    },
  ];
}
