// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Issue 9 property 5 (the stale-but-valid half): trading on a round the market has left does not pay. Trades
///         execute atomically at the latest accepted round, and a round stays Valid for the feed's heartbeat (maxAge,
///         1 h), so while a feed lags a falling market a trader could short against the pool at the old price. The
///         bound: a risk-increasing trade executes only at a round at most TradePricing.MAX_TRADE_AGE (5 minutes) old;
///         older, it is refused (MarketTradePriceTooOld, not a breaker trip). Found as the Black Thursday incident
///         (harness/scenario/incidents: a hedged short on a 55-minute-old round made +$207k of a $2M pool).
contract StaleRoundTradingDoesNotPayTest is IntegrationBase {
    address internal attacker = makeAddr("attacker");

    function setUp() public override {
        super.setUp();
        _noFunding();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(attacker, 20_000e6);
    }

    /// @notice Black Thursday shape: the feeds lag 55 minutes (their last round is still Valid, younger than maxAge)
    ///         while the market falls 43 %; a hedged trader shorts 5x at the stale round, the feeds catch up in two
    ///         rounds, he closes. Before: +43,000 less fees. Now the short is refused (the round is older than
    ///         MAX_TRADE_AGE) and the trader takes nothing.
    function test_laggingFeedCannotBeShortedAtItsStaleRound() public {
        vm.warp(block.timestamp + 55 minutes);
        vm.prank(attacker);
        try market.modifyPosition(-50e18, 0) {} catch {}
        _step(1570e8, 60); // -21.5 %, both feeds (confirmed)
        _step(1140e8, 60); // -43 %
        if (market.accountOf(attacker).size != 0) {
            vm.prank(attacker);
            market.closePosition(0);
        }
        int256 net = market.accountOf(attacker).margin - 20_000e6;
        assertLe(net, 0, "a short on the lagging round does not pay");
    }

    /// @notice The refusal names the round's age and the limit, and is not a breaker trip: the mode stays Normal.
    ///         At exactly MAX_TRADE_AGE the trade executes.
    function test_increaseAtARoundOlderThanMaxTradeAgeIsRefused() public {
        vm.warp(block.timestamp + 5 minutes + 1);
        vm.prank(attacker);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketTradePriceTooOld.selector, 5 minutes + 1, 5 minutes)
        );
        market.modifyPosition(10e18, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "not a trip");

        _step(2000e8, 0);
        vm.warp(block.timestamp + 5 minutes);
        _open(attacker, 10e18);
        assertEq(market.accountOf(attacker).size, 10e18);
    }

    /// @notice Reducing risk needs no fresh round (only a Valid one): a holder can always cut a position, at the
    ///         trading fee.
    function test_reduceAtAnOlderRoundStillExecutes() public {
        _open(attacker, 10e18);
        vm.warp(block.timestamp + 30 minutes);
        int256 before = market.accountOf(attacker).margin;
        vm.prank(attacker);
        market.closePosition(0);
        assertEq(market.accountOf(attacker).size, 0);
        assertEq(before - market.accountOf(attacker).margin, 20e6, "the close pays the 0.1 % trading fee");
    }
}
