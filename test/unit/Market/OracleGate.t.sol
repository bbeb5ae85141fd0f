// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "../../../src/interfaces/AggregatorV3Interface.sol";
import {IMarket, Mode} from "../../../src/interfaces/IMarket.sol";
import {OracleClass} from "../../../src/interfaces/IOracleGuard.sol";
import {UnitTest} from "../../utils/UnitTest.sol";

/// @dev Actions that trust the price need a Valid reading and revert with the class otherwise; deposits and
///      withdrawals of an account without a position do not depend on the price.
contract MarketOracleGateTest is UnitTest {
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 2500e6);
        _open(alice, 10e18);
        _depositMargin(carol, 1000e6);
    }

    function _expectNotValid(OracleClass class) internal {
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, class));
    }

    function test_staleOracle_blocksOpenReduceWithdrawAndLiquidate() public {
        vm.warp(block.timestamp + 3601); // no round for longer than maxAge
        bytes memory before = _state();
        vm.startPrank(alice);
        _expectNotValid(OracleClass.Stale);
        market.modifyPosition(1e18, 0);
        _expectNotValid(OracleClass.Stale);
        market.modifyPosition(-1e18, 0);
        _expectNotValid(OracleClass.Stale);
        market.closePosition(0);
        _expectNotValid(OracleClass.Stale);
        market.withdraw(1e6);
        vm.stopPrank();
        vm.prank(keeper);
        _expectNotValid(OracleClass.Stale);
        market.liquidate(alice);
        assertEq(_state(), before);
    }

    function test_staleOracle_depositAndNoPositionWithdrawStillWork() public {
        vm.warp(block.timestamp + 3601);
        _depositMargin(alice, 100e6); // adding margin to a position
        _depositMargin(carol, 100e6);
        vm.prank(carol);
        market.withdraw(1100e6);
        assertEq(usd.balanceOf(carol), 1100e6);
        // Funding still accrues at the last good price: 10 units * 1e-9/s * 2,000 * 3,601 s = 0.07202 owed.
        assertEq(market.accountOf(alice).margin, 2480e6 + 100e6 - 72_020);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }

    function test_divergedOracle_blocksOpen() public {
        feed.setAnswer(2100e8); // the secondary still says 2,000: 5% apart
        vm.prank(alice);
        _expectNotValid(OracleClass.Diverged);
        market.modifyPosition(1e18, 0);
    }

    function test_tooVolatileOracle_blocksLiquidation() public {
        // Alice would be deep under water at 1,750, but a 12.5% jump is not trusted.
        _movePrice(1750e8, 60);
        vm.prank(keeper);
        _expectNotValid(OracleClass.TooVolatile);
        market.liquidate(alice);
    }

    function test_nonPositiveOracle_blocksWithdrawWithPosition() public {
        feed.setBounds(type(int256).min, type(int256).max);
        _setPrice(0);
        vm.prank(alice);
        _expectNotValid(OracleClass.NonPositive);
        market.withdraw(1e6);
    }

    function test_atBoundsOracle_blocksOpen() public {
        _setPrice(1e8);
        vm.prank(alice);
        _expectNotValid(OracleClass.AtBounds);
        market.modifyPosition(-1e18, 0);
    }

    function test_revertingPrimary_blocksOpen_depositStillWorks() public {
        vm.mockCallRevert(address(feed), abi.encodeCall(AggregatorV3Interface.latestRoundData, ()), "down");
        vm.prank(alice);
        _expectNotValid(OracleClass.Stale);
        market.modifyPosition(1e18, 0);
        _depositMargin(carol, 1e6);
        assertEq(market.accountOf(carol).margin, 1001e6);
    }

    function test_invalidOracle_blocksLpDepositAndWithdraw() public {
        vm.warp(block.timestamp + 3601);
        _fund(bob, 1000e6);
        vm.prank(bob);
        _expectNotValid(OracleClass.Stale);
        pool.deposit(1000e6, bob);
        vm.prank(lp);
        _expectNotValid(OracleClass.Stale);
        pool.withdraw(1000e6, lp, lp);
    }

    function test_validAgain_actionsResume() public {
        vm.warp(block.timestamp + 3601);
        vm.prank(alice);
        _expectNotValid(OracleClass.Stale);
        market.modifyPosition(1e18, 0);
        _setPrice(2000e8);
        _open(alice, 1e18);
        assertEq(market.accountOf(alice).size, 11e18);
    }
}
