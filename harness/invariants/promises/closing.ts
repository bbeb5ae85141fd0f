import type { Address } from "viem";
import { solidityEnums } from "../../../src-ts/generated/abis.js";
import type { ObservedTx } from "../facts.js";
import type { Breach, PromiseContext } from "./context.js";
import { accountIn, arg, events, key } from "./context.js";

const REDUCE_ONLY = solidityEnums.Mode.ReduceOnly;
/**
 * Refusals a winner's close may meet: the mode, an untrusted reading, the trader's own price limit, and its own
 * margin at the execution price: a close executes at the worse side of the accepted round and the stable price
 * (TradePricing), so right after a fast move in the winner's favour, larger than its margin covers, the close
 * would realise a loss beyond that margin until the stable price has caught up (it can reduce in part meanwhile).
 */
const legitimate = new Set([
  "MarketNotAllowed",
  "MarketOracleNotValid",
  "MarketPriceLimit",
  "MarketAccountInsolvent",
]);

/**
 * Whoever is in profit (at the trusted price) can reduce or close whenever the mode allows it: a close or a
 * reduce by an account with unrealised profit is refused only by the mode, an untrusted reading or its own
 * price limit — never because the pool cannot pay it. The account is judged by the step's starting snapshot, so
 * only until its position first changes in the step (`moved`, the accounts whose position an earlier transaction
 * of the step changed): after that, what it sends may open rather than reduce.
 */
export function judgeWinnerCloses(
  ctx: PromiseContext,
  tx: ObservedTx,
  moved: ReadonlySet<Address>,
): Breach[] {
  if (tx.call !== "close" && tx.call !== "modify") return [];
  if (moved.has(key(tx.from))) return [];
  const before = accountIn(ctx.history.last, tx.from);
  const mode = ctx.history.last?.market.mode ?? 0;
  if (!before || before.state.size === 0n || mode > REDUCE_ONLY) return [];
  if (tx.call === "modify") {
    const delta = tx.input.sizeDelta as bigint;
    const size = before.state.size;
    const reduces = delta > 0n !== size > 0n && (delta < 0n ? -delta : delta) <= (size < 0n ? -size : size);
    if (!reduces) return [];
  }
  const pnl = before.equity - before.state.margin;
  if (pnl <= 0n) return [];
  ctx.exercise?.("profit-can-close");
  if (tx.status !== "reverted" || legitimate.has(tx.error ?? "")) return [];
  return [
    {
      promise: "profit-can-close",
      expected: { trader: ctx.role(tx.from), call: tx.label, result: "ok", mode },
      actual: {
        result: tx.error ?? tx.status,
        unrealisedPnl: pnl,
        poolCash: ctx.history.last?.market.agg.poolCash,
      },
      actors: [tx.from],
    },
  ];
}

/** Adds the accounts whose position `tx` changed (traded, liquidated) to `moved`. */
export function followMoved(tx: ObservedTx, moved: Set<Address>): void {
  for (const name of ["PositionModified", "Liquidated"]) {
    for (const e of events(tx, "market", name)) moved.add(key(arg<Address>(e, "account")));
  }
}
