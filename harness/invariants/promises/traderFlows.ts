import type { Address } from "viem";
import type { ObservedTx } from "../facts.js";
import { abs, arg, type Breach, events, key, type PromiseContext } from "./context.js";

const UNIT = 1_000_000n;

/**
 * Trading on a stale-but-valid or foreseeable round does not pay beyond the stated bound:
 * - a risk-increasing trade (open, add, flip) executes only at a round at most `maxTradeAge` old (the round's
 *   age is the trade's block time less the `updatedAt` of the last round the primary published);
 * - a position opened from flat and closed within `roundTripBlocks` (and `roundTripSeconds`: oracle seed 808 held
 *   a short 50 minutes across a stale feed and a real crash in four blocks), with a round accepted in between, earns at
 *   most `frontRunBound`: the part of its open-to-close move beyond `frontRunThresholdBps`, of the notional it
 *   increased by. A trader who sees the next round coming takes from the pool at most the move beyond the feed's
 *   deviation threshold (atomic trades pay it as a premium; orders execute at the round itself). The move is the
 *   round's, as the README states the bound: the accepted price at the close against the one at the open (or the
 *   execution prices', if larger). Execution prices alone would judge a real move by what the stable price let
 *   through: an order held across a 4 % crash executes 0.4 % better 24 s later and nets that less two 0.1 % fees,
 *   which is the move beyond no threshold but no front-running either.
 */
export function judgeTraderRoundTrip(ctx: PromiseContext, tx: ObservedTx, roundsSoFar: number): Breach[] {
  const h = ctx.history;
  const b = ctx.bounds;
  const breaches: Breach[] = [];
  for (const e of events(tx, "market", "PositionModified")) {
    const account = key(arg<Address>(e, "account"));
    const delta = arg<bigint>(e, "sizeDelta");
    const newSize = arg<bigint>(e, "newSize");
    const price = arg<bigint>(e, "price");
    const fee = arg<bigint>(e, "fee");
    const realised = arg<bigint>(e, "realisedPnl");
    const before = newSize - delta;
    const increasing = before === 0n || before > 0n === delta > 0n || abs(delta) > abs(before);
    if (increasing) breaches.push(...judgeTradeAge(ctx, tx, account));
    const notional = () => (abs(delta) * price) / 10n ** 30n;
    const roundPrice = h.rounds.at(-1)?.price ?? price;
    if (before === 0n) {
      h.opened.set(account, {
        block: tx.block,
        at: tx.timestamp,
        roundsBefore: roundsSoFar,
        fees: fee,
        realised: 0n,
        notional: notional(),
        price,
        roundPrice,
      });
      continue;
    }
    const open = h.opened.get(account);
    if (!open) continue;
    open.fees += fee;
    open.realised += realised;
    if (increasing) open.notional += notional();
    if (newSize !== 0n) continue;
    h.opened.delete(account);
    if (
      tx.block - open.block > b.roundTripBlocks ||
      tx.timestamp - open.at > b.roundTripSeconds ||
      roundsSoFar === open.roundsBefore
    )
      continue;
    ctx.exercise?.("front-run-bounded");
    const profit = open.realised - open.fees;
    const executed = open.price === 0n ? 0n : (abs(price - open.price) * 10_000n) / open.price;
    const round =
      open.roundPrice === 0n ? 0n : (abs(roundPrice - open.roundPrice) * 10_000n) / open.roundPrice;
    const move = executed > round ? executed : round;
    const bound = frontRunBound(open.notional, move, b.frontRunThresholdBps);
    if (profit <= bound) continue;
    breaches.push({
      promise: "front-run-bounded",
      expected: {
        trader: ctx.role(account),
        netProfitAtMost: bound,
        moveBps: move,
        rule: "the move beyond frontRunThresholdBps, of notional",
      },
      actual: {
        realisedPnl: open.realised,
        fees: open.fees,
        netProfit: profit,
        notional: open.notional,
        blocksHeld: tx.block - open.block,
        roundsDuringHold: roundsSoFar - open.roundsBefore,
      },
      actors: [account],
    });
  }
  for (const e of events(tx, "market", "Liquidated")) h.opened.delete(key(arg<Address>(e, "account")));
  return breaches;
}

/**
 * What a round trip of `notional` over a price move of `moveBps` may earn: the move beyond `thresholdBps`, plus the
 * other leg's fee on the move itself (its notional moved with the price) and a unit of rounding.
 */
export function frontRunBound(notional: bigint, moveBps: bigint, thresholdBps: bigint): bigint {
  const beyond = moveBps > thresholdBps ? moveBps - thresholdBps : 0n;
  return (notional * (beyond * 100n + moveBps)) / 1_000_000n + UNIT;
}

/** A risk-increasing trade executed at a round older than `maxTradeAge` (judged once the primary published). */
function judgeTradeAge(ctx: PromiseContext, tx: ObservedTx, account: Address): Breach[] {
  const latest = ctx.history.published.primary.at(-1);
  if (!latest) return [];
  ctx.exercise?.("front-run-bounded");
  const age = tx.timestamp - latest.updatedAt;
  if (age <= ctx.bounds.maxTradeAge) return [];
  return [
    {
      promise: "front-run-bounded",
      expected: {
        trader: ctx.role(account),
        roundAgeAtMost: ctx.bounds.maxTradeAge,
        rule: "increase at a fresh round",
      },
      actual: { roundAge: age, roundUpdatedAt: latest.updatedAt, tradeAt: tx.timestamp },
      actors: [account],
    },
  ];
}
