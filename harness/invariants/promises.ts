import type { Address } from "viem";
import { solidityEnums } from "../../src-ts/generated/abis.js";
import { settledEquity } from "../../src-ts/keeper/settledEquity.js";
import type { StepFacts } from "./facts.js";
import type { Ghosts } from "./ghosts.js";
import type { CheckedSnapshot } from "./protocol.js";
import { violate } from "./violation.js";

const HALTED = solidityEnums.Mode.Halted;
const SETTLEMENT = solidityEnums.Mode.Settlement;
const GOVERNANCE = solidityEnums.Cause.Governance;
const BREAKER_RESET = solidityEnums.Cause.BreakerReset;

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
  checkExitWindowCovered(parameters);
}

/**
 * Users can always leave before a governance change lands. The timelock administers itself and CAN lower its
 * own delay below the exit window (maxHaltDuration + settlementWindow); the promise is that the market then
 * refuses every owner call until the delay covers the window again. So: no owner call on the market succeeds
 * while the timelock's delay is below the exit window (settle() past maxHaltDuration is open to anyone).
 */
function checkExitWindowCovered({ facts, step }: PromiseCheckParameters): void {
  const g = facts.governance;
  if (!g?.ok || g.openToAnyone || g.timelockDelay >= g.exitWindow) return;
  violate({
    invariant: "exit-window-covered",
    expected: { call: g.call, result: "MarketTimelockTooShort", timelockDelay: `>= ${g.exitWindow}` },
    actual: { call: g.call, result: "ok", timelockDelay: g.timelockDelay },
    step,
  });
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

/**
 * A risk-adding action that met a breaker-class reading leaves the market Halted (or stricter) — unless a
 * later transaction of the same step loosened it the sanctioned way (the breaker's own reset after valid
 * rounds, or the timelock), which a long command may reach; mode-only-tightens judges those loosenings.
 */
function checkSafeModeAfterAnomaly({ snapshot, facts, step }: PromiseCheckParameters): void {
  if (facts.anomalies.length === 0 || snapshot.market.mode >= HALTED) return;
  const sanctioned = facts.txs.some((tx) =>
    tx.market.some(
      (e) =>
        e.eventName === "ModeChanged" &&
        Number(e.args.to) < Number(e.args.from) &&
        (Number(e.args.cause) === BREAKER_RESET || Number(e.args.cause) === GOVERNANCE),
    ),
  );
  if (sanctioned) return;
  violate({
    invariant: "safe-mode-after-anomaly",
    expected: { mode: ">= Halted", after: facts.anomalies },
    actual: { mode: snapshot.market.mode, haltFlags: snapshot.market.haltFlags },
    step,
  });
}

/**
 * Settlement never owes more than the market held at the snapshot: what was paid plus every claim still
 * outstanding (idle margins in full, positive equity at the claim ratio, the LPs' fixed share) must fit in
 * the snapshot's assets, or whoever claims last is refused (claims must not depend on who claims first).
 * The outstanding part is known once the ratio is fixed (finalisation).
 */
function checkClaimsWithinAssets({ snapshot, ghosts, step }: PromiseCheckParameters): void {
  const m = snapshot.market;
  if (m.mode !== SETTLEMENT) return;
  const s = m.settlement;
  let outstanding = 0n;
  const parts: Record<string, string> = {};
  if (s.finalised) {
    let lpShares = 0n;
    for (const a of snapshot.accounts) {
      lpShares += a.lpShares;
      if (ghosts.settled.has(a.account)) continue;
      const owed =
        a.state.size === 0n
          ? max0(a.state.margin)
          : (max0(
              settledEquity({ account: a.state, settlement: s, collateralDecimals: COLLATERAL_DECIMALS }),
            ) *
              s.traderRatio) /
            WAD;
      if (owed > 0n) parts[a.account] = owed.toString();
      outstanding += owed;
    }
    const lp = s.poolShareSupply === 0n ? 0n : (s.lpAssets * lpShares) / s.poolShareSupply;
    parts.lps = lp.toString();
    outstanding += lp;
  }
  if (ghosts.settlementPaid + outstanding > s.assets) {
    violate({
      invariant: "claims-within-assets",
      expected: { assets: s.assets },
      actual: {
        paid: ghosts.settlementPaid,
        outstanding,
        total: ghosts.settlementPaid + outstanding,
        owed: parts,
      },
      diff: [
        {
          path: "settlement.assets",
          expected: String(s.assets),
          actual: String(ghosts.settlementPaid + outstanding),
        },
      ],
      step,
    });
  }
}

const WAD = 10n ** 18n;
/** The collateral's decimals (the deployed MockERC20 has 6). */
const COLLATERAL_DECIMALS = 6;
const max0 = (x: bigint): bigint => (x > 0n ? x : 0n);

const get = (map: Map<Address, bigint>, account: Address): bigint => map.get(account) ?? 0n;
