import { describe, expect, test } from "vitest";
import {
  addresses,
  alice,
  fund,
  keeper,
  lp,
  ok,
  reverted,
  setPrice,
  T0,
  testModel,
  UNIT,
  USD,
} from "./fixtures.js";
import { type MarketModel, ORDER_EXECUTION_WINDOW, ORDER_EXPIRY } from "./market.js";

/** A model with a 1,000,000 USD pool, the deployment's 0.4 % immediacy premium, and alice holding 20,000 of margin. */
function market(): MarketModel {
  const m = testModel();
  m.warp(T0 + 12n);
  ok(m.setImmediacyFee({ caller: addresses.owner, fee: 4n * 10n ** 15n }));
  fund(m, lp, 2_000_000n * USD);
  ok(m.lpDeposit({ caller: lp, assets: 1_000_000n * USD }));
  fund(m, alice, 21_000n * USD);
  ok(m.deposit({ account: alice, amount: 20_000n * USD }));
  return m;
}

/** Publishes `price` on both feeds 12 s later, without anyone reading it. */
function publish(m: MarketModel, price: number): void {
  m.warp(m.now + 12n);
  setPrice(m, price);
}

const cancelled = (r: ReturnType<MarketModel["executeOrder"]>) =>
  r.ok ? r.events.find((e) => e.name === "OrderCancelled")?.args.reason : `reverted ${r.error}`;

describe("next-price orders (MarketOrders)", () => {
  test("an atomic trade pays the trading fee plus the premium; an order the trading fee alone", () => {
    const m = market();
    expect(ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT })).fee).toBe(100n * USD); // 0.5 % of 20,000
    ok(m.commitOrder({ account: alice, sizeDelta: -10n * UNIT }));
    publish(m, 1990);
    const r = ok(m.executeOrder({ account: alice, executor: keeper }));
    expect(r).toMatchObject({ price: 1990n * UNIT, fee: 19_900_000n, newSize: 0n }); // 0.1 % of 19,900
  });

  test("an order executes at its round's price on the round's unfavourable side, the stable price on the other", () => {
    const m = market();
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    ok(m.commitOrder({ account: alice, sizeDelta: -10n * UNIT }));
    publish(m, 2010);
    // A sale in the round's own block: the stable price (2,000, the level that stood) is the lower of the two.
    expect(ok(m.executeOrder({ account: alice, executor: keeper })).price).toBe(2000n * UNIT);
  });

  test("before its round the order reverts and stays; at its round it executes; one order per account", () => {
    const m = market();
    ok(m.commitOrder({ account: alice, sizeDelta: 10n * UNIT }));
    const round = m.state.market.orders.get(alice.toLowerCase() as `0x${string}`)?.afterRound ?? 0n;
    reverted(m.executeOrder({ account: alice, executor: keeper }), "MarketOrderNotReady", [
      round + 1n,
      round,
    ]);
    reverted(m.commitOrder({ account: alice, sizeDelta: UNIT }), "MarketOrderPending", [round + 1n]);
    publish(m, 2010);
    expect(ok(m.executeOrder({ account: alice, executor: keeper }))).toMatchObject({ price: 2010n * UNIT });
    reverted(m.executeOrder({ account: alice, executor: keeper }), "MarketNoOrder");
  });

  test("a later round, a skipped round, the window and the expiry cancel; so does a missed limit", () => {
    const later = market();
    ok(later.commitOrder({ account: alice, sizeDelta: 10n * UNIT }));
    publish(later, 1990);
    ok(later.refresh());
    publish(later, 2100);
    expect(cancelled(later.executeOrder({ account: alice, executor: keeper }))).toBe("MarketOrderLapsed");
    expect(later.accountOf(alice)).toMatchObject({ size: 0n, margin: 20_000n * USD });

    const skipped = market();
    ok(skipped.commitOrder({ account: alice, sizeDelta: 10n * UNIT }));
    publish(skipped, 1990);
    publish(skipped, 2100);
    expect(cancelled(skipped.executeOrder({ account: alice, executor: keeper }))).toBe("MarketOrderLapsed");

    const slow = market();
    ok(slow.commitOrder({ account: alice, sizeDelta: 10n * UNIT }));
    publish(slow, 2010);
    slow.warp(slow.now + ORDER_EXECUTION_WINDOW + 1n);
    expect(cancelled(slow.executeOrder({ account: alice, executor: keeper }))).toBe("MarketOrderLapsed");

    const old = market();
    ok(old.commitOrder({ account: alice, sizeDelta: 10n * UNIT }));
    old.warp(old.now + ORDER_EXPIRY + 1n);
    expect(cancelled(old.executeOrder({ account: alice, executor: keeper }))).toBe("MarketOrderExpired");

    const limited = market();
    ok(limited.commitOrder({ account: alice, sizeDelta: 10n * UNIT, priceLimit: 2005n * UNIT }));
    publish(limited, 2010);
    const accepted = limited.state.oracle.lastRoundId;
    expect(cancelled(limited.executeOrder({ account: alice, executor: keeper }))).toBe("MarketPriceLimit");
    expect(limited.accountOf(alice).margin).toBe(20_000n * USD);
    // A cancel accepts nothing: the round waits for the next call that reads the guard (and corrects the market).
    expect(limited.state.oracle.lastRoundId).toBe(accepted);
    ok(limited.refresh());
    expect(limited.state.oracle.lastRoundId).toBe(accepted + 1n);
  });

  test("a round published before the commit is not the order's round", () => {
    const m = market();
    publish(m, 2010); // on chain, not read
    ok(m.commitOrder({ account: alice, sizeDelta: 10n * UNIT }));
    expect(m.executeOrder({ account: alice, executor: keeper })).toMatchObject({
      error: "MarketOrderNotReady",
    });
    publish(m, 2010);
    expect(ok(m.executeOrder({ account: alice, executor: keeper }))).toMatchObject({ newSize: 10n * UNIT });
  });

  test("a reducing order never opens what its account no longer holds", () => {
    const m = market();
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    ok(m.commitOrder({ account: alice, sizeDelta: -10n * UNIT }));
    ok(m.closePosition({ account: alice }));
    publish(m, 2000);
    expect(cancelled(m.executeOrder({ account: alice, executor: keeper }))).toBe("MarketOrderWouldIncrease");
    expect(m.accountOf(alice).size).toBe(0n);
  });
});
