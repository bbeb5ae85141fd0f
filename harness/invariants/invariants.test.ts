/**
 * The protocol invariants and user promises, judged on snapshots the model produces (the Lens's shape, the
 * same the chain returns): a healthy session passes; each kind of breakage is reported by name.
 */
import { describe, expect, test } from "vitest";
import { addresses, alice, bob, carol, fund, lp, ok, T0, testModel, UNIT, USD } from "../model/fixtures.js";
import type { Snapshot } from "../model/types.js";
import { InvariantViolation } from "../scenario/contract.js";
import { emptyFacts, type StepFacts } from "./facts.js";
import { emptyGhosts, type Ghosts } from "./ghosts.js";
import { checkModelEquality } from "./modelEquality.js";
import { checkUserPromises } from "./promises.js";
import { checkProtocolInvariants } from "./protocol.js";

function session(): { snapshot: Snapshot; ghosts: Ghosts } {
  const m = testModel();
  m.warp(T0 + 12n);
  fund(m, lp, 1_000_000n * USD);
  ok(m.lpDeposit({ caller: lp, assets: 1_000_000n * USD }));
  const ghosts = emptyGhosts();
  for (const account of [alice, bob, carol]) {
    fund(m, account, 10_000n * USD);
    ok(m.deposit({ account, amount: 5_000n * USD }));
    ghosts.deposited.set(account, 5_000n * USD);
  }
  ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
  ok(m.modifyPosition({ account: bob, sizeDelta: -3n * UNIT }));
  ghosts.exposed.add(alice).add(bob);
  m.warp(m.now + 600n);
  ok(m.deposit({ account: bob, amount: 1n }));
  ok(m.withdraw({ account: carol, amount: 1_000n * USD }));
  ghosts.withdrawn.set(carol, 1_000n * USD);
  return { snapshot: m.snapshot({ accounts: [alice, bob, carol, lp] }), ghosts };
}

/** The invariant a check reports, or null when everything holds. */
function violated(check: () => void): string | null {
  try {
    check();
    return null;
  } catch (error) {
    if (error instanceof InvariantViolation) return error.info.invariant;
    throw error;
  }
}

const protocol =
  (snapshot: Snapshot, settlementPaid = 0n) =>
  () =>
    checkProtocolInvariants({ snapshot, step: 0, settlementPaid });
const promises =
  (snapshot: Snapshot, ghosts: Ghosts, facts: StepFacts = emptyFacts()) =>
  () =>
    checkUserPromises({ snapshot, ghosts, facts, step: 0 });

describe("protocol invariants", () => {
  test("a model session satisfies every one, the sums over accounts included", () => {
    const { snapshot, ghosts } = session();
    expect(violated(protocol(snapshot))).toBeNull();
    expect(violated(promises(snapshot, ghosts))).toBeNull();
  });

  test("each broken invariant is reported by name", () => {
    const broken = (edit: (s: Snapshot) => void) => {
      const { snapshot } = session();
      const copy = structuredClone(snapshot);
      edit(copy);
      return violated(protocol(copy));
    };
    expect(broken((s) => (s.market.collateralBalance = 0n))).toBe("token-conservation");
    expect(broken((s) => (s.market.agg.netSize += 1n))).toBe("open-interest");
    expect(broken((s) => (s.market.agg.poolCash = -1n))).toBe("pool-cash-nonnegative");
    expect(broken((s) => (s.market.maintenanceMargin = s.market.initialMargin + 1n))).toBe("margin-ratios");
    expect(broken((s) => ((s.accounts[2] as Snapshot["accounts"][number]).state.margin = -1n))).toBe(
      "no-negative-margin",
    );
    expect(broken((s) => (s.market.agg.netOpenNotional += 1n))).toBe("accounts-sum-to-aggregates");
    expect(broken((s) => (s.market.agg.idleMargin -= 1n))).toBe("accounts-sum-to-aggregates");
    expect(broken((s) => (s.market.poolShareSupply += 1n))).toBe("lp-shares-sum-to-supply");
    expect(broken((s) => (s.market.haltFlags = 2))).toBe("no-invariant-trip");
  });

  test("in Settlement, tokens held plus paid must cover the snapshot's assets", () => {
    const m = testModel();
    m.warp(T0 + 12n);
    fund(m, carol, 1_000n * USD);
    ok(m.deposit({ account: carol, amount: 1_000n * USD }));
    ok(m.settle({ caller: addresses.owner }));
    ok(m.claim({ account: carol }));
    const snapshot = m.snapshot({ accounts: [carol] });
    expect(violated(protocol(snapshot, m.settlementPaid()))).toBeNull();
    expect(violated(protocol(snapshot, 0n))).toBe("token-conservation");
  });
});

describe("user promises", () => {
  test("an account that never traded keeps what it put in", () => {
    const { snapshot, ghosts } = session();
    ghosts.deposited.set(carol, 5_000n * USD + 1n);
    expect(violated(promises(snapshot, ghosts))).toBe("no-exposure-no-loss");
  });

  test("a risk-adding action on an anomaly must leave the market Halted", () => {
    const { snapshot, ghosts } = session();
    const facts = { ...emptyFacts(), anomalies: [{ action: "open", oracleClass: 5 }] };
    expect(violated(promises(snapshot, ghosts, facts))).toBe("safe-mode-after-anomaly");
  });

  test("no owner call on the market succeeds while the timelock's delay is below the exit window", () => {
    const { snapshot, ghosts } = session();
    const call = {
      call: "setMode(Normal)",
      ok: true,
      timelockDelay: 86_400n,
      exitWindow: 4n * 86_400n,
      openToAnyone: false,
    };
    const judged = (governance: typeof call) =>
      violated(promises(snapshot, ghosts, { ...emptyFacts(), governance }));
    expect(judged(call)).toBe("exit-window-covered");
    // Refused (MarketTimelockTooShort), run under a delay that covers the window, or open to anyone: kept.
    expect(judged({ ...call, ok: false })).toBeNull();
    expect(judged({ ...call, timelockDelay: 4n * 86_400n })).toBeNull();
    expect(judged({ ...call, call: "settle()", openToAnyone: true })).toBeNull();
  });
});

describe("model equality", () => {
  test("the chain's block number aside, any difference is a violation with its path", () => {
    const { snapshot } = session();
    const chain = structuredClone(snapshot);
    chain.market.blockNumber = 1234n;
    expect(violated(() => checkModelEquality({ view: snapshot, snapshot: chain, step: 0 }))).toBeNull();
    chain.market.agg.insurance += 1n;
    try {
      checkModelEquality({ view: snapshot, snapshot: chain, step: 3 });
      throw new Error("expected a violation");
    } catch (error) {
      if (!(error instanceof InvariantViolation)) throw error;
      expect(error.info).toMatchObject({ invariant: "model-equality", step: 3 });
      expect(error.info.diff.map((d) => d.path)).toEqual(["market.agg.insurance"]);
    }
  });
});
