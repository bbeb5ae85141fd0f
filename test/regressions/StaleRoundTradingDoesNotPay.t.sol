// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Issue 9 property 5 and issue 10 (oracle front-running): trading on a stale-but-valid or foreseeable round
///         does not pay more than a stated bound. Trades execute atomically at the latest accepted round, so a trader
///         who sees the next round coming trades against the pool at the stale price. The bound: a risk-increasing
///         trade executes only at a round at most 5 minutes old (TradePricing.MAX_TRADE_AGE), and pays at least 0.5 %
///         (TradePricing.COVERED_MOVE, the feed's deviation threshold) of its notional, so a position opened before a
///         round it saw coming and closed after it nets at most max(0, |move| - 0.5 %) of its notional.
///         Found as test/corpus/front-run-edge.json and the Black Thursday incident (a short on a 55-minute-old round).
contract StaleRoundTradingDoesNotPayTest is IntegrationBase {
    address internal attacker = makeAddr("attacker");

    function setUp() public override {
        super.setUp();
        _noFunding();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(attacker, 20_000e6);
    }

    /// @dev Opens `size` at the current round, lets the round `answer` land 12 s later, closes, and returns the net
    ///      result (margin after minus margin before: PnL less both fees).
    function _aroundRound(int256 size, int256 answer) internal returns (int256 net) {
        int256 before = market.accountOf(attacker).margin;
        _open(attacker, size);
        _step(answer, 12);
        vm.prank(attacker);
        market.closePosition(0);
        net = market.accountOf(attacker).margin - before;
    }

    /// @notice A round at the deviation threshold (+0.5 %) seen coming: 1x long of 20,000 before it, closed after.
    ///         It earned 100 - 20 - 20.1 = +59.9 when the open paid the 0.1 % trading fee; it now pays 100 on the
    ///         open and nets -20.1.
    function test_foreseenDeviationRoundDoesNotPay() public {
        int256 net = _aroundRound(10e18, 2010e8);
        assertLe(net, 0, "a round at the deviation threshold does not pay the front-runner");
    }

    /// @notice A larger round (+5 %, a gap) pays only the part of the move beyond 0.5 %: at most 900 of 20,000.
    ///         Before: 1,000 - 20 - 21 = 959; now 1,000 - 100 - 21 = 879.
    function test_foreseenLargeRoundPaysOnlyBeyondTheCoveredMove() public {
        int256 net = _aroundRound(10e18, 2100e8);
        assertLe(net, 1000e6 - 100e6, "at most (move - 0.5 %) of notional");
    }

    /// @notice Short side, same bound: -5 % round, 1x short of 20,000.
    function test_foreseenDropPaysOnlyBeyondTheCoveredMove() public {
        int256 net = _aroundRound(-10e18, 1900e8);
        assertLe(net, 1000e6 - 100e6, "at most (move - 0.5 %) of notional");
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
