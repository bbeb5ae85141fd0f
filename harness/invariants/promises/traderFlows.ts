import type { Address } from "viem";
import type { ObservedTx } from "../facts.js";
import { abs, arg, type Breach, events, key, type PromiseContext } from "./context.js";

const UNIT = 1_000_000n;

/**
 * A trader's open→close around one oracle round earns at most its fees plus `frontRunEdgeBps` of notional:
 * a trader who sees the next round coming cannot take the move from the pool at the stale price. A position
 * opened from flat and closed within `roundTripBlocks`, with a round accepted in between, is judged.
 */
export function judgeTraderRoundTrip(ctx: PromiseContext, tx: ObservedTx, roundsSoFar: number): Breach[] {
  const h = ctx.history;
  const breaches: Breach[] = [];
  for (const e of events(tx, "market", "PositionModified")) {
    const account = key(arg<Address>(e, "account"));
    const delta = arg<bigint>(e, "sizeDelta");
    const newSize = arg<bigint>(e, "newSize");
    const price = arg<bigint>(e, "price");
    const fee = arg<bigint>(e, "fee");
    const realised = arg<bigint>(e, "realisedPnl");
    if (newSize - delta === 0n) {
      h.opened.set(account, {
        block: tx.block,
        roundsBefore: roundsSoFar,
        fees: fee,
        realised: 0n,
        notional: (abs(delta) * price) / 10n ** 30n,
      });
      continue;
    }
    const open = h.opened.get(account);
    if (!open) continue;
    open.fees += fee;
    open.realised += realised;
    if (newSize !== 0n) continue;
    h.opened.delete(account);
    if (tx.block - open.block > ctx.bounds.roundTripBlocks || roundsSoFar === open.roundsBefore) continue;
    ctx.exercise?.("front-run-bounded");
    const profit = open.realised - open.fees;
    const bound = (open.notional * ctx.bounds.frontRunEdgeBps) / 10_000n + UNIT;
    if (profit <= bound) continue;
    breaches.push({
      promise: "front-run-bounded",
      expected: {
        trader: ctx.role(account),
        netProfitAtMost: bound,
        rule: "fees + frontRunEdgeBps of notional",
      },
      actual: {
        realisedPnl: open.realised,
        fees: open.fees,
        netProfit: profit,
        blocksHeld: tx.block - open.block,
        roundsDuringHold: roundsSoFar - open.roundsBefore,
      },
      actors: [account],
    });
  }
  for (const e of events(tx, "market", "Liquidated")) h.opened.delete(key(arg<Address>(e, "account")));
  return breaches;
}
