// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Mode} from "../../src/interfaces/IMarket.sol";
import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";

/// @notice H-01 (review of 632d01d): any `refresh()` that saw a non-Valid reading reset the breaker's valid-reading
///         streak, even with no new round, so one call per heartbeat in the stale seconds kept a market halted until
///         anyone could settle it. Property: a breaker halt ends by itself once the feed delivers valid new rounds;
///         nothing anyone does without a bad new round can keep it halted.
contract BreakerHaltEndsByItselfTest is SafetyBaseTest {
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        // An honest trader sees a bad new round: the breaker trips.
        vm.warp(block.timestamp + 60);
        feed.setAnswer(1400e8);
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "tripped");
    }

    function test_refreshesInTheStaleSeconds_cannotKeepTheBreakerHalted() public {
        uint256 maxAge = guard.params().maxAge;
        for (uint256 i; i < 3; ++i) {
            (,,, uint256 updatedAt,) = feed.latestRoundData();
            // The heartbeat round lands a block late: the griefer refreshes in the stale seconds before it.
            vm.warp(updatedAt + maxAge + 1);
            market.refresh();
            vm.warp(updatedAt + maxAge + 12);
            _setPrice(2000e8);
            market.refresh(); // the keeper counts the valid new round
        }
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "the breaker reset itself");
    }

    function test_onlyABadNewRoundRestartsTheStreak() public {
        vm.warp(block.timestamp + 1 hours);
        _setPrice(2000e8);
        market.refresh();
        vm.warp(block.timestamp + 1 hours);
        _setPrice(2000e8);
        market.refresh();
        vm.warp(block.timestamp + 1 minutes);
        feed.setAnswer(1400e8); // a bad new round
        market.refresh();
        vm.warp(block.timestamp + 1 hours);
        _setPrice(2000e8);
        market.refresh();
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "one valid round since the bad one");
        for (uint256 i; i < 2; ++i) {
            vm.warp(block.timestamp + 1 hours);
            _setPrice(2000e8);
            market.refresh();
        }
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "three valid new rounds");
    }
}
