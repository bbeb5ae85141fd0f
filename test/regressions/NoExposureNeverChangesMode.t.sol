// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Cause, IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {OracleClass} from "../../src/interfaces/IOracleGuard.sol";
import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";

/// @notice H-01 (review of 632d01d): an empty address halted a market with `modifyPosition(1, 0)` in the seconds
///         between `updatedAt + maxAge` and a heartbeat round landing a block late, because the market read the
///         oracle before any margin check and turned every non-Valid reading on a risk-adding action into a trip.
///         Property: a caller with no exposure, or an action refused for its own reasons, never changes the mode;
///         a reading that is merely old refuses the action and never trips; a trip needs a bad new round seen by an
///         action that would otherwise have executed.
contract NoExposureNeverChangesModeTest is SafetyBaseTest {
    address internal griefer = makeAddr("griefer");

    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
    }

    /// @dev The heartbeat round is a block late: the reading is Stale by time for those seconds.
    function _inTheStaleSeconds() internal {
        (,,, uint256 updatedAt,) = feed.latestRoundData();
        vm.warp(updatedAt + guard.params().maxAge + 1);
    }

    function test_staleByTime_emptyAddressCannotHalt() public {
        _inTheStaleSeconds();
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, OracleClass.Stale));
        vm.prank(griefer);
        market.modifyPosition(1, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "still Normal");
    }

    function test_staleByTime_honestRiskAddingActionsAreRefused_notTurnedIntoTrips() public {
        _inTheStaleSeconds();
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, OracleClass.Stale));
        vm.prank(alice);
        market.withdraw(100e6); // a margin withdrawal with a position
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, OracleClass.Stale));
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "still Normal");
    }

    function test_badNewRound_callerWithNoMargin_refusedForItsOwnReason() public {
        vm.warp(block.timestamp + 60);
        _setPrimaryUnconfirmed(1400e8); // -30% and unconfirmed: TooVolatile, a new round
        vm.expectRevert(); // its own margin check, at the last good price
        vm.prank(griefer);
        market.modifyPosition(1e18, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "still Normal");
    }

    function test_badNewRound_actionThatWouldHaveExecuted_trips() public {
        vm.warp(block.timestamp + 60);
        _setPrimaryUnconfirmed(1400e8);
        vm.expectEmit(address(market));
        emit IMarket.BreakerTripped(OracleClass.TooVolatile, Mode.Normal);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.Halted, Cause.OracleBreaker);
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "tripped");
        assertEq(market.accountOf(alice).size, 10e18, "the action itself was rolled back");
    }
}
