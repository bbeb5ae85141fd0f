import { describe, expect, test } from "vitest";
import { diffState, toJson } from "./diff.js";
import { alice, bob, carol, fund, lp, ok, T0, testModel, UNIT, USD } from "./fixtures.js";
import type { Snapshot } from "./types.js";

function session(): { snapshot: Snapshot } {
  const m = testModel();
  m.warp(T0 + 12n);
  fund(m, lp, 1_000_000n * USD);
  ok(m.lpDeposit({ caller: lp, assets: 1_000_000n * USD }));
  for (const account of [alice, bob, carol]) {
    fund(m, account, 10_000n * USD);
    ok(m.deposit({ account, amount: 5_000n * USD }));
  }
  ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
  ok(m.modifyPosition({ account: bob, sizeDelta: -3n * UNIT }));
  m.warp(m.now + 600n);
  ok(m.deposit({ account: bob, amount: 1n }));
  return { snapshot: m.snapshot({ accounts: [alice, bob, carol, lp] }) };
}

describe("diffState", () => {
  test("equal snapshots differ nowhere, whatever the address case or number type", () => {
    const { snapshot } = session();
    const chainLike = structuredClone(snapshot) as unknown as Record<string, never>;
    const c = chainLike as unknown as Snapshot;
    (c.market as { market: string }).market = c.market.market.toUpperCase().replace("0X", "0x");
    (c.market as unknown as { mode: bigint }).mode = BigInt(c.market.mode);
    (c as { accounts: Snapshot["accounts"] }).accounts = [...c.accounts].reverse();
    expect(diffState(snapshot, c)).toEqual([]);
  });

  test("reports each differing field, missing accounts, and honours ignore", () => {
    const { snapshot } = session();
    const other = structuredClone(snapshot);
    other.market.agg.insurance += 7n;
    other.accounts = other.accounts.filter((a) => a.account !== bob);
    const aliceView = other.accounts.find((a) => a.account === alice);
    if (!aliceView) throw new Error("alice missing");
    aliceView.state.fundingIndex += 1n;
    const diff = diffState(snapshot, other);
    expect(diff).toContainEqual({
      path: "market.agg.insurance",
      expected: String(snapshot.market.agg.insurance),
      actual: String(snapshot.market.agg.insurance + 7n),
    });
    expect(diff).toContainEqual(expect.objectContaining({ path: `accounts.${alice}.state.fundingIndex` }));
    expect(diff).toContainEqual(expect.objectContaining({ path: `accounts.${bob}`, actual: "<missing>" }));
    expect(
      diffState(snapshot, other, {
        ignore: ["market.agg.insurance", "accounts.*.state.fundingIndex", `accounts.${bob}`],
      }),
    ).toEqual([]);
    // The report is JSON as it is.
    expect(JSON.parse(JSON.stringify(diff))).toEqual(diff);
    expect(JSON.parse(toJson(snapshot)).market.agg.insurance).toBe(String(snapshot.market.agg.insurance));
  });

  test("an ignored path hides that field only, inside arrays and next to fields that differ", () => {
    const account = `0x${"ab".repeat(20)}`;
    const state = (x: bigint) => ({
      market: {
        list: [
          { a: x, b: x },
          { a: x, b: x },
        ],
        c: { d: x },
      },
      accounts: [{ account, state: { e: x, f: x } }],
    });
    const paths = (ignore: string[]) => diffState(state(1n), state(2n), { ignore }).map((d) => d.path);
    expect(paths(["market.list[1].a", "accounts.*.state.e"])).toEqual([
      "market.list[0].a",
      "market.list[0].b",
      "market.list[1].b",
      "market.c.d",
      `accounts.${account}.state.f`,
    ]);
  });
});
