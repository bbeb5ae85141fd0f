import type { Address } from "viem";
import { settleableLoss } from "../../../src-ts/protocol/settleLoss.js";
import { calls } from "../calls.js";
import type { Step } from "../step.js";

/**
 * The winner's recourse when the pool's cash is short of its claim (the losers' losses are not cash until they
 * close): before it closes it settles every solvent loser's loss into the pool (`settleLoss`) and, if the cash is
 * still short, liquidates every liquidatable account (both permissionless, as the keeper does them), so that a loss
 * beyond a loser's margin is booked as bad debt (insurance, then the LPs, and the mode the market then takes) rather
 * than counted as cash the pool will never collect.
 */
export async function recourseIfShort(step: Step, winner: Address) {
  const { m, w } = step;
  // Judged at the price the close will read: a round published since the last read is accepted first.
  await step.act(calls.refresh(w, winner));
  const view = m.port.view(m.actors.accounts);
  const me = view.accounts.find((a) => a.account.toLowerCase() === winner.toLowerCase());
  const claim = me ? me.equity - me.state.margin : 0n;
  if (claim <= 0n || view.market.agg.poolCash >= claim) return;
  for (const loser of view.accounts.filter((a) => settleableLoss(a) > 0n)) {
    await step.act(calls.settleLoss(w, winner, loser.account));
  }
  const settled = m.port.view(m.actors.accounts);
  if (settled.market.agg.poolCash >= claim) return;
  for (const loser of settled.accounts.filter((a) => a.liquidatable)) {
    await step.act(calls.liquidate(w, winner, loser.account));
  }
}
