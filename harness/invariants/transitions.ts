import { haltFlags, solidityEnums } from "../generated/abis.js";
import type { ChainSnapshot } from "../system/system.js";
import type { StepFacts } from "./facts.js";
import { violate } from "./violation.js";

const HALTED = solidityEnums.Mode.Halted;
const HALT_BREAKER = haltFlags.BREAKER;

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
 * that moved the last good price must leave the mode matching the pool's health: unable to pay (equity +
 * insurance < 0) at least Halted. (A pool under its backing is not a mode: it refuses increases and LP exits
 * per action, so trades that net to nothing cannot force a tightening.)
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
  const insolvent = m.poolEquity + BigInt(m.agg.insurance) < 0n;
  if (insolvent && m.mode < HALTED) {
    violate({
      invariant: "self-correction-after-price",
      expected: {
        mode: `>= ${HALTED}`,
        poolEquity: m.poolEquity,
        insurance: m.agg.insurance,
      },
      actual: { mode: m.mode, price: m.price, previousPrice: previous.price },
      step,
    });
  }
}
