// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {OracleClass} from "../../src/interfaces/IOracleGuard.sol";
import {MarketSafety} from "../../src/libraries/MarketSafety.sol";
import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";

/// @notice Found by the fuzzer (test/corpus/halt-shield-while-pinned-at-the-clamp.json, `oracle` seed 707): a
///         liquidation on a reading the guard does not trust runs at the side of (reading, last good price) kinder
///         to the account, and a primary pinned at the aggregator's minimum is kinder to a short. So a short
///         unhealthy at the last good price stayed unliquidatable for as long as the feed stayed pinned — under a
///         breaker halt, past the 6 hours a halt anyone can cause may keep an account from the liquidators, while
///         bad debt could grow behind it. Property: an untrusted reading shields an account for at most
///         MarketSafety.UNTRUSTED_SHIELD after the last good round; then liquidations judge at the last good price.
contract UntrustedReadingShieldsForABoundedTimeTest is SafetyBaseTest {
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 2500e6);
        _open(alice, -10e18); // short 10 at 2,000 with 2,500: liquidatable above about 2,180
        _depositMargin(bob, 10_000e6);
        _stepTo(2230e8); // accepted rounds: unhealthy at the last good price
        (int256 equity,, uint256 maintenance,) = market.accountHealth(alice);
        assertLt(equity, int256(maintenance), "unhealthy at the last good price");
        // The primary is pinned at its minimum answer; an honest trader's increase reads it: the breaker trips.
        vm.warp(block.timestamp + 60);
        feed.setAnswer(Defaults.MIN_ANSWER);
        assertEq(uint8(guard.peek().class), uint8(OracleClass.AtBounds), "pinned at the clamp");
        vm.prank(bob);
        market.modifyPosition(1e18, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "tripped");
    }

    function test_thePinnedReadingShieldsTheShort_onlyUntilTheBound() public {
        (, uint256 lastGoodAt) = guard.lastGoodPrice();
        vm.warp(lastGoodAt + MarketSafety.UNTRUSTED_SHIELD);
        vm.prank(keeper);
        vm.expectPartialRevert(IMarket.MarketNotLiquidatable.selector);
        market.liquidate(alice); // the clamp (1) is kinder to the short, and the bound has not passed

        vm.warp(block.timestamp + 1);
        vm.prank(keeper);
        market.liquidate(alice);
        assertEq(market.accountOf(alice).size, 0, "liquidated at the last good price");
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "still halted: the reading is not trusted");
    }
}
