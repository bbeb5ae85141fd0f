// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Aggregates, IMarket, MarginAccount, RiskParams} from "../../../src/interfaces/IMarket.sol";
import {UnitTest} from "../../utils/UnitTest.sol";

/// @dev Funding is off so that PnL over time is exact; at 2,000 a unit, 10 units are 20,000 of notional and
///      the 10 bps fee on them is 20 (4 to insurance, 16 to the pool).
contract MarketTradingTest is UnitTest {
    function setUp() public override {
        super.setUp();
        _noFunding();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 10_000e6);
    }

    /* OPEN */

    function test_open_long_booksCostBasisFeeAndAggregates() public {
        vm.expectEmit(address(market));
        emit IMarket.PositionModified(alice, 10e18, 2000e18, 0, 20e6, 10e18);
        _open(alice, 10e18);
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.size, 10e18);
        assertEq(a.openNotional, 20_000e6);
        assertEq(a.margin, 9980e6);
        Aggregates memory g = market.aggregates();
        assertEq(g.longOpenInterest, 10e18);
        assertEq(g.shortOpenInterest, 0);
        assertEq(g.netSize, 10e18);
        assertEq(g.netOpenNotional, 20_000e6);
        assertEq(g.insurance, 4e6); // 20% of the fee
        assertEq(g.poolCash, 100_016e6); // the other 80%
        assertEq(g.totalMargin, 9980e6);
    }

    function test_open_short_booksNegativeCostBasis() public {
        _open(alice, -10e18);
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.size, -10e18);
        assertEq(a.openNotional, -20_000e6);
        assertEq(a.margin, 9980e6);
        Aggregates memory g = market.aggregates();
        assertEq(g.shortOpenInterest, 10e18);
        assertEq(g.longOpenInterest, 0);
        assertEq(g.netSize, -10e18);
        assertEq(g.netOpenNotional, -20_000e6);
    }

    function test_open_oddLongSize_roundsCostBasisAndFeeAgainstTrader() public {
        int256 third = 333_333_333_333_333_333;
        _open(alice, third);
        MarginAccount memory a = market.accountOf(alice);
        // third * 2000 = 666.666666666 collateral: the long's basis rounds up to 666.666667.
        assertEq(a.openNotional, 666_666_667);
        // Fee = ceil(666.666667 * 0.1%) = 0.666667; insurance gets floor(20%) = 0.133333, the pool the rest.
        assertEq(a.margin, 10_000e6 - 666_667);
        Aggregates memory g = market.aggregates();
        assertEq(g.insurance, 133_333);
        assertEq(g.poolCash, 100_000e6 + 533_334);
    }

    function test_open_oddShortSize_shortReceivesTheRoundedDownBasis() public {
        _open(alice, -333_333_333_333_333_333);
        // -666.666666666 rounds toward +infinity: the short is credited 666.666666, not ...667.
        assertEq(market.accountOf(alice).openNotional, -666_666_666);
    }

    function test_open_oneWei_paysOneUnitFee() public {
        _open(alice, 1);
        MarginAccount memory a = market.accountOf(alice);
        // Notional 2e-15 collateral rounds up to 1 unit; the fee on it rounds up to 1 unit, all to the pool.
        assertEq(a.openNotional, 1);
        assertEq(a.margin, 10_000e6 - 1);
        Aggregates memory g = market.aggregates();
        assertEq(g.insurance, 0);
        assertEq(g.poolCash, 100_000e6 + 1);
    }

    function test_RevertWhen_openBeyondInitialMargin() public {
        _depositMargin(bob, 1000e6);
        // 5 units: notional 10,000, IM 1,000; the 10 fee leaves equity at 990.
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, int256(990e6), 1000e6)
        );
        market.modifyPosition(5e18, 0);
    }

    /* INCREASE, REDUCE, CLOSE, FLIP */

    function test_increase_addsCostBasisAtTheNewPrice() public {
        _open(alice, 10e18);
        _stepPrice(2100e8, 1800);
        _assertMarginFloors();
        _open(alice, 5e18);
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.size, 15e18);
        assertEq(a.openNotional, 30_500e6); // 20,000 + 5 * 2,100
        assertEq(a.margin, 9980e6 - 10.5e6); // fee on 10,500
        Aggregates memory g = market.aggregates();
        assertEq(g.insurance, 4e6 + 2.1e6);
        assertEq(g.netOpenNotional, 30_500e6);
        assertEq(g.longOpenInterest, 15e18);
    }

    function test_reduce_realisesProportionalPnlOutOfPoolCash() public {
        _open(alice, 10e18);
        _stepPrice(2100e8, 1800);
        _stableFollows();
        // 4 of 10 units: basis out = 8,000, proceeds = 4 * 2,100 = 8,400, realised +400; fee 8.4.
        vm.expectEmit(address(market));
        emit IMarket.PositionModified(alice, -4e18, 2100e18, 400e6, 8.4e6, 6e18);
        _open(alice, -4e18);
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.size, 6e18);
        assertEq(a.openNotional, 12_000e6);
        assertEq(a.margin, 9980e6 + 400e6 - 8.4e6);
        Aggregates memory g = market.aggregates();
        assertEq(g.poolCash, 100_016e6 - 400e6 + 6.72e6); // pays the profit, keeps 80% of the fee
        assertEq(g.insurance, 4e6 + 1.68e6);
        assertEq(g.netOpenNotional, 12_000e6);
        assertEq(g.longOpenInterest, 6e18);
    }

    function test_close_inProfit_realisesAllPnl() public {
        _open(alice, 10e18);
        _stepPrice(2100e8, 1800);
        _stableFollows();
        vm.prank(alice);
        market.closePosition(0);
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.size, 0);
        assertEq(a.openNotional, 0);
        assertEq(a.margin, 9980e6 + 1000e6 - 21e6);
        Aggregates memory g = market.aggregates();
        assertEq(g.poolCash, 100_016e6 - 1000e6 + 16.8e6);
        assertEq(g.longOpenInterest, 0);
        assertEq(g.netSize, 0);
        assertEq(g.netOpenNotional, 0);
        // The profit leaves the market in full.
        vm.prank(alice);
        market.withdraw(10_959e6);
        assertEq(usd.balanceOf(alice), 10_959e6);
    }

    function test_close_atLoss_paysThePool() public {
        _open(alice, 10e18);
        _stepPrice(1900e8, 1800);
        vm.prank(alice);
        market.closePosition(0);
        assertEq(market.accountOf(alice).margin, 9980e6 - 1000e6 - 19e6);
        assertEq(market.aggregates().poolCash, 100_016e6 + 1000e6 + 15.2e6);
        assertEq(pool.totalAssets(), 101_031.2e6);
    }

    function test_close_short_inProfit() public {
        _open(alice, -10e18);
        _stepPrice(1900e8, 1800);
        _stableFollows();
        vm.prank(alice);
        market.closePosition(0);
        // Short 10 from 2,000 to 1,900: +1,000, fee 19.
        assertEq(market.accountOf(alice).margin, 9980e6 + 1000e6 - 19e6);
        assertEq(market.aggregates().shortOpenInterest, 0);
    }

    function test_flip_longToShort_realisesAndReopensAtThePrice() public {
        _open(alice, 10e18);
        _stepPrice(2100e8, 1800);
        _stableFollows();
        vm.expectEmit(address(market));
        emit IMarket.PositionModified(alice, -15e18, 2100e18, 1000e6, 31.5e6, -5e18);
        _open(alice, -15e18);
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.size, -5e18);
        assertEq(a.openNotional, -10_500e6);
        assertEq(a.margin, 9980e6 + 1000e6 - 31.5e6); // fee on all 15 units traded
        Aggregates memory g = market.aggregates();
        assertEq(g.longOpenInterest, 0);
        assertEq(g.shortOpenInterest, 5e18);
        assertEq(g.netSize, -5e18);
        assertEq(g.netOpenNotional, -10_500e6);
        assertEq(g.poolCash, 100_016e6 - 1000e6 + 25.2e6);
    }

    function test_reduce_belowInitialMargin_isAllowed() public {
        _depositMargin(bob, 2100e6);
        _open(bob, 10e18);
        _stepPrice(1900e8, 1800);
        _stableFollows();
        _assertMarginFloors();
        // Equity 1,080 is under IM (1,900) but over MM (950): no increase, but a reduce is fine.
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, int256(1078.1e6), 2090e6)
        );
        market.modifyPosition(1e18, 0);
        _open(bob, -5e18);
        MarginAccount memory b = market.accountOf(bob);
        assertEq(b.size, 5e18);
        assertEq(b.openNotional, 10_000e6);
        assertEq(b.margin, 2080e6 - 500e6 - 9.5e6);
    }

    function test_RevertWhen_reduceRealisesMoreLossThanMargin() public {
        _depositMargin(bob, 2100e6);
        _open(bob, 10e18);
        _stepPrice(1900e8, 1800);
        _stepPrice(1800e8, 1800);
        _stepPrice(1790e8, 1800);
        // Loss 2,100 plus the 17.9 fee against 2,080 of margin.
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketAccountInsolvent.selector, int256(-37.9e6)));
        market.closePosition(0);
    }

    /* LIMITS AND CAPS */

    function test_priceLimit_buyRevertsAboveLimitAndFillsAtIt() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketPriceLimit.selector, 2000e18, 2000e18 - 1));
        market.modifyPosition(1e18, 2000e18 - 1);
        vm.prank(alice);
        market.modifyPosition(1e18, 2000e18);
        assertEq(market.accountOf(alice).size, 1e18);
    }

    function test_priceLimit_sellRevertsBelowLimitAndFillsAtIt() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketPriceLimit.selector, 2000e18, 2000e18 + 1));
        market.modifyPosition(-1e18, 2000e18 + 1);
        vm.prank(alice);
        market.modifyPosition(-1e18, 2000e18);
        assertEq(market.accountOf(alice).size, -1e18);
    }

    function test_priceLimit_closeRespectsLimit() public {
        _open(alice, 1e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketPriceLimit.selector, 2000e18, 2001e18));
        market.closePosition(2001e18);
    }

    function test_openInterestCap_perSide() public {
        RiskParams memory r = market.riskParams(); // funding is already off
        r.maxOpenInterest = 3e18;
        _setRiskParamsInSteps(r); // 1,000 -> 3 units: in factor-two steps
        assertEq(market.riskParams().maxOpenInterest, 3e18);
        _depositMargin(bob, 10_000e6);
        _open(alice, 3e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOpenInterestCap.selector, 3e18 + 1, 3e18));
        market.modifyPosition(1, 0);
        // The long side is full; the short side has its own 3 units.
        _open(bob, -3e18);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOpenInterestCap.selector, 3e18 + 1, 3e18));
        market.modifyPosition(-1, 0);
        // Reducing frees room again.
        _open(alice, -1e18);
        _open(alice, 1e18);
        assertEq(market.aggregates().longOpenInterest, 3e18);
    }

    function test_RevertWhen_openBeyondPoolBacking() public {
        _depositMargin(alice, 20_000e6);
        // 100.2 units: net notional 200,400 needs 50% = 100,200 of pool equity; the pool has
        // 100,000 + 80% of the 200.4 fee = 100,160.32.
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMarket.MarketInsufficientBacking.selector, int256(100_160.32e6), 100_200e6
            )
        );
        market.modifyPosition(100.2e18, 0);
    }

    function test_backing_isOnNetExposure() public {
        _depositMargin(alice, 20_000e6);
        _open(alice, 100e18); // needs 100,000; the pool has 100,160
        vm.prank(alice);
        vm.expectPartialRevert(IMarket.MarketInsufficientBacking.selector);
        market.modifyPosition(1e18, 0);
        // A short on the other side takes exposure off the pool, so the long can grow again.
        _depositMargin(bob, 10_000e6);
        _open(bob, -20e18);
        _open(alice, 1e18);
        assertEq(market.aggregates().netSize, 81e18);
    }
}
