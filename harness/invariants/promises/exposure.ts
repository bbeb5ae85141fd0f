import { solidityEnums } from "../../../src-ts/generated/abis.js";
import type { ObservedTx } from "../facts.js";
import { type Breach, events, type PromiseContext } from "./context.js";
import type { Exposure } from "./scratch.js";

const ORACLE_BREAKER = solidityEnums.Cause.OracleBreaker;
const STALE = solidityEnums.OracleClass.Stale;

/**
 * An actor with no exposure never changes the market's mode: a caller with nothing at stake (no position, no
 * LP shares, no margin: whatever it asks for would be refused for its own reasons) must not trip the
 * breaker. (Tightenings that follow the pool's state — below backing, unable to pay, a socialised loss — are
 * the state's, not the caller's; the guardian and the timelock act through their own promises.)
 */
export function judgeNoExposureModeChange(
  tx: ObservedTx,
  before: Exposure,
  exercise?: (promise: string) => void,
): Breach[] {
  const trip = events(tx, "market", "ModeChanged").find((e) => Number(e.args.cause) === ORACLE_BREAKER);
  if (trip) exercise?.("no-exposure-no-mode-change");
  if (!trip || before.exposed(tx.from) || before.margin(tx.from) > 0n) return [];
  const tripped = events(tx, "market", "BreakerTripped")[0];
  return [
    {
      promise: "no-exposure-no-mode-change",
      expected: { caller: "nothing at stake", mode: Number(trip.args.from), call: tx.label },
      actual: {
        mode: Number(trip.args.to),
        cause: "OracleBreaker",
        oracleClass: Number(tripped?.args.class ?? -1),
        call: tx.label,
        status: tx.status,
      },
      actors: [tx.from],
    },
  ];
}

/** Follows whether the primary has published (or changed) a round the guard has not accepted yet. */
export function followPending(ctx: PromiseContext, tx: ObservedTx): void {
  const h = ctx.history;
  if ((tx.call === "feedAnswer" || tx.call === "feedReportedRound") && tx.status === "ok") {
    if (tx.input.feed === "primary") h.primaryPending = true;
  }
  if (events(tx, "guard", "PriceAccepted").length > 0) h.primaryPending = false;
}

/**
 * Time passing alone never trips the breaker: a reading that is Stale only because no new round has come
 * (the stale window before a late heartbeat) refuses the action; it does not halt the market.
 */
export function judgeStaleByTime(ctx: PromiseContext, tx: ObservedTx): Breach[] {
  const tripped = events(tx, "market", "BreakerTripped")[0];
  // The case: an action met a reading with no new round pending (refused as untrusted, or tripping on it).
  if (!ctx.history.primaryPending && (tx.error === "MarketOracleNotValid" || tripped)) {
    ctx.exercise?.("stale-by-time-no-trip");
  }
  if (!tripped || Number(tripped.args.class) !== STALE || ctx.history.primaryPending) return [];
  const last = ctx.history.rounds[ctx.history.rounds.length - 1];
  return [
    {
      promise: "stale-by-time-no-trip",
      expected: { result: "refused (no new round since the last accepted one)", mode: "unchanged" },
      actual: {
        result: "breaker tripped",
        call: tx.label,
        lastRoundAcceptedAt: last?.at,
        secondsSince: last ? tx.timestamp - last.at : null,
      },
      actors: [tx.from],
    },
  ];
}
