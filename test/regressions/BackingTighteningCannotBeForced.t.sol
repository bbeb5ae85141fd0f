// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";

/// @notice M-02 (review of 632d01d): four trades in one transaction that net to nothing (A +300, B -600, A +300,
///         B closes, A closes) left the market in a ReduceOnly only the timelock could lift: the backing check
///         covered only trades that grew the trader's own size, and the tightening was sticky while refusing the LP
///         deposits that restore the backing. Property: a tightening caused by a state condition (pool below
///         backing) cannot be forced by trades that net to nothing, lifts itself when the condition clears, and
///         LP deposits are allowed while it holds.
contract BackingTighteningCannotBeForcedTest is SafetyBaseTest {
    address internal a = makeAddr("netterA");
    address internal b = makeAddr("netterB");

    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 400_000e6);
        _depositMargin(a, 200_000e6);
        _depositMargin(b, 200_000e6);
    }

    function test_tradesThatNetToNothing_leaveTheModeAlone() public {
        _open(a, 300e18);
        _open(b, -600e18);
        _open(a, 300e18);
        vm.prank(b);
        market.closePosition(0); // the pool is now short 600: below its backing
        vm.prank(a);
        market.closePosition(0);
        assertEq(market.aggregates().netSize, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "no sticky ReduceOnly");
    }

    function test_belowBacking_increasesRefused_lpDepositsAllowed_liftsItself() public {
        _open(a, 300e18);
        _open(b, -600e18);
        _open(a, 300e18);
        vm.prank(b);
        market.closePosition(0);
        // Below backing: growing the pool's exposure is refused for its own reason, not by a mode.
        vm.expectPartialRevert(IMarket.MarketInsufficientBacking.selector);
        _open(a, 10e18);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        // LP deposits restore the backing, and then the same increase goes through.
        _lpDeposit(carol, 400_000e6);
        _open(a, 10e18);
        assertEq(market.accountOf(a).size, 610e18);
    }
}
