import type { Address } from "viem";
import { haltFlags, solidityEnums } from "../../src-ts/generated/abis.js";
import type { ChainSnapshot } from "../system/system.js";
import type { StepFacts } from "./facts.js";
import { violate } from "./violation.js";

const HALTED = solidityEnums.Mode.Halted;
const HALT_BREAKER = haltFlags.BREAKER;
const HALT_GUARDIAN = haltFlags.GUARDIAN;
const HALT_INVARIANT = haltFlags.INVARIANT;
const GOVERNANCE = solidityEnums.Cause.Governance;
const BREAKER_RESET = solidityEnums.Cause.BreakerReset;

/** What the previous step left behind (the baseline before the first step). */
export type PreviousView = { mode: number; haltFlags: number; price: bigint };

export type TransitionCheckParameters = {
  previous: PreviousView;
  snapshot: ChainSnapshot;
  facts: StepFacts;
  step: number;
  /** The owner timelock: the one sender whose setMode may loosen (the Governance cause). */
  timelock?: Address | undefined;
};

/**
 * Mode transitions: the market only tightens by itself; it loosens only through the timelock (setMode,
 * cause Governance, sent through the timelock) or the breaker's own reset (cause BreakerReset, out of a halt
 * whose only cause is the breaker, back to the mode it tripped from). Each loosening is judged by its cause,
 * transaction by transaction and in order inside each transaction (the ModeChanged events), with the halt
 * causes followed through the step (a guardian pin adds one without a mode change); and the step's end mode
 * may be looser than the previous step's only through such loosenings. A step that moved the last good price
 * must leave the mode matching the pool's health: unable to pay (equity + insurance < 0) at least Halted. (A
 * pool under its backing is not a mode: it refuses increases and LP exits per action, so trades that net to
 * nothing cannot force a tightening.)
 */
export function checkTransitions(parameters: TransitionCheckParameters): void {
  const { previous, snapshot, facts, step } = parameters;
  const m = snapshot.market;
  let flags = previous.haltFlags;
  let resume: number | undefined;
  let loosened = false;
  for (const tx of facts.txs) {
    if (tx.call === "escalate" && tx.status === "ok" && Number(tx.input.to) === HALTED)
      flags |= HALT_GUARDIAN;
    for (const e of tx.market) {
      if (e.eventName === "BreakerTripped") {
        flags |= HALT_BREAKER;
        resume = Number(e.args.resumeMode);
      }
      if (e.eventName === "InvariantViolated") flags |= HALT_INVARIANT;
      if (e.eventName !== "ModeChanged") continue;
      const from = Number(e.args.from);
      const to = Number(e.args.to);
      const cause = Number(e.args.cause);
      if (to >= from) continue;
      loosened = true;
      const byTimelock =
        cause === GOVERNANCE &&
        tx.call === "setMode" &&
        (parameters.timelock === undefined ||
          // Sent through the timelock (its execute), or by the timelock itself (a script impersonating it).
          [tx.to, tx.from].some((a) => a.toLowerCase() === parameters.timelock?.toLowerCase()));
      const breakerReset =
        cause === BREAKER_RESET &&
        from === HALTED &&
        flags === HALT_BREAKER &&
        (resume === undefined || to === resume);
      if (byTimelock) flags = 0;
      if (breakerReset) flags = 0;
      if (byTimelock || breakerReset) continue;
      violate({
        invariant: "mode-only-tightens",
        expected: {
          loosening: "timelock setMode, or the breaker's reset of a breaker-only halt to its resume mode",
        },
        actual: { tx: tx.label, from, to, cause, haltFlagsBefore: flags, resumeMode: resume ?? null },
        step,
      });
    }
  }
  if (m.mode < previous.mode && !loosened) {
    violate({
      invariant: "mode-only-tightens",
      expected: {
        mode: `>= ${previous.mode}`,
        unless: "a loosening event (timelock setMode or breaker reset)",
      },
      actual: { mode: m.mode, previousHaltFlags: previous.haltFlags },
      step,
    });
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
