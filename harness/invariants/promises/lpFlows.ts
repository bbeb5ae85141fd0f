import type { Address } from "viem";
import { min } from "../../model/math.js";
import type { ObservedTx } from "../facts.js";
import { arg, type Breach, key, type PromiseContext, WAD } from "./context.js";
import type { LpEntry } from "./history.js";

const UNIT = 1_000_000n; // one collateral unit (6 decimals): rounding slack
const VIRTUAL_SHARES = 1_000_000n; // the pool's decimals offset (ERC-4626 virtual shares)

export type RoundTrip = { lp: Address; entry: LpEntry; assets: bigint; shares: bigint; tx: ObservedTx };

/**
 * Follows the pool's deposits and redeems: a redeem within `roundTripBlocks` and less than an outflow window of the
 * same LP's deposit is a round trip of that capital. Returns the round trips completed in this transaction.
 */
export function followLpFlows(ctx: PromiseContext, tx: ObservedTx, roundsSoFar: number): RoundTrip[] {
  const h = ctx.history;
  const trips: RoundTrip[] = [];
  // Within a few blocks and less than a window in time: a deposit a warp ago is the LP's capital, not capital
  // coming back.
  const recent = (entry: LpEntry) =>
    tx.block - entry.block <= ctx.bounds.roundTripBlocks &&
    tx.timestamp - entry.at < ctx.bounds.outflowWindow;
  const others = (lp: Address, amount: bigint) => {
    for (const [owner, entries] of h.lpEntries) {
      if (owner !== key(lp)) for (const e of entries) e.othersNet += amount;
    }
  };
  for (const e of tx.pool) {
    if (e.eventName === "Deposit") {
      const owner = arg<Address>(e, "owner");
      const assets = arg<bigint>(e, "assets");
      others(owner, -assets);
      const list = h.lpEntries.get(key(owner)) ?? [];
      list.push({
        block: tx.block,
        at: tx.timestamp,
        assets,
        shares: arg<bigint>(e, "shares"),
        roomBefore: h.last?.market.poolOutflowAvailable ?? 0n,
        equityBefore: h.last?.market.poolEquity ?? 0n,
        othersNet: 0n,
        roundsBefore: roundsSoFar,
      });
      h.lpEntries.set(key(owner), list);
    } else if (e.eventName === "Withdraw") {
      const owner = arg<Address>(e, "owner");
      const assets = arg<bigint>(e, "assets");
      others(owner, assets);
      const list = (h.lpEntries.get(key(owner)) ?? []).filter((entry) => recent(entry));
      // The latest recent deposit is the capital coming back (an older one, however small, would stand in for it).
      const entry = list.pop();
      h.lpEntries.set(key(owner), list);
      if (entry) trips.push({ lp: owner, entry, assets, shares: arg<bigint>(e, "shares"), tx });
    }
  }
  for (const [owner, entries] of h.lpEntries) {
    h.lpEntries.set(
      owner,
      entries.filter((entry) => recent(entry)),
    );
  }
  return trips;
}

/**
 * No LP round trip around one event earns more than its holding-time share of what the event paid the pool:
 * capital held for h seconds of a round that accrued over T seconds may keep h/T of its pro-rata gain (its shares at
 * the pool's equity at the mark, as the chain reports it, less what it paid), plus
 * `roundTripToleranceBps` of the capital. Judged when a round was accepted while the capital was in, and, as for
 * the outflow room, only for capital back within a few blocks *and* less than a window in time: capital that
 * stayed a whole window carried the book through it (its gain holds a day of fees and funding, which no
 * per-round share describes) and counts as any LP's.
 */
export function judgeLpRoundTrip(ctx: PromiseContext, trip: RoundTrip): Breach[] {
  const { entry } = trip;
  const rounds = ctx.history.rounds;
  const during = rounds.slice(entry.roundsBefore);
  if (during.length === 0 || trip.tx.timestamp - entry.at >= ctx.bounds.outflowWindow) return [];
  ctx.exercise?.("round-trip-bounded");
  const part = min(trip.shares, entry.shares);
  const out = (trip.assets * part) / trip.shares;
  const inn = (entry.assets * part) / entry.shares;
  const profit = out - inn;
  // What the round paid the pool, for this capital: its shares at the pool's equity at the mark as the redeem found
  // it (the chain's figures after it, with what it took out put back), whatever price the pool paid the exit at.
  const m = ctx.snapshot.market;
  const atMark =
    (part * (m.poolEquity + trip.assets + 1n)) / (m.poolShareSupply + trip.shares + VIRTUAL_SHARES);
  const paid = atMark - inn;
  const last = during[during.length - 1] as (typeof during)[number];
  const previous = rounds[rounds.length - during.length - 1];
  const interval = previous ? last.at - previous.at : last.at;
  const held = trip.tx.timestamp - entry.at;
  const share = interval <= 0n ? 0n : paid > 0n ? (paid * min(held, interval)) / interval : 0n;
  const bound = (inn * ctx.bounds.roundTripToleranceBps) / 10_000n + UNIT + share;
  if (profit <= bound) return [];
  return [
    {
      promise: "round-trip-bounded",
      expected: {
        lp: ctx.role(trip.lp),
        earnsAtMost: bound,
        heldSeconds: held,
        roundIntervalSeconds: interval,
        rule: "holding-time share of the round + tolerance",
      },
      actual: {
        deposited: inn,
        redeemed: out,
        profit,
        roundPaidAtMark: paid,
        roundsDuringHold: during.length,
      },
      actors: [trip.lp],
    },
  ];
}

/**
 * Honest LPs' outflow room is not consumed by capital that comes back within a few blocks: after a round
 * trip, the limiter must leave everyone else at least the room they had before the deposit (less their own
 * outflows since, and the limiter's share of any fall in equity). "Within a few blocks" is judged in time too:
 * blocks can span hours (a warp), and capital that stayed a whole window is any LP's capital, not returning
 * capital. When the window has turned over since, capital that stayed a fraction f of a window takes at most
 * (1 − maxOutflow) × f of what it took out from the others' room — the bound the protocol states (README,
 * "Returning capital across a window boundary").
 */
export function judgeOutflowRoom(ctx: PromiseContext, trip: RoundTrip): Breach[] {
  const { entry } = trip;
  const m = ctx.snapshot.market;
  const window = ctx.bounds.outflowWindow;
  const stayed = trip.tx.timestamp - entry.at;
  if (stayed >= window) return [];
  ctx.exercise?.("outflow-room-not-consumed");
  const extra = trip.assets > entry.assets ? trip.assets - entry.assets : 0n;
  const fall = entry.equityBefore > m.poolEquity ? entry.equityBefore - m.poolEquity : 0n;
  const othersOut = entry.othersNet > 0n ? entry.othersNet : 0n;
  // What everyone else had before the capital came in — or, if the limiter's window has turned over since,
  // what a fresh window over the equity without that capital gives: whichever is less.
  const before = entry.roomBefore - extra - othersOut - (ctx.bounds.maxOutflow * fall) / WAD;
  const aged = ((WAD - ctx.bounds.maxOutflow) * trip.assets * stayed) / (WAD * window);
  const fresh =
    (ctx.bounds.maxOutflow * (m.poolEquity > 0n ? m.poolEquity : 0n)) / WAD - othersOut - extra - aged;
  const expected = min(before, fresh);
  const allowance = expected > 0n ? (expected * ctx.bounds.outflowReturnBps) / 10_000n : 0n;
  if (m.poolOutflowAvailable + UNIT + allowance >= expected) return [];
  return [
    {
      promise: "outflow-room-not-consumed",
      expected: {
        roomForOthers: expected,
        roomBeforeDeposit: entry.roomBefore,
        freshWindowRoom: fresh,
        heldSeconds: stayed,
      },
      actual: {
        roomForOthers: m.poolOutflowAvailable,
        roundTrip: { lp: ctx.role(trip.lp), deposited: entry.assets, redeemed: trip.assets },
        blocksApart: trip.tx.block - entry.block,
      },
      actors: [trip.lp],
    },
  ];
}
