// What the adversary commands share: flash capital, aiming at a moment, publishing rounds.
import type { Address } from "viem";
import { calls } from "../calls.js";
import type { Planned, Step } from "../step.js";
import { warp } from "../world/exec.js";
import { unit } from "../world/world.js";
import { moved } from "./sizing.js";

/**
 * Makes the next block land at `timestamp` (if it is still ahead; otherwise at the usual interval). The
 * chain's blocks are 12 s apart, so an adversary aims a transaction at an exact second this way.
 */
export async function warpTo(step: Step, timestamp: bigint): Promise<void> {
  const gap = timestamp - step.w.clock.latest;
  if (gap > 0n) await warp(step.w, gap);
}

/** Borrowed capital (a flash loan or a whale): minted to the actor and deposited as margin, in one block. */
export async function fundMargin(step: Step, actor: Address, units: bigint): Promise<void> {
  if (units <= 0n) return;
  await step.block([calls.mint(step.w, actor, units * unit), calls.deposit(step.w, actor, units * unit)]);
}

export type Round = {
  /** Primary answer as a move from its latest answer, in bps. */
  moveBps: number;
  /** Publish the secondary too (at the same answer); otherwise it keeps its last, older round. */
  secondary: boolean;
  /** The round's updatedAt (default: the block's time). */
  updatedAt?: bigint | undefined;
  /** Who refreshes in the same block after the round (undefined: nobody reads it yet). */
  refresher?: Address | undefined;
};

/** One block: a new primary round (and secondary), then an optional refresh. */
export function roundBlock(step: Step, round: Round): Planned[] {
  const { m, w } = step;
  const primary = m.port.feed("primary");
  const answer = moved(primary.latestAnswer, round.moveBps);
  const block: Planned[] = [];
  if (primary.reportedOverride !== 0n) block.push(calls.feedReportedRound(w, "primary", 0n));
  block.push(calls.feedAnswer(w, "primary", answer, round.updatedAt));
  if (round.secondary) block.push(calls.feedAnswer(w, "secondary", answer, round.updatedAt));
  if (round.refresher) block.push(calls.refresh(w, round.refresher));
  return block;
}

export const keeper = (step: Step): Address => step.m.actors.keepers[0] as Address;
