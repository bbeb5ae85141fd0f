import { describe, expect, test } from "vitest";
import { alice, answer, fund, lp, ok, reverted, T0, testModel, UNIT, USD } from "./fixtures.js";
import { cloneState } from "./state.js";

/** Every object reached twice in `value` (cloneState copies plain data and assumes there is none). */
function shared(value: unknown, seen = new Set<object>(), out: object[] = []): object[] {
  if (typeof value !== "object" || value === null) return out;
  if (seen.has(value)) {
    out.push(value);
    return out;
  }
  seen.add(value);
  const children =
    value instanceof Map
      ? [...value.keys(), ...value.values()]
      : value instanceof Set
        ? [...value]
        : Object.values(value);
  for (const child of children) shared(child, seen, out);
  return out;
}

describe("cloneState", () => {
  // A state with every kind of content: accounts, a position, pool shares, feed rounds, allowances.
  const model = testModel();
  model.warp(T0 + 12n);
  fund(model, lp, 2_000_000n * USD);
  ok(model.lpDeposit({ caller: lp, assets: 1_000_000n * USD }));
  fund(model, alice, 20_000n * USD);
  ok(model.deposit({ account: alice, amount: 10_000n * USD }));
  ok(model.modifyPosition({ account: alice, sizeDelta: UNIT }));
  model.warp(T0 + 24n);
  model.setAnswer({ feed: "primary", answer: answer(2010) });

  test("copies what structuredClone copies, and shares nothing with the original", () => {
    const state = model.state;
    const copy = cloneState(state);
    expect(copy).toEqual(structuredClone(state));
    expect(shared(state)).toEqual([]);
    const reached = new Set<object>();
    shared(state, reached);
    const overlap: object[] = [];
    shared(copy, new Set(reached), overlap);
    // The feeds' rounds and the ledgers' allowance rows are read-only: the copy shares them, nothing else.
    const readOnly = new Set<object>([
      ...state.feeds.primary.rounds.values(),
      ...(state.feeds.secondary?.rounds.values() ?? []),
      ...state.collateral.allowances.values(),
      ...state.shares.allowances.values(),
    ]);
    expect(readOnly.size).toBeGreaterThan(2);
    expect(overlap.filter((o) => !readOnly.has(o))).toEqual([]);
  });

  // A guarded action runs on one copy (its guarded frame) rather than two (MarketModel.transact inPlace).
  test("a guarded action that reverts after writing to its frame leaves the state as it was", () => {
    const m = testModel();
    m.warp(T0 + 12n);
    fund(m, lp, 2_000_000n * USD);
    ok(m.lpDeposit({ caller: lp, assets: 1_000_000n * USD }));
    fund(m, alice, 20_000n * USD);
    ok(m.deposit({ account: alice, amount: 1_000n * USD }));
    ok(m.modifyPosition({ account: alice, sizeDelta: UNIT }));
    m.warp(T0 + 200n); // funding accrues: the modify's frame settles it before the margin check fails
    const state = m.state;
    const before = structuredClone(state);
    reverted(m.modifyPosition({ account: alice, sizeDelta: 100n * UNIT }), "MarketInsufficientMargin");
    expect(m.state).toBe(state);
    expect(m.state).toEqual(before);
    ok(m.modifyPosition({ account: alice, sizeDelta: UNIT }));
    expect(m.state.market.accounts.get(alice)?.size).toBe(2n * UNIT);
  });
});
