import type { ChainSnapshot } from "../system/system.js";
import type { StepFacts } from "./facts.js";
import { violate } from "./violation.js";

const REDUCE_ONLY = 2;
const HALTED = 3;
const HALT_BREAKER = 1;

/** What the previous step left behind (the baseline before the first step). */
export type PreviousView = { mode: number; haltFlags: number; price: bigint };

export type TransitionCheckParameters = {
  previous: PreviousView;
  snapshot: ChainSnapshot;
  facts: StepFacts;
  step: number;
};

/**
 * Mode transitions between two steps: the market only tightens by itself; it loosens only through the
 * timelock (setMode) or the breaker's own reset (a halt whose only cause was the breaker). And a step
 * that moved the last good price must leave the mode matching the pool's health: under its backing at
 * least ReduceOnly, unable to pay (equity + insurance < 0) at least Halted.
 */
export function checkTransitions({ previous, snapshot, facts, step }: TransitionCheckParameters): void {
  const m = snapshot.market;
  if (m.mode < previous.mode) {
    const breakerReset = previous.mode === HALTED && previous.haltFlags === HALT_BREAKER;
    if (!facts.governanceSetMode && !breakerReset) {
      violate({
        invariant: "mode-only-tightens",
        expected: { mode: `>= ${previous.mode}`, unless: "timelock setMode or breaker reset" },
        actual: { mode: m.mode, previousHaltFlags: previous.haltFlags },
        step,
      });
    }
  }
  if (m.price === previous.price) return;
  const netNotional = ceilDiv(abs(m.agg.netSize) * m.price, 10n ** 30n);
  const required = (netNotional * m.risk.minBacking + 10n ** 18n - 1n) / 10n ** 18n;
  const insolvent = m.poolEquity + BigInt(m.agg.insurance) < 0n;
  const needed = insolvent ? HALTED : m.poolEquity < BigInt(required) ? REDUCE_ONLY : 0;
  if (m.mode < needed) {
    violate({
      invariant: "self-correction-after-price",
      expected: {
        mode: `>= ${needed}`,
        poolEquity: m.poolEquity,
        requiredBacking: required,
        insurance: m.agg.insurance,
      },
      actual: { mode: m.mode, price: m.price, previousPrice: previous.price },
      step,
    });
  }
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const ceilDiv = (x: bigint, d: bigint): bigint => (x % d !== 0n && x > 0n ? x / d + 1n : x / d);
