import { describe, expect, test } from "vitest";
import {
  addresses,
  alice,
  bob,
  carol,
  dave,
  eve,
  fund,
  keeper,
  lp,
  nearZeroMarginReduce,
  ok,
  reverted,
  setPrice,
  setPrimaryUnconfirmed,
  T0,
  testModel,
  UNIT,
  USD,
} from "./fixtures.js";
import { allows, type MarketModel, profitCapFloor } from "./market.js";
import { ceilDiv } from "./math.js";
import { Action, Cause, HaltFlag, Mode, OracleClass } from "./types.js";

/** A model with a 1,000,000 USD pool, one block after deployment. */
function withPool(parameters: Parameters<typeof testModel>[0] = {}): MarketModel {
  const m = testModel(parameters);
  m.warp(T0 + 12n);
  fund(m, lp, 2_000_000n * USD);
  ok(m.lpDeposit({ caller: lp, assets: 1_000_000n * USD }));
  return m;
}

/** Lets the LP shares minted so far age past the holding period (the guard's maxAge), the price republished. */
function ageShares(m: MarketModel, price = 2000): void {
  m.warp(m.now + BigInt(m.state.oracle.params.maxAge));
  setPrice(m, price);
}

/** Funds `account` with `margin` plus 1,000 USD in its wallet and deposits `margin`. */
function trader(m: MarketModel, account: `0x${string}`, margin: bigint): void {
  fund(m, account, margin + 1_000n * USD);
  ok(m.deposit({ account, amount: margin }));
}

describe("open and close with fee", () => {
  test("10 units long at 2,000, closed at 2,200", () => {
    const m = withPool();
    expect(m.sharesOf(lp)).toBe(10n ** 18n); // 1e12 assets * (0 + 1e6) / (0 + 1)
    trader(m, alice, 10_000n * USD);

    const open = ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    expect(open).toEqual({
      price: 2000n * UNIT,
      realisedPnl: 0n,
      fee: 20n * USD, // 0.1% of 20,000
      newSize: 10n * UNIT,
      increasing: true,
    });
    expect(m.accountOf(alice)).toEqual({
      margin: 9_980n * USD,
      size: 10n * UNIT,
      openNotional: 20_000n * USD,
      fundingIndex: 0n,
    });
    const agg = m.aggregates();
    expect(agg.insurance).toBe(4n * USD); // 20% of the fee
    expect(agg.poolCash).toBe(1_000_016n * USD);
    expect(agg.totalMargin).toBe(9_980n * USD);
    expect(agg.longOpenInterest).toBe(10n * UNIT);
    expect(agg.netOpenNotional).toBe(20_000n * USD);

    setPrice(m, 2200); // +10%: exactly the jump band, still Valid
    ok(m.refresh());
    // The stable price follows at 1 % of 2,200 a minute (TradePricing): after 600 s the close executes at 2,200.
    // Funding over those 600 s at 2,200: rate 1e9, index += 1.32e15, alice owes 13,200 (0.0132 USD) to the pool.
    m.warp(m.now + 600n);
    const close = ok(m.closePosition({ account: alice }));
    expect(close).toEqual({
      price: 2200n * UNIT,
      realisedPnl: 2_000n * USD,
      fee: 22n * USD,
      newSize: 0n,
      increasing: false,
    });
    expect(m.accountOf(alice).margin).toBe(11_958n * USD - 13_200n);
    expect(m.aggregates()).toMatchObject({
      insurance: 8_400_000n,
      poolCash: 998_033_600_000n + 13_200n,
      longOpenInterest: 0n,
      netOpenNotional: 0n,
      totalMargin: 11_958n * USD - 13_200n,
    });
    expect(m.poolEquity()).toBe(998_033_600_000n + 13_200n);
  });

  test("a partial close removes cost basis pro rata, truncated; proceeds round against the trader", () => {
    const m = withPool();
    trader(m, alice, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 3n * UNIT }));
    setPrice(m, 2001);
    ok(m.refresh());
    m.warp(m.now + 60n); // the stable price follows the step (TradePricing)
    // Close 1 of 3 units: basis removed = 6,000e6 * 1 / 3 = 2,000e6; proceeds = 2,001e6.
    const r = ok(m.modifyPosition({ account: alice, sizeDelta: -1n * UNIT }));
    expect(r.realisedPnl).toBe(1n * USD);
    expect(m.accountOf(alice).openNotional).toBe(4_000n * USD);
  });

  test("a short's basis rounds up (receives less) and its proceeds round down (pays more)", () => {
    const m = withPool();
    trader(m, bob, 10_000n * USD);
    // 1 wei of size at 2,000: value 2e-15 collateral units; the short's basis ceil(-2e-15) = 0.
    ok(m.modifyPosition({ account: bob, sizeDelta: -1n }));
    expect(m.accountOf(bob).openNotional).toBe(0n);
    // Closing it: proceeds floor(-1 * 2000e18 / 1e30) = -1, so the short pays one unit.
    expect(ok(m.closePosition({ account: bob })).realisedPnl).toBe(-1n);
  });
});

describe("execution price (TradePricing)", () => {
  test("a trade executes at the worse, for the trader, of the mark and the stable price", () => {
    const m = withPool();
    trader(m, alice, 10_000n * USD);
    trader(m, bob, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: -10n * UNIT }));
    ok(m.modifyPosition({ account: bob, sizeDelta: 10n * UNIT }));
    m.warp(m.now + 600n);
    setPrice(m, 1900); // -5 %, both feeds: a real move
    ok(m.refresh());
    const at = (account: `0x${string}`, sizeDelta: bigint) =>
      ok(m.modifyPosition({ account, sizeDelta })).price;
    expect(at(bob, -5n * UNIT)).toBe(1900n * UNIT); // selling after the fall: the mark at once
    expect(at(alice, 2n * UNIT)).toBe(2000n * UNIT); // buying at once: the level that stood
    m.warp(m.now + 150n);
    expect(at(alice, 2n * UNIT)).toBe(1950n * UNIT); // 1 % of 2,000 a minute
    m.warp(m.now + 150n);
    expect(at(alice, 2n * UNIT)).toBe(1900n * UNIT);
  });

  test("a push under the band, traded at and restored a block later, does not pay", () => {
    const m = withPool();
    trader(m, alice, 20_000n * USD);
    for (let i = 0; i < 5; i++) {
      m.warp(m.now + 60n);
      setPrice(m, 1980);
      ok(m.modifyPosition({ account: alice, sizeDelta: 50n * UNIT }));
      m.warp(m.now + 12n);
      setPrice(m, 2000);
      ok(m.closePosition({ account: alice }));
    }
    expect(m.accountOf(alice).margin).toBeLessThan(20_000n * USD);
  });
});

describe("funding", () => {
  test("accrues at the skew rate and settles on the next touch", () => {
    const m = withPool();
    trader(m, alice, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    // rate = 10e18 * 1e11 / 1000e18 = 1e9 (1e-9 of notional per second, longs pay)
    expect(m.fundingRate()).toBe(10n ** 9n);
    m.warp(m.now + 1000n);
    // index += (1e9 * 2000e18 / 1e18) * 1000 = 2e15; alice owes ceil(10e18 * 2e15 / 1e30) = 20,000 (0.02 USD)
    expect(m.currentFundingIndex()).toBe(2n * 10n ** 15n);
    expect(m.accountHealth(alice).equity).toBe(9_980n * USD - 20_000n);
    expect(m.poolEquity()).toBe(1_000_016n * USD + 20_000n);

    const r = m.deposit({ account: alice, amount: 1n * USD });
    expect(r.ok && !r.tripped && r.events.map((e) => e.name)).toEqual(["FundingSettled", "Deposited"]);
    expect(m.accountOf(alice)).toEqual({
      margin: 9_981n * USD - 20_000n,
      size: 10n * UNIT,
      openNotional: 20_000n * USD,
      fundingIndex: 2n * 10n ** 15n,
    });
    const agg = m.aggregates();
    expect(agg.poolCash).toBe(1_000_016n * USD + 20_000n);
    expect(agg.sizeTimesIndex).toBe(2n * 10n ** 34n);
    expect(agg.lastFundingTime).toBe(m.now);
    expect(m.poolEquity()).toBe(1_000_016n * USD + 20_000n); // owed moved from "owed" to cash
  });

  test("the rate is capped at full skew", () => {
    const m = withPool({ risk: { skewScale: 5n * UNIT } });
    trader(m, alice, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    expect(m.fundingRate()).toBe(10n ** 11n);
  });

  test("a short is paid funding in a net-long market, out of pool cash", () => {
    const m = withPool();
    trader(m, alice, 10_000n * USD);
    trader(m, bob, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    ok(m.modifyPosition({ account: bob, sizeDelta: -2n * UNIT }));
    m.warp(m.now + 500n);
    // rate = 8e18 * 1e11 / 1000e18 = 8e8; index += 8e8 * 2000 * 500 = 8e14; bob owed ceil(-2e18 * 8e14 / 1e30) = -1,600
    const cash = m.aggregates().poolCash;
    ok(m.deposit({ account: bob, amount: 1n }));
    expect(m.aggregates().poolCash).toBe(cash - 1_600n);
  });
});

describe("liquidation", () => {
  test("without bad debt: penalty split between keeper and insurance, the rest stays", () => {
    const m = withPool();
    trader(m, dave, 2_100n * USD);
    ok(m.modifyPosition({ account: dave, sizeDelta: 10n * UNIT })); // margin 2,080
    setPrice(m, 1850);
    ok(m.refresh());
    expect(m.accountView(dave)).toMatchObject({
      equity: 580n * USD, // 2,080 + 18,500 - 20,000
      maintenanceRequired: 925n * USD, // 5% of 18,500
      liquidatable: true,
    });
    const r = ok(m.liquidate({ account: dave, liquidator: keeper }));
    expect(r).toEqual({
      reward: 92_500_000n, // 25% of the 2% penalty on 18,500
      penaltyToInsurance: 277_500_000n,
      price: 1850n * UNIT,
      size: 10n * UNIT,
      badDebt: null,
    });
    expect(m.accountOf(dave)).toEqual({ margin: 210n * USD, size: 0n, openNotional: 0n, fundingIndex: 0n });
    expect(m.collateralBalanceOf(keeper)).toBe(92_500_000n);
    expect(m.aggregates()).toMatchObject({
      insurance: 281_500_000n,
      poolCash: 1_001_516n * USD,
      longOpenInterest: 0n,
    });
  });

  test("with bad debt: insurance first, then the pool", () => {
    const m = withPool();
    trader(m, eve, 2_100n * USD);
    ok(m.modifyPosition({ account: eve, sizeDelta: 10n * UNIT }));
    setPrice(m, 1850);
    ok(m.refresh());
    setPrice(m, 1700); // -8.1% from the last good price
    const r = m.liquidate({ account: eve, liquidator: keeper });
    expect(ok(r)).toEqual({
      reward: 0n,
      penaltyToInsurance: 0n,
      price: 1700n * UNIT,
      size: 10n * UNIT,
      badDebt: { deficit: 920n * USD, coveredByInsurance: 4n * USD, socialised: 916n * USD },
    });
    // Insurance covered part of it and fell below its floor (Cautious); the rest was socialised (ReduceOnly).
    expect(r.ok && !r.tripped && r.events.map((e) => e.name)).toEqual([
      "PriceAccepted",
      "BadDebt",
      "ModeChanged",
      "ModeChanged",
      "Liquidated",
    ]);
    expect(r.ok && r.events.filter((e) => e.name === "ModeChanged").map((e) => e.args)).toEqual([
      { from: Mode.Normal, to: Mode.Cautious, cause: Cause.InsuranceBelowFloor },
      { from: Mode.Cautious, to: Mode.ReduceOnly, cause: Cause.LossSocialised },
    ]);
    expect(m.mode).toBe(Mode.ReduceOnly);
    expect(m.haltFlags).toBe(0);
    expect(m.accountOf(eve).margin).toBe(0n);
    expect(m.aggregates()).toMatchObject({ insurance: 0n, poolCash: 1_002_100n * USD, totalMargin: 0n });
  });

  test("with bad debt fully covered by a funded insurance", () => {
    const m = withPool();
    fund(m, carol, 10_000n * USD);
    ok(m.fundInsurance({ from: carol, amount: 10_000n * USD }));
    trader(m, eve, 2_100n * USD);
    ok(m.modifyPosition({ account: eve, sizeDelta: 10n * UNIT }));
    setPrice(m, 1850);
    ok(m.refresh());
    setPrice(m, 1700);
    const r = ok(m.liquidate({ account: eve, liquidator: keeper }));
    expect(r.badDebt).toEqual({ deficit: 920n * USD, coveredByInsurance: 920n * USD, socialised: 0n });
    expect(m.aggregates()).toMatchObject({ insurance: 9_084n * USD, poolCash: 1_003_016n * USD });
  });
});

describe("LP shares (ERC-4626, decimals offset 6)", () => {
  test("deposit floors, mint ceils, withdraw ceils, redeem floors; entries price in the insurance fund", () => {
    const m = testModel({ risk: { minBacking: 0n } });
    m.warp(T0 + 12n);
    fund(m, lp, 10_000n * USD);
    expect(ok(m.lpDeposit({ caller: lp, assets: 1_000n * USD })).shares).toBe(10n ** 15n);
    ageShares(m); // these may leave; the shares minted below stay locked
    trader(m, alice, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT })); // fee 20 USD: 16 to the pool, 4 to insurance
    expect(m.totalAssets()).toBe(1_016n * USD);
    expect(m.entryAssets()).toBe(1_020n * USD);

    // 100e6 * (1e15 + 1e6) / (1,016e6 + 4e6 + 1), floored
    expect(m.previewDeposit(100n * USD)).toBe(98_039_215_688_196n);
    expect(ok(m.lpDeposit({ caller: lp, assets: 100n * USD })).shares).toBe(98_039_215_688_196n);
    // 1e14 * (1,116e6 + 4e6 + 1) / (1,098,039,215,688,196 + 1e6), ceiled
    expect(ok(m.lpMint({ caller: lp, shares: 10n ** 14n })).assets).toBe(102_000_000n);
    // exits price at totalAssets: 50e6 * (1,198,039,215,688,196 + 1e6) / (1,218e6 + 1), ceiled
    expect(ok(m.lpWithdraw({ caller: lp, assets: 50n * USD })).shares).toBe(49_180_591_777_693n);
    expect(m.totalSupply()).toBe(1_148_858_623_910_503n);
    expect(m.totalAssets()).toBe(1_168_000_000n);
    // 1e14 * (1,168e6 + 1) / (1,148,858,623,910,503 + 1e6), floored; the young shares cannot leave yet
    expect(ok(m.lpRedeem({ caller: lp, shares: 10n ** 14n })).assets).toBe(101_666_121n);
    reverted(m.lpRedeem({ caller: lp, shares: 10n ** 15n }), "ERC4626ExceededMaxRedeem");
  });

  test("a donation moves nothing and the first depositor cannot inflate the share price", () => {
    const fresh = testModel();
    fresh.warp(T0 + 12n);
    fund(fresh, carol, 1_000_001n * USD);
    fund(fresh, alice, 1_000n * USD);
    expect(ok(fresh.lpDeposit({ caller: carol, assets: 1n })).shares).toBe(10n ** 6n);
    ok(fresh.transfer({ from: carol, to: addresses.market, amount: 1_000_000n * USD }));
    ok(fresh.transfer({ from: carol, to: addresses.pool, amount: 1n * USD - 1n }));
    expect(fresh.totalAssets()).toBe(1n);
    expect(ok(fresh.lpDeposit({ caller: alice, assets: 1_000n * USD })).shares).toBe(10n ** 15n);
    expect(fresh.convertToAssets(10n ** 15n)).toBe(1_000n * USD);
  });

  test("maxWithdraw is capped by the backing the pool must keep", () => {
    const m = withPool();
    ageShares(m);
    trader(m, alice, 100_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 100n * UNIT })); // net notional 200,000: keep 100,000
    // equity 1,000,160 - 100,000 backing
    expect(m.poolWithdrawable()).toBe(900_160n * USD);
    expect(m.maxWithdraw(lp)).toBe(900_160n * USD);
    reverted(m.lpWithdraw({ caller: lp, assets: 900_161n * USD }), "ERC4626ExceededMaxWithdraw", [
      lp,
      900_161n * USD,
      900_160n * USD,
    ]);
    ok(m.lpWithdraw({ caller: lp, assets: 900_160n * USD }));
    expect(m.poolWithdrawable()).toBe(0n);
  });
});

describe("every error path", () => {
  test("zero amounts and sizes", () => {
    const m = withPool();
    ageShares(m);
    trader(m, alice, 1_000n * USD);
    reverted(m.deposit({ account: alice, amount: 0n }), "MarketZeroAmount", []);
    reverted(m.withdraw({ account: alice, amount: 0n }), "MarketZeroAmount", []);
    reverted(m.fundInsurance({ from: alice, amount: 0n }), "MarketZeroAmount", []);
    reverted(m.modifyPosition({ account: alice, sizeDelta: 0n }), "MarketZeroSize", []);
    reverted(m.closePosition({ account: alice }), "MarketZeroSize", []);
    reverted(m.lpDeposit({ caller: lp, assets: 0n }), "PoolZeroShares", []);
    reverted(m.lpRedeem({ caller: lp, shares: 1n }), "PoolZeroShares", []); // rounds to 0 assets
  });

  test("margin errors", () => {
    const m = withPool();
    trader(m, alice, 1_000n * USD);
    // 10 units: notional 20,000, IM 2,000; equity 1,000 - 20 fee
    reverted(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }), "MarketInsufficientMargin", [
      980n * USD,
      2_000n * USD,
    ]);
    reverted(m.withdraw({ account: alice, amount: 1_001n * USD }), "MarketInsufficientFreeMargin", [
      1_001n * USD,
      1_000n * USD,
    ]);
    ok(m.modifyPosition({ account: alice, sizeDelta: 4n * UNIT })); // IM 800, margin 992
    reverted(m.withdraw({ account: alice, amount: 200n * USD }), "MarketInsufficientMargin", [
      792n * USD,
      800n * USD,
    ]);
    ok(m.withdraw({ account: alice, amount: 192n * USD }));
  });

  test("price limit, open-interest cap, backing", () => {
    const m = withPool({ risk: { maxOpenInterest: 15n * UNIT } });
    trader(m, alice, 100_000n * USD);
    reverted(
      m.modifyPosition({ account: alice, sizeDelta: UNIT, priceLimit: 1999n * UNIT }),
      "MarketPriceLimit",
      [2000n * UNIT, 1999n * UNIT],
    );
    reverted(
      m.modifyPosition({ account: alice, sizeDelta: -UNIT, priceLimit: 2001n * UNIT }),
      "MarketPriceLimit",
      [2000n * UNIT, 2001n * UNIT],
    );
    reverted(m.modifyPosition({ account: alice, sizeDelta: 16n * UNIT }), "MarketOpenInterestCap", [
      16n * UNIT,
      15n * UNIT,
    ]);
    reverted(m.modifyPosition({ account: alice, sizeDelta: -16n * UNIT }), "MarketOpenInterestCap", [
      16n * UNIT,
      15n * UNIT,
    ]);

    const small = testModel();
    small.warp(T0 + 12n);
    fund(small, lp, 5_000n * USD);
    ok(small.lpDeposit({ caller: lp, assets: 5_000n * USD }));
    trader(small, alice, 10_000n * USD);
    // net notional 20,000: the pool must keep 10,000 of equity; it has 5,016 after the fee
    reverted(small.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }), "MarketInsufficientBacking", [
      5_016n * USD,
      10_000n * USD,
    ]);
  });

  test("oracle classes refused by actions that trust the price without adding risk", () => {
    const m = withPool();
    trader(m, alice, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 2n * UNIT }));
    const refused = (cls: OracleClass) => {
      reverted(m.modifyPosition({ account: alice, sizeDelta: -UNIT }), "MarketOracleNotValid", [cls]);
      // The pool's maxDeposit foresees the market's refusal: ERC-4626's own error, before the market is asked.
      expect(m.maxDeposit()).toBe(0n);
      reverted(m.lpDeposit({ caller: lp, assets: 1n * USD }), "ERC4626ExceededMaxDeposit", [
        lp,
        1n * USD,
        0n,
      ]);
    };
    setPrimaryUnconfirmed(m, 2300); // +15%
    refused(OracleClass.TooVolatile);
    // A liquidation does not trust the jump: it judges at the kinder side, the last good price (alice is healthy).
    reverted(m.liquidate({ account: alice, liquidator: keeper }), "MarketNotLiquidatable");
    setPrice(m, 2000);
    m.setAnswer({ feed: "primary", answer: 2100n * 10n ** 8n }); // secondary still 2,000: 5% apart
    refused(OracleClass.Diverged);
    setPrice(m, 1); // clamped by the feed to its minAnswer
    refused(OracleClass.AtBounds);
    m.setBounds({ feed: "primary", minAnswer: -10n, maxAnswer: 10n ** 20n });
    m.setAnswer({ feed: "primary", answer: -1n });
    refused(OracleClass.NonPositive);
    reverted(m.liquidate({ account: alice, liquidator: keeper }), "MarketNotLiquidatable");
    m.setBounds({ feed: "primary", minAnswer: 10n ** 8n, maxAnswer: 10n ** 14n });
    setPrice(m, 2000);
    ok(m.modifyPosition({ account: alice, sizeDelta: UNIT })); // accepts the new round
    m.setReportedRound({ feed: "primary", roundId: 1n }); // a round below the last accepted one
    refused(OracleClass.Stale);
    m.setReportedRound({ feed: "primary", roundId: 0n });
    m.warp(m.now + 3601n);
    refused(OracleClass.Stale);
    // Without a position, deposits and withdrawals never read the price.
    trader(m, carol, 1_000n * USD);
    ok(m.withdraw({ account: carol, amount: 1_000n * USD }));
    expect(m.mode).toBe(Mode.Normal);
  });

  test("a reduce that would leave negative margin is for the liquidators", () => {
    const m = withPool();
    trader(m, dave, 2_100n * USD);
    ok(m.modifyPosition({ account: dave, sizeDelta: 10n * UNIT }));
    setPrice(m, 1850);
    ok(m.refresh());
    setPrice(m, 1700);
    // 9 units closed at 1,700: -2,700 realised, 15.3 fee; margin 2,080 - 2,715.3
    reverted(m.modifyPosition({ account: dave, sizeDelta: -9n * UNIT }), "MarketAccountInsolvent", [
      -635_300_000n,
    ]);
  });

  test("liquidation preconditions", () => {
    const m = withPool();
    trader(m, alice, 10_000n * USD);
    reverted(m.liquidate({ account: alice, liquidator: keeper }), "MarketNoPosition", []);
    ok(m.modifyPosition({ account: alice, sizeDelta: UNIT }));
    reverted(m.liquidate({ account: alice, liquidator: keeper }), "MarketNotLiquidatable", [
      9_998n * USD, // 10,000 - 2 fee
      100n * USD, // 5% of 2,000
    ]);
  });

  test("a winner owed more than the pool's cash is paid its capped share, which the cash holds", () => {
    const m = testModel();
    m.warp(T0 + 12n);
    fund(m, lp, 20_000n * USD);
    ok(m.lpDeposit({ caller: lp, assets: 10_000n * USD }));
    trader(m, alice, 10_000n * USD);
    trader(m, bob, 30_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    ok(m.modifyPosition({ account: bob, sizeDelta: -10n * UNIT }));
    for (const price of [2200, 2420, 2662, 2928, 3220]) {
      setPrice(m, price);
      ok(m.refresh());
    }
    m.warp(m.now + 2_400n); // the stable price follows the climb, 1 % a minute (TradePricing)
    // No net exposure: the pool's equity is its cash, and bob's unrealised loss is not cash yet.
    expect(m.mode).toBe(Mode.Normal);
    expect(m.poolEquity()).toBe(10_032n * USD);
    // Alice is owed 12,200, more than the 10,032 of cash: the room is 10 % of 10,032 + 12,200, and only what the
    // close is paid must be in cash.
    ok(m.closePosition({ account: alice }));
    expect(m.profitWindow().paid).toBe(2_223_200_000n);
    expect(m.aggregates().poolCash).toBeGreaterThanOrEqual(0n);
    ok(m.closePosition({ account: bob }));
  });

  test("an insolvent pool halts the market on a refresh and takes no deposits", () => {
    const m = testModel();
    m.warp(T0 + 12n);
    fund(m, lp, 20_000n * USD);
    ok(m.lpDeposit({ caller: lp, assets: 10_000n * USD }));
    trader(m, alice, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    setPrice(m, 2200);
    // Equity 10,016 - 2,000 below the required backing of 11,000: increases refused per action, not a mode.
    const r = m.refresh();
    expect(r.ok && r.events.map((e) => e.name)).not.toContain("ModeChanged");
    expect(m.mode).toBe(Mode.Normal);
    for (const price of [2420, 2662, 2928, 3220]) {
      setPrice(m, price);
      ok(m.refresh());
    }
    // Equity -2,184 + insurance 4 < 0: the pool cannot pay; Halted for insolvency.
    expect(m.poolEquity()).toBe(-2_184n * USD);
    expect(m.mode).toBe(Mode.Halted);
    expect(m.haltFlags).toBe(HaltFlag.Insolvent);
    expect(m.totalAssets()).toBe(0n);
    reverted(m.closePosition({ account: alice }), "MarketNotAllowed", [Action.Reduce, Mode.Halted]);
    reverted(m.lpDeposit({ caller: lp, assets: 1_000n * USD }), "ERC4626ExceededMaxDeposit", [
      lp,
      1_000n * USD,
      0n,
    ]);
    // Only the timelock loosens a halt that is not the breaker's; the next refresh halts it again.
    ok(m.setMode({ caller: addresses.owner, to: Mode.Normal }));
    expect(m.haltFlags).toBe(0);
    reverted(m.lpDeposit({ caller: lp, assets: 1_000n * USD }), "ERC4626ExceededMaxDeposit");
    expect([m.mode, m.haltFlags]).toEqual([Mode.Normal, 0]); // the revert rolled the refresh back too
    ok(m.refresh());
    expect([m.mode, m.haltFlags]).toEqual([Mode.Halted, HaltFlag.Insolvent]);
  });

  test("token errors: solady's own on the market, OpenZeppelin's bubbled through the pool", () => {
    const m = withPool();
    ageShares(m);
    reverted(m.deposit({ account: carol, amount: 1n }), "TransferFromFailed", []);
    reverted(m.fundInsurance({ from: carol, amount: 1n }), "TransferFromFailed", []);
    reverted(m.lpDeposit({ caller: carol, assets: 1n }), "ERC20InsufficientAllowance", [
      addresses.pool,
      0n,
      1n,
    ]);
    ok(m.approve({ owner: carol, spender: addresses.pool, amount: 5n }));
    reverted(m.lpDeposit({ caller: carol, assets: 1n }), "ERC20InsufficientBalance", [carol, 0n, 1n]);
    reverted(m.lpRedeem({ caller: carol, shares: 10n ** 6n, owner: lp }), "ERC20InsufficientAllowance", [
      carol,
      0n,
      10n ** 6n,
    ]);
    reverted(m.lpWithdraw({ caller: lp, assets: 1_000_001n * USD }), "ERC4626ExceededMaxWithdraw");
    reverted(m.lpRedeem({ caller: lp, shares: 10n ** 18n + 1n }), "ERC4626ExceededMaxRedeem");
  });

  test("absurd sizes are refused before any arithmetic; overflow elsewhere panics", () => {
    const m = withPool({ risk: { maxOpenInterest: 10n * UNIT } });
    trader(m, alice, 10_000n * USD);
    reverted(m.modifyPosition({ account: alice, sizeDelta: 1n << 250n }), "MarketOpenInterestCap", [
      1n << 250n,
      10n * UNIT,
    ]);
    // Up to twice the cap passes the early check and meets the cap itself.
    reverted(m.modifyPosition({ account: alice, sizeDelta: -20n * UNIT }), "MarketOpenInterestCap", [
      20n * UNIT,
      10n * UNIT,
    ]);
    reverted(m.mint({ to: alice, amount: (1n << 256n) - 1n }), "Panic", [0x11n]); // the token's supply
  });

  test("governance: owner only, validated, at most a factor of two per change", () => {
    const m = withPool();
    const risk = m.riskParams();
    reverted(m.setRiskParams({ caller: alice, params: risk }), "OwnableUnauthorizedAccount", [alice]);
    reverted(
      m.setRiskParams({ caller: addresses.owner, params: { ...risk, skewScale: 0n } }),
      "MarketStepTooLarge",
    );
    // The fee's first step is 0.1%: from the default to zero and back, but never from zero to 5% at once.
    const free = { ...risk, tradingFee: 0n };
    ok(m.setRiskParams({ caller: addresses.owner, params: free }));
    reverted(
      m.setRiskParams({ caller: addresses.owner, params: { ...free, tradingFee: 5n * 10n ** 16n } }),
      "MarketStepTooLarge",
    );
    ok(m.setRiskParams({ caller: addresses.owner, params: risk }));
    reverted(
      m.setRiskParams({
        caller: addresses.owner,
        params: { ...risk, tradingFee: 2n * risk.tradingFee + 1n },
      }),
      "MarketStepTooLarge",
    );
    ok(m.setRiskParams({ caller: addresses.owner, params: { ...risk, tradingFee: 2n * risk.tradingFee } }));
    reverted(
      m.setRiskParams({ caller: addresses.owner, params: { ...risk, tradingFee: risk.tradingFee / 2n } }),
      "MarketStepTooLarge", // a quarter of the current fee
    );
    ok(m.setRiskParams({ caller: addresses.owner, params: { ...risk, tradingFee: risk.tradingFee } }));
    const high = withPool({ risk: { tradingFee: 4n * 10n ** 16n } });
    reverted(
      high.setRiskParams({
        caller: addresses.owner,
        params: { ...high.riskParams(), tradingFee: 6n * 10n ** 16n },
      }),
      "MarketBadParams",
    );
    const params = m.state.oracle.params;
    reverted(m.setOracleParams({ caller: alice, params }), "OwnableUnauthorizedAccount", [alice]);
    reverted(
      m.setOracleParams({ caller: addresses.owner, params: { ...params, mmFloor: params.imFloor } }),
      "OracleGuardBadParams",
    );
    reverted(
      m.setOracleParams({ caller: addresses.owner, params: { ...params, maxAge: 3 * params.maxAge } }),
      "OracleGuardStepTooLarge",
    );
    // Every parameter is stepped, the timing ones included.
    reverted(
      m.setOracleParams({ caller: addresses.owner, params: { ...params, jumpResetAfter: 10 * 3600 } }),
      "OracleGuardStepTooLarge",
    );
    ok(m.setOracleParams({ caller: addresses.owner, params: { ...params, jumpResetAfter: 2 * 3600 } }));
  });
});

describe("modes", () => {
  test("the permission table, every cell", () => {
    const table: Record<number, boolean[]> = {
      // Deposit, Withdraw, Increase, Reduce, Liquidate, LpDeposit, LpWithdraw
      [Mode.Normal]: [true, true, true, true, true, true, true],
      [Mode.Cautious]: [true, true, true, true, true, true, true],
      [Mode.ReduceOnly]: [true, true, false, true, true, false, true],
      [Mode.Halted]: [true, false, false, false, false, false, false],
      [Mode.Settlement]: [false, false, false, false, false, false, false],
    };
    for (const [mode, row] of Object.entries(table)) {
      for (const action of Object.values(Action)) {
        expect(allows(Number(mode) as Mode, action), `mode ${mode} action ${action}`).toBe(row[action]);
      }
    }
  });

  test("Halted: deposits and flat withdrawals only; ERC-4626 limits go to zero", () => {
    const m = withPool();
    trader(m, alice, 10_000n * USD);
    trader(m, carol, 1_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: UNIT }));
    m.state.market.mode = Mode.Halted;
    ok(m.deposit({ account: alice, amount: 1n }));
    ok(m.withdraw({ account: carol, amount: 1_000n * USD }));
    reverted(m.withdraw({ account: alice, amount: 1n }), "MarketNotAllowed", [Action.Withdraw, Mode.Halted]);
    reverted(m.modifyPosition({ account: alice, sizeDelta: UNIT }), "MarketNotAllowed", [
      Action.Increase,
      Mode.Halted,
    ]);
    reverted(m.closePosition({ account: alice }), "MarketNotAllowed", [Action.Reduce, Mode.Halted]);
    reverted(m.liquidate({ account: alice, liquidator: keeper }), "MarketNotAllowed", [
      Action.Liquidate,
      Mode.Halted,
    ]);
    reverted(m.lpDeposit({ caller: lp, assets: 1n }), "ERC4626ExceededMaxDeposit", [lp, 1n, 0n]);
    reverted(m.lpMint({ caller: lp, shares: 1n }), "ERC4626ExceededMaxMint", [lp, 1n, 0n]);
    reverted(m.lpWithdraw({ caller: lp, assets: 1n }), "ERC4626ExceededMaxWithdraw", [lp, 1n, 0n]);
    expect(m.poolWithdrawable()).toBe(0n);
  });

  test("ReduceOnly: reduce yes, increase and LP deposit no", () => {
    const m = withPool();
    ageShares(m);
    trader(m, alice, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 2n * UNIT }));
    m.state.market.mode = Mode.ReduceOnly;
    reverted(m.modifyPosition({ account: alice, sizeDelta: UNIT }), "MarketNotAllowed", [
      Action.Increase,
      Mode.ReduceOnly,
    ]);
    reverted(m.modifyPosition({ account: alice, sizeDelta: -3n * UNIT }), "MarketNotAllowed", [
      Action.Increase, // a flip through zero is an increase
      Mode.ReduceOnly,
    ]);
    ok(m.modifyPosition({ account: alice, sizeDelta: -UNIT }));
    reverted(m.lpDeposit({ caller: lp, assets: 1n }), "ERC4626ExceededMaxDeposit");
    ok(m.lpWithdraw({ caller: lp, assets: 1n * USD }));
  });
});

/** Funding `account` owes now (positive) or is owed (negative), as `_settleFunding` computes it. */
function fundingOwed(m: MarketModel, account: `0x${string}`): bigint {
  const a = m.accountOf(account);
  return ceilDiv(a.size * (m.currentFundingIndex() - a.fundingIndex), m.state.market.valueDivisor);
}

// The first version of the protocol tripped TokenConservation (and halted for good) in both cases below:
// `_settleFunding` credited pool cash, or a margin, with funding the other side could not pay.
describe("funding debts and receivables", () => {
  test("a deposit cannot paper over funding owed beyond the margin; the liquidator recognises it", () => {
    const m = withPool();
    trader(m, alice, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    trader(m, dave, 2_100n * USD);
    ok(m.modifyPosition({ account: dave, sizeDelta: 10n * UNIT })); // margin 2,080
    setPrice(m, 1850);
    ok(m.refresh());
    setPrice(m, 1700);
    // A reduce that realises almost all the margin: allowed (margin stays >= 0), leaves dave underwater.
    ok(m.modifyPosition({ account: dave, sizeDelta: nearZeroMarginReduce(m, dave) }));
    const margin = m.accountOf(dave).margin;
    expect(margin >= 0n && margin < 100n).toBe(true);
    m.warp(m.now + 60n);
    const owed = fundingOwed(m, dave);
    expect(owed > margin + 1n).toBe(true);

    reverted(m.deposit({ account: dave, amount: 1n }), "MarketAccountInsolvent", [margin + 1n - owed]);
    const r = m.liquidate({ account: dave, liquidator: keeper });
    const effects = ok(r);
    // The close realises first, then the funding settles, then the waterfall takes the deficit.
    expect(r.ok && r.events.map((e) => e.name).slice(0, 3)).toEqual([
      "FundingSettled",
      "BadDebt",
      "ModeChanged",
    ]);
    expect(r.ok && r.events.find((e) => e.name === "FundingSettled")?.args.owed).toBe(owed);
    expect(effects.badDebt?.deficit).toBeGreaterThan(owed - margin - 1n);
    expect(m.accountOf(dave)).toEqual({
      margin: 0n,
      size: 0n,
      openNotional: 0n,
      fundingIndex: m.aggregates().fundingIndex,
    });
    // Insurance (fees only) covered part of it, below its floor (Cautious); the rest was socialised.
    expect(m.mode).toBe(Mode.ReduceOnly);
  });

  test("a receivable the pool cannot pay yet is deferred by deposits and withdrawals, refused to trades", () => {
    // No LPs (no backing required): the pool's only cash is its share of the fees.
    const m = testModel({ risk: { minBacking: 0n, maxFundingRate: 10n ** 14n, skewScale: 5n * UNIT } });
    m.warp(T0 + 12n);
    trader(m, alice, 10_000n * USD);
    trader(m, bob, 1_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    ok(m.modifyPosition({ account: bob, sizeDelta: -1n * UNIT }));
    m.warp(m.now + 100n); // bob is owed 0.2 USD a second, alice owes ten times that
    setPrice(m, 2000);
    const cash = m.aggregates().poolCash;
    const owedToBob = -fundingOwed(m, bob);
    expect(owedToBob > cash).toBe(true);

    const before = m.accountOf(bob);
    const r = m.deposit({ account: bob, amount: 1n * USD });
    // A deposit reads no feed: the new round waits for a call that needs the price.
    expect(r.ok && !r.tripped && r.events.map((e) => e.name)).toEqual(["Deposited"]);
    expect(m.accountOf(bob)).toEqual({ ...before, margin: before.margin + 1n * USD }); // same index
    ok(m.withdraw({ account: bob, amount: 1n * USD }));
    expect(m.accountOf(bob)).toEqual(before);
    reverted(m.modifyPosition({ account: bob, sizeDelta: UNIT / 2n }), "MarketPoolCannotPay", [
      -fundingOwed(m, bob),
      cash,
    ]);
    // Alice's payable fills the pool; bob is paid on his next touch.
    ok(m.deposit({ account: alice, amount: 1n }));
    const owed = fundingOwed(m, bob);
    const paid = m.deposit({ account: bob, amount: 1n });
    expect(paid.ok && paid.events.find((e) => e.name === "FundingSettled")?.args).toEqual({
      account: bob.toLowerCase(),
      owed,
    });
    expect(m.accountOf(bob).margin).toBe(before.margin + 1n - owed);
  });
});

describe("LP exits", () => {
  test("the profit cap's floor keeps room only for winners still owed", () => {
    expect(profitCapFloor(0n, 1_000n * USD)).toBe(0n);
    expect(profitCapFloor(1n, 1_000n * USD)).toBe(10n * (1_000n * USD + 1n));
    // A winner paid this window, then a flat book: the pool's whole cash may leave it.
    const m = testModel();
    m.warp(T0 + 12n);
    fund(m, lp, 100_000n * USD);
    ok(m.lpDeposit({ caller: lp, assets: 100_000n * USD }));
    trader(m, alice, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    setPrice(m, 2100);
    ok(m.refresh());
    m.warp(m.now + 300n); // the stable price follows the step (TradePricing)
    ok(m.closePosition({ account: alice }));
    expect(m.profitWindow().paid).toBeGreaterThan(0n);
    expect(m.poolWithdrawable()).toBe(m.aggregates().poolCash);
  });

  test("keep a cash reserve of the required backing, and at most 25% of equity leaves per day", () => {
    const m = testModel();
    m.warp(T0 + 12n);
    fund(m, lp, 40_000n * USD);
    ok(m.lpDeposit({ caller: lp, assets: 20_000n * USD }));
    ageShares(m);
    trader(m, alice, 10_000n * USD);
    trader(m, bob, 1_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 10n * UNIT }));
    ok(m.modifyPosition({ account: bob, sizeDelta: -1n * UNIT }));
    for (const price of [1800, 1620, 1458, 1313, 1200]) {
      setPrice(m, price);
      ok(m.refresh());
    }
    // Traders' unrealised losses count as equity, but what leaves must leave the backing in cash.
    const cash = m.aggregates().poolCash;
    const required = 5_400n * USD; // 50% of 9 units at 1,200
    expect(m.poolEquity() - required > cash - required).toBe(true);
    // ... and what the pool owes in cash: bob's short 1 from 2,000 to 1,200 is 800 up (the longs' side is down).
    const owed = 800n * USD;
    expect(m.poolWithdrawable()).toBe(cash - required - owed);
    expect(m.maxWithdraw(lp)).toBe(cash - required - owed); // the LP's own deposit made room in this window
    // A day later, the limiter: a quarter of the equity the new window starts with.
    m.warp(m.now + 86_400n);
    setPrice(m, 1200);
    const room = (m.totalAssets() * 25n) / 100n;
    expect(room < cash - required - owed).toBe(true);
    expect(m.outflowAvailable()).toBe(room);
    expect(m.maxWithdraw(lp)).toBe(room);
    expect(m.marketView().poolWithdrawable).toBe(room);
    ok(m.lpWithdraw({ caller: lp, assets: room }));
    expect(m.outflowAvailable()).toBe(0n);
    reverted(m.lpWithdraw({ caller: lp, assets: 1n }), "ERC4626ExceededMaxWithdraw", [lp, 1n, 0n]);
    // A deposit in the same window makes room for as much again; a new window starts from the equity.
    ok(m.lpDeposit({ caller: lp, assets: 1_000n * USD }));
    expect(m.outflowAvailable()).toBe(1_000n * USD);
    m.warp(m.now + 86_400n);
    setPrice(m, 1200);
    ok(m.refresh());
    expect(m.outflowAvailable()).toBe((m.totalAssets() * 25n) / 100n);
    // Unchanged until the next LP action rolls it.
    expect([m.state.pool.windowIn, m.state.pool.windowOut]).toEqual([1_000n * USD, room]);
  });
});

describe("LP economics (issue 10)", () => {
  test("capital that comes back across a window boundary leaves the honest LP's room (M-03)", () => {
    const m = withPool(); // lp: 1,000,000 at the window's start
    const hold = BigInt(m.state.oracle.params.maxAge);
    for (let day = 0; day < 3; day++) {
      const value = m.previewRedeem(m.sharesOf(lp));
      m.warp(m.now + 86_400n - hold);
      setPrice(m, 2000);
      fund(m, eve, m.totalAssets() / 3n);
      const { shares } = ok(m.lpDeposit({ caller: eve, assets: m.totalAssets() / 3n }));
      reverted(m.lpRedeem({ caller: eve, shares }), "ERC4626ExceededMaxRedeem", [eve, shares, 0n]);
      m.warp(m.now + hold);
      setPrice(m, 2000);
      ok(m.lpRedeem({ caller: eve, shares }));
      // 25% of the honest capital, less 0.75 of the hour (1/24 of a window) the attacker's third aged into the base.
      const max = m.maxWithdraw(lp);
      expect(max >= value / 4n - value / 96n - USD).toBe(true);
      expect(max <= value / 4n).toBe(true);
      ok(m.lpWithdraw({ caller: lp, assets: max }));
    }
  });

  test("minted shares are locked for the heartbeat; a top-up locks only the new ones (M-04)", () => {
    const m = withPool();
    const hold = BigInt(m.state.oracle.params.maxAge);
    expect(m.minHoldingPeriod()).toBe(hold);
    expect(m.maxRedeem(lp)).toBe(0n);
    reverted(m.lpTransfer({ from: lp, to: eve, shares: 1n }), "PoolSharesLocked", [
      lp,
      m.sharesOf(lp),
      T0 + 12n + hold,
    ]);
    ageShares(m);
    const old = m.sharesOf(lp);
    const { shares } = ok(m.lpDeposit({ caller: lp, assets: 1_000n * USD }));
    expect(m.lockedShares(lp)).toEqual({ shares, until: m.now + hold });
    ok(m.lpTransfer({ from: lp, to: eve, shares: old }));
    reverted(m.lpTransfer({ from: lp, to: eve, shares: 1n }), "PoolSharesLocked", [lp, shares, m.now + hold]);
    expect(m.maxRedeem(lp)).toBe(0n);
    m.warp(m.now + hold);
    expect(m.lockedShares(lp)).toEqual({ shares: 0n, until: 0n });
  });

  test("a late deposit met by an old LP's exit in the same block carries no room into the next window", () => {
    const m = withPool();
    m.warp(m.now + 86_400n - 12n);
    setPrice(m, 2000);
    fund(m, eve, 200_000n * USD);
    const { shares } = ok(m.lpDeposit({ caller: eve, assets: 200_000n * USD }));
    reverted(m.lpRedeem({ caller: eve, shares }), "ERC4626ExceededMaxRedeem", [eve, shares, 0n]);
    ok(m.lpWithdraw({ caller: lp, assets: 200_000n * USD }));
    m.warp(m.now + 12n);
    setPrice(m, 2000);
    expect(m.outflowAvailable()).toBe(m.totalAssets() / 4n);
  });

  test("previews and max* agree with the actions with a round pending (ERC-4626)", () => {
    for (const price of [1900, 2100]) {
      const m = withPool();
      trader(m, alice, 100_000n * USD);
      ok(m.modifyPosition({ account: alice, sizeDelta: 400n * UNIT }));
      m.warp(m.now + 3_600n);
      setPrice(m, price);
      expect(m.totalAssets()).not.toBe(m.poolEquity()); // the pending round moves the price
      const preview = m.previewRedeem(m.sharesOf(lp) / 10n);
      const max = m.maxWithdraw(lp);
      expect(ok(m.lpRedeem({ caller: lp, shares: m.sharesOf(lp) / 10n })).assets).toBe(preview);
      expect(max > 0n).toBe(true);
    }
  });

  test("maxDeposit is 0 when the reading is not Valid", () => {
    const m = withPool();
    m.warp(m.now + 3_601n);
    expect(m.maxDeposit()).toBe(0n);
    setPrice(m, 2000);
    expect(m.maxDeposit() > 0n).toBe(true);
  });
});

describe("settleLoss (mark to market of a loser)", () => {
  test("moves a loser's loss into the pool's cash, its equity unchanged; refuses a winner and a flat account", () => {
    const m = withPool();
    trader(m, alice, 10_000n * USD);
    trader(m, bob, 10_000n * USD);
    ok(m.modifyPosition({ account: alice, sizeDelta: 5n * UNIT }));
    ok(m.modifyPosition({ account: bob, sizeDelta: -5n * UNIT }));
    m.warp(m.now + 60n);
    setPrice(m, 2100);
    ok(m.refresh());
    const equityBefore = m.accountHealth(bob).equity;
    const cashBefore = m.state.market.agg.poolCash;

    ok(m.settleLoss({ account: bob }));
    expect(m.accountHealth(bob).equity).toBe(equityBefore);
    expect(m.state.market.agg.poolCash - cashBefore).toBe(500n * USD); // 5 units x 100
    expect(m.accountOf(bob).openNotional).toBe(-10_500n * USD);

    reverted(m.settleLoss({ account: bob }), "MarketNoLossToSettle");
    reverted(m.settleLoss({ account: alice }), "MarketNoLossToSettle");
    reverted(m.settleLoss({ account: carol }), "MarketNoLossToSettle");
  });
});
