// What an incident did, measured from the chain, and the two promises every incident holds the protocol to.
import type { Address } from "viem";
import type { ChainSnapshot } from "../../system/system.js";
import type { World } from "../world/world.js";
import type { Bound, Incident } from "./library.js";
import { type CommonArgs, heldBy, type IncidentRun, inPool, type Stoppers } from "./run.js";

export type IncidentOutcome = {
  incident: string;
  /** The attacker's accounts together: collateral out minus collateral in, borrowed capital included in both. */
  attackerPnl: bigint;
  /**
   * Each honest LP by role: its P&L over the incident (wallet, and LP shares at the end's equity per share),
   * and what it had in the pool when the attack started (its loss bound is a fraction of that).
   */
  lpPnl: { role: string; pnl: bigint; start: bigint }[];
  /** The pool's equity when the attack started (the bounds are fractions of it). */
  poolEquity: bigint;
  attackerBound: bigint;
  /** The honest traders' P&L together: what a real move paid them (or took from them) as the pool's counterparty. */
  honestTraderPnl: bigint;
  /**
   * Per honest LP, the most it may lose: the incident's bound, plus its share of what the honest traders fairly
   * won (a genuine move pays the traders on its side from the pool; that is not the attacker's take).
   */
  lpLossBounds: bigint[];
  stoppers: Stoppers;
  /** The market's mode at the end. */
  endMode: number;
  /** Campaign promises or checks that broke on the way and were let pass (known open bugs). */
  tolerated: string[];
  /** The incident's own promises that broke. */
  broken: string[];
};

/** The last outcome per world, for the incident campaign's report (read and cleared after every run). */
const latest = new WeakMap<World, IncidentOutcome>();
export const takeOutcome = (w: World): IncidentOutcome | undefined => {
  const outcome = latest.get(w);
  latest.delete(w);
  return outcome;
};

const resolveBound = (bound: Bound, base: bigint, w: World): bigint =>
  (base * (bound === "maxTake" ? w.bounds.maxTakeBps : bound)) / 10_000n;

/**
 * The most an honest LP may lose: the incident's own bound on its holding, plus its pro-rata share of what the
 * honest traders won. Only a gain widens it: their losses are never credited against the attacker's take.
 */
export function lpLossBound(
  own: bigint,
  lpStart: bigint,
  poolEquity: bigint,
  honestTraderPnl: bigint,
): bigint {
  const fairShare = honestTraderPnl > 0n && poolEquity > 0n ? (honestTraderPnl * lpStart) / poolEquity : 0n;
  return own + fairShare;
}

/** The actors' values when the attack starts (after the setup phase). */
export function measureStart(run: IncidentRun, start: ChainSnapshot) {
  return {
    poolEquity: start.market.poolEquity,
    attackers: run.attackers.map((a) => heldBy(start, a)),
    honestTraders: run.honestTraders.map((t) => heldBy(start, t)),
    lps: run.honestLps.map((lp) => heldBy(start, lp)),
    inPool: run.honestLps.map((lp) => inPool(start, lp)),
  };
}

/**
 * Measures the incident from the chain, judges its two promises (`incident-attacker-profit-bounded`,
 * `incident-honest-lp-loss-bounded`) and records the outcome for the report; the caller throws the verdict.
 */
export function judgeIncident(
  run: IncidentRun,
  incident: Pick<Incident<CommonArgs>, "name" | "property" | "attackerProfit" | "honestLpLoss">,
  start: ReturnType<typeof measureStart>,
  end: ChainSnapshot,
): IncidentOutcome {
  const { w, m } = run;
  const attackerPnl = run.attackers.reduce(
    (sum, a, i) => sum + heldBy(end, a) - (start.attackers[i] ?? 0n),
    0n,
  );
  const honestTraderPnl = run.honestTraders.reduce(
    (sum, t, i) => sum + heldBy(end, t) - (start.honestTraders[i] ?? 0n),
    0n,
  );
  const role = (lp: Address) => `lp${m.actors.lps.indexOf(lp)}`;
  const lpPnl = run.honestLps.map((lp, i) => ({
    role: role(lp),
    pnl: heldBy(end, lp) - (start.lps[i] ?? 0n),
    start: start.inPool[i] ?? 0n,
  }));
  const outcome: IncidentOutcome = {
    incident: incident.name,
    attackerPnl,
    lpPnl,
    poolEquity: start.poolEquity,
    attackerBound: resolveBound(incident.attackerProfit, start.poolEquity, w),
    honestTraderPnl,
    lpLossBounds: lpPnl.map((lp) =>
      lpLossBound(
        resolveBound(incident.honestLpLoss, lp.start, w),
        lp.start,
        start.poolEquity,
        honestTraderPnl,
      ),
    ),
    stoppers: run.stoppers,
    endMode: end.market.mode,
    tolerated: [...new Set(w.toleratedSeen.map((f) => f.invariant))],
    broken: [],
  };
  run.promise("incident-attacker-profit-bounded", attackerPnl <= outcome.attackerBound, {
    actors: ["attacker"],
    expected: { incident: incident.name, property: incident.property, profitAtMost: outcome.attackerBound },
    actual: { profit: attackerPnl, ofPoolEquity: start.poolEquity, stoppers: describeStoppers(run.stoppers) },
  });
  lpPnl.forEach((lp, i) => {
    const bound = outcome.lpLossBounds[i] ?? 0n;
    run.promise("incident-honest-lp-loss-bounded", -lp.pnl <= bound, {
      actors: [lp.role],
      expected: { incident: incident.name, property: incident.property, lossAtMost: bound },
      actual: { loss: -lp.pnl, inPoolAtStart: lp.start, attackerProfit: attackerPnl, honestTraderPnl },
    });
  });
  outcome.broken = [...new Set(run.breaches.map((b) => b.info.invariant))];
  latest.set(w, outcome);
  return outcome;
}

/** "modes Normal→Halted; trips TooVolatile x2; refused withdraw: X x1; 2 liquidations; bad debt 1234". */
export function describeStoppers(s: Stoppers): string {
  const parts: string[] = [];
  if (s.modes.length > 0) parts.push(`modes ${s.modes.join(", ")}`);
  const list = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, n]) => (n > 1 ? `${k} x${n}` : k))
      .join(", ");
  if (Object.keys(s.trips).length > 0) parts.push(`trips ${list(s.trips)}`);
  if (Object.keys(s.rejected).length > 0) parts.push(`rounds rejected ${list(s.rejected)}`);
  if (Object.keys(s.refused).length > 0) parts.push(`attacker refused: ${list(s.refused)}`);
  if (s.liquidations > 0) parts.push(`${s.liquidations} honest liquidation(s)`);
  if (s.badDebt > 0n) parts.push(`socialised bad debt ${usd(s.badDebt)}`);
  return parts.length === 0 ? "nothing" : parts.join("; ");
}

/** Collateral units (6 decimals) as whole dollars, signed for P&L ("+$1,234", "-$56") or not ("$2,000"). */
export function usd(amount: bigint, signed = true): string {
  const whole = (amount < 0n ? -amount : amount) / 1_000_000n;
  const sign = amount < 0n ? "-" : amount > 0n && signed ? "+" : "";
  return `${sign}$${whole.toLocaleString("en-US")}`;
}
