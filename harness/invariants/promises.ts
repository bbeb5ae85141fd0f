import type { Address } from "viem";
import type { Ghosts } from "../scenario/world/ghosts.js";
import type { StepFacts } from "./facts.js";
import type { CheckedSnapshot } from "./protocol.js";
import { violate } from "./violation.js";

const HALTED = 3;
const SETTLEMENT = 4;

export type PromiseCheckParameters = {
  snapshot: CheckedSnapshot;
  ghosts: Ghosts;
  facts: StepFacts;
  step: number;
};

/** The promises the protocol makes to its users, judged from what they did (ghosts) and saw (facts). */
export function checkUserPromises(parameters: PromiseCheckParameters): void {
  checkNoExposureNoLoss(parameters);
  checkExitsOpen(parameters);
  checkSafeModeAfterAnomaly(parameters);
  checkClaimsWithinAssets(parameters);
}

/** An account that never held a position holds exactly what it put in, less what it took out. */
function checkNoExposureNoLoss({ snapshot, ghosts, step }: PromiseCheckParameters): void {
  for (const a of snapshot.accounts) {
    if (ghosts.exposed.has(a.account) || a.state.size !== 0n) continue;
    const net =
      get(ghosts.deposited, a.account) - get(ghosts.withdrawn, a.account) - get(ghosts.claimed, a.account);
    if (a.state.margin !== net) {
      violate({
        invariant: "no-exposure-no-loss",
        expected: { account: a.account, margin: net },
        actual: { account: a.account, margin: a.state.margin },
        diff: [{ path: `${a.account}.margin`, expected: String(net), actual: String(a.state.margin) }],
        step,
      });
    }
  }
}

/**
 * Exits stay open in every mode: without a position, withdrawing free margin succeeds outside Settlement,
 * and in Settlement the claim pays the margin in full.
 */
function checkExitsOpen({ facts, step }: PromiseCheckParameters): void {
  for (const exit of facts.exits) {
    const entitled = exit.kind === "withdraw" ? exit.amount > 0n && exit.amount <= exit.marginBefore : true;
    if (!entitled) continue;
    if (exit.kind === "withdraw" && exit.mode !== SETTLEMENT && !exit.ok) {
      violate({
        invariant: "exit-open",
        expected: { account: exit.account, withdraw: exit.amount, mode: exit.mode, result: "ok" },
        actual: { result: exit.error ?? "failed" },
        step,
      });
    }
    if (exit.kind === "claim" && exit.mode === SETTLEMENT && (!exit.ok || exit.paid !== exit.marginBefore)) {
      violate({
        invariant: "exit-open",
        expected: { account: exit.account, claim: exit.marginBefore },
        actual: { ok: exit.ok, paid: exit.paid, error: exit.error },
        step,
      });
    }
  }
}

/** A risk-adding action that met a breaker-class reading leaves the market Halted (or stricter). */
function checkSafeModeAfterAnomaly({ snapshot, facts, step }: PromiseCheckParameters): void {
  if (facts.anomalies.length === 0 || snapshot.market.mode >= HALTED) return;
  violate({
    invariant: "safe-mode-after-anomaly",
    expected: { mode: ">= Halted", after: facts.anomalies },
    actual: { mode: snapshot.market.mode, haltFlags: snapshot.market.haltFlags },
    step,
  });
}

/** Settlement never pays out more than the market held at the snapshot. */
function checkClaimsWithinAssets({ snapshot, ghosts, step }: PromiseCheckParameters): void {
  if (snapshot.market.mode !== SETTLEMENT) return;
  if (ghosts.settlementPaid > snapshot.market.settlement.assets) {
    violate({
      invariant: "claims-within-assets",
      expected: snapshot.market.settlement.assets,
      actual: ghosts.settlementPaid,
      step,
    });
  }
}

const get = (map: Map<Address, bigint>, account: Address): bigint => map.get(account) ?? 0n;
