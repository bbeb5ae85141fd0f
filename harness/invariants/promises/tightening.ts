import { solidityEnums } from "../../../src-ts/generated/abis.js";
import type { ObservedTx } from "../facts.js";
import { abs, type Breach, events, type PromiseContext, WAD } from "./context.js";

const REDUCE_ONLY = solidityEnums.Mode.ReduceOnly;
const POOL_BELOW_BACKING = solidityEnums.Cause.PoolBelowBacking;

/** Keeps the tightenings in force: each ModeChanged upward adds its cause; a loosening drops the stricter ones. */
export function followTightenings(ctx: PromiseContext, tx: ObservedTx): void {
  const h = ctx.history;
  for (const e of events(tx, "market", "ModeChanged")) {
    const from = Number(e.args.from);
    const to = Number(e.args.to);
    if (to > from) h.tightenings.push({ cause: Number(e.args.cause), to, by: tx.from });
    else h.tightenings = h.tightenings.filter((t) => t.to <= to);
  }
}

/**
 * A tightening caused by a state condition follows the condition: a ReduceOnly whose only cause is the pool
 * below its required backing must be lifted once the pool is back above it (so trades that net to nothing
 * cannot leave the market stuck in it, and LP deposits that restore the backing are not locked out).
 */
export function judgeStateTightening(ctx: PromiseContext): Breach[] {
  const m = ctx.snapshot.market;
  if (m.mode !== REDUCE_ONLY) return [];
  const inForce = ctx.history.tightenings.filter((t) => t.to >= REDUCE_ONLY);
  if (inForce.length === 0 || inForce.some((t) => t.cause !== POOL_BELOW_BACKING)) return [];
  ctx.exercise?.("state-tightening-clears");
  const notional = (abs(m.agg.netSize) * m.price + 10n ** 30n - 1n) / 10n ** 30n;
  const required = (notional * m.risk.minBacking + WAD - 1n) / WAD;
  if (m.poolEquity <= required) return [];
  return [
    {
      promise: "state-tightening-clears",
      expected: { mode: "< ReduceOnly once pool equity >= required backing", requiredBacking: required },
      actual: {
        mode: m.mode,
        poolEquity: m.poolEquity,
        netSize: m.agg.netSize,
        causedBy: inForce.map((t) => ctx.role(t.by)),
      },
      actors: inForce.map((t) => t.by),
    },
  ];
}
