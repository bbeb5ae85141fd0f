// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Regression for M-03 (issue 10): the LP outflow limiter could be monopolised across a window boundary. A
///         deposit in the last block of a window was added to the next window's base but counted as an inflow only
///         in the old one, so redeemed in the next block it used the new window's whole room: a third of pool equity
///         deposited 12 s before the window ended left the honest LP with maxWithdraw = 0, day after day, at no
///         cost. Property: capital that comes back within a short time cannot consume honest LPs' outflow room,
///         across window boundaries too — a deposit is young in proportion to how late in its window it came, and
///         young capital is carried into the next window as room of its own instead of joining the base.
contract ReturningCapitalCannotTakeOutflowRoomTest is IntegrationBase {
    address internal attacker = makeAddr("attacker");

    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 300_000e6); // opens the first window
    }

    /// @dev The attacker deposits a third of the pool as late in the window as it can and still redeem in the first
    ///      block of the next one: the holding period (an hour) before the window ends.
    function _depositAcrossTheBoundary() internal returns (uint256 back) {
        uint256 hold = pool.minHoldingPeriod();
        vm.warp(block.timestamp + 1 days - hold);
        _setPrice(2000e8);
        uint256 shares = _lpDeposit(attacker, pool.totalAssets() / 3);
        vm.warp(block.timestamp + hold);
        _setPrice(2000e8);
        vm.prank(attacker);
        back = pool.redeem(shares, attacker, attacker);
    }

    function test_capitalThatComesBackAcrossAWindowBoundary_leavesTheHonestLpsRoom() public {
        _depositAcrossTheBoundary();
        // The honest LP still has most of the 25% of its own 300,000 that the window grants: the attacker's hour in
        // the pool (the holding period: it cannot leave sooner) ages 1/24 of its deposit into the base, which costs
        // the others 0.75 x 100,000 / 24 = 3,125 (was: all of it, maxWithdraw 0, with a 12 s round trip).
        uint256 max = pool.maxWithdraw(lp);
        assertGe(max, 75_000e6 - 3126e6, "the returning capital took the honest LP's room");
        assertLe(max, 75_000e6, "the limiter grants more than 25% of the honest capital");
        vm.prank(lp);
        pool.withdraw(max, lp, lp);
    }

    function test_dayAfterDay_theHonestLpKeepsItsRoom() public {
        for (uint256 day; day < 4; ++day) {
            uint256 value = _lpValue(lp);
            _depositAcrossTheBoundary();
            uint256 max = pool.maxWithdraw(lp);
            // The attacker's third, an hour old: 0.75 x value / 3 / 24 = value / 96 of the room.
            assertGe(max, value / 4 - value / 96 - 1e6, "day after day, the attacker monopolises the room");
            vm.prank(lp);
            pool.withdraw(max, lp, lp);
        }
    }

    /// @dev The carried room is the young capital's only: nothing extra for anyone when it stays.
    function test_youngCapitalThatStays_addsNoRoomBeyondItsOwn() public {
        vm.warp(block.timestamp + 1 days - 12);
        _setPrice(2000e8);
        _lpDeposit(attacker, 100_000e6);
        vm.warp(block.timestamp + 12);
        _setPrice(2000e8);
        // 25% of the old capital plus the young capital itself (both 12 s short of exact).
        uint256 room = pool.outflowAvailable();
        assertApproxEqAbs(room, 75_000e6 + 100_000e6, 20e6);
        // A window later it is old capital: the next window's room is 25% of everything.
        vm.warp(block.timestamp + 1 days);
        _setPrice(2000e8);
        assertEq(pool.outflowAvailable(), pool.totalAssets() / 4);
    }

    /// @dev Capital that stays a whole window counts as anyone's: the bound the README states.
    function test_capitalHeldAWholeWindow_joinsTheBase() public {
        vm.warp(block.timestamp + 1 days);
        _setPrice(2000e8);
        uint256 shares = _lpDeposit(attacker, 100_000e6); // at the start of a window
        vm.warp(block.timestamp + 1 days);
        _setPrice(2000e8);
        assertEq(pool.outflowAvailable(), 100_000e6, "25% of 400,000");
        vm.prank(attacker);
        pool.redeem(shares, attacker, attacker);
        assertLe(pool.maxWithdraw(lp), 1, "the room was the pool's, and the attacker used it");
    }
}
