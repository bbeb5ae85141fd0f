// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "../../../src/interfaces/AggregatorV3Interface.sol";
import {ILiquidityPool} from "../../../src/interfaces/ILiquidityPool.sol";
import {Action, Cause, IMarket, Mode} from "../../../src/interfaces/IMarket.sol";
import {OracleClass} from "../../../src/interfaces/IOracleGuard.sol";
import {HaltFlags} from "../../../src/libraries/HaltFlags.sol";
import {UnitTest} from "../../utils/UnitTest.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

/// @dev Actions that trust the price need a Valid reading. A risk-adding action (increase, withdraw with a
///      position, LP withdraw) that sees any other class trips the breaker: the action is rolled back, the trip is
///      committed (Halted, BreakerTripped, haltFlags bit 1) and the call does not revert. Reduce, close and LP
///      deposit revert with MarketOracleNotValid(class); a liquidation on a Stale, AtBounds or Diverged reading uses
///      the side of (reading, last good) kinder to the account, on TooVolatile or NonPositive it is refused.
///      Deposits and withdrawals of an account without a position do not depend on the price.
contract MarketOracleGateTest is UnitTest {
    uint8 internal constant HALT_BREAKER = HaltFlags.BREAKER;

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

    function _expectTrip(OracleClass class) internal {
        vm.expectEmit(address(market));
        emit IMarket.BreakerTripped(class, Mode.Normal);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.Halted, Cause.OracleBreaker);
    }

    function _assertTripped() internal view {
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "halted");
        assertEq(market.haltFlags(), HALT_BREAKER, "breaker flag");
        assertEq(market.haltedAt(), block.timestamp, "haltedAt");
    }

    /// @dev Alice's account and wallet as they were: the tripping action itself was rolled back.
    function _aliceFingerprint() internal view returns (bytes32) {
        return keccak256(abi.encode(market.accountOf(alice), usd.balanceOf(alice)));
    }

    function test_staleOracle_reduceAndCloseRefused_liquidationAtKinderPrice_increaseAndWithdrawRefused()
        public
    {
        vm.warp(block.timestamp + 3601); // no round for longer than maxAge
        bytes memory before = _state();
        vm.startPrank(alice);
        _expectNotValid(OracleClass.Stale);
        market.modifyPosition(-1e18, 0);
        _expectNotValid(OracleClass.Stale);
        market.closePosition(0);
        vm.stopPrank();
        // The liquidation goes ahead on the stale reading (here equal to the last good price, 2,000): alice is
        // healthy. Equity 2,480 less 3,601 s of funding (10 * 1e-9/s * 2,000 * 3,601 = 0.07202) against MM 1,000.
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketNotLiquidatable.selector, int256(2480e6 - 72_020), 1000e6)
        );
        market.liquidate(alice);
        assertEq(_state(), before);

        // A reading that is merely old refuses the risk-adding actions; it never trips the breaker.
        _expectNotValid(OracleClass.Stale);
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        _expectNotValid(OracleClass.Stale);
        vm.prank(alice);
        market.withdraw(1e6);
        assertEq(_state(), before);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
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

    function test_divergedOracle_openTrips() public {
        feed.setAnswer(2100e8); // the secondary still says 2,000: 5% apart
        bytes32 aliceBefore = _aliceFingerprint();
        _expectTrip(OracleClass.Diverged);
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        _assertTripped();
        assertEq(_aliceFingerprint(), aliceBefore);
        // Halted: even a reduce is refused now.
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotAllowed.selector, Action.Reduce, Mode.Halted));
        market.modifyPosition(-1e18, 0);
    }

    function test_tooVolatileOracle_liquidationAtTheLastGoodPrice() public {
        // Alice would be deep under water at 1,750, but an unconfirmed 12.5% jump is not trusted: she is judged at the kinder
        // side, the last good price of 2,000, where she is healthy.
        vm.warp(block.timestamp + 60);
        _setPrimaryUnconfirmed(1750e8);
        vm.prank(keeper);
        vm.expectPartialRevert(IMarket.MarketNotLiquidatable.selector);
        market.liquidate(alice);
    }

    function test_nonPositiveOracle_withdrawWithPositionTrips() public {
        feed.setBounds(type(int256).min, type(int256).max);
        _setPrice(0);
        bytes32 aliceBefore = _aliceFingerprint();
        _expectTrip(OracleClass.NonPositive);
        vm.prank(alice);
        market.withdraw(1e6);
        _assertTripped();
        assertEq(_aliceFingerprint(), aliceBefore);
    }

    function test_atBoundsOracle_refusesReduce() public {
        _setPrice(1e8);
        vm.prank(alice);
        _expectNotValid(OracleClass.AtBounds);
        market.modifyPosition(-1e18, 0); // alice is long 10: a reduce
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }

    function test_revertingPrimary_openRefused_depositStillWorks() public {
        vm.mockCallRevert(address(feed), abi.encodeCall(AggregatorV3Interface.latestRoundData, ()), "down");
        _expectNotValid(OracleClass.Stale);
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "an unreadable feed is no evidence of a bad price");
        assertEq(market.accountOf(alice).size, 10e18);
        // Adding margin does not need the price.
        _depositMargin(carol, 1e6);
        assertEq(market.accountOf(carol).margin, 1001e6);
    }

    /// @dev The pool's max* views foresee the market's refusal of a reading that is not Valid (old, or a bad new
    ///      round): both LP actions revert with ERC-4626's own errors before the market is asked (nothing returns
    ///      0, nothing trips: an LP exit is no evidence the breaker needs).
    function test_invalidOracle_lpDepositAndWithdrawRefusedByThePool() public {
        vm.warp(block.timestamp + 3601);
        _fund(bob, 1000e6);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxDeposit.selector, bob, 1000e6, 0));
        pool.deposit(1000e6, bob);

        uint256 shares = pool.balanceOf(lp);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxWithdraw.selector, lp, 1000e6, 0));
        vm.prank(lp);
        pool.withdraw(1000e6, lp, lp);

        _setPrice(2000e8);
        feed.setAnswer(1400e8); // a bad new round
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxWithdraw.selector, lp, 1000e6, 0));
        vm.prank(lp);
        pool.withdraw(1000e6, lp, lp);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        assertEq(pool.balanceOf(lp), shares, "no shares burned");
        assertEq(usd.balanceOf(lp), 0, "nothing paid");
    }

    /// @dev After a trip, trading resumes only once the breaker has reset: three new Valid rounds seen by refresh()
    ///      and 15 minutes since the trip.
    function test_validAgain_actionsResumeAfterTheBreakerResets() public {
        vm.warp(block.timestamp + 60);
        feed.setAnswer(1400e8); // a bad new round
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        _assertTripped();
        feed.setAnswer(2000e8);
        _stepPrice(2000e8, 5 minutes);
        _stepPrice(2000e8, 5 minutes);
        // Two Valid rounds, ten minutes: still Halted.
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketNotAllowed.selector, Action.Increase, Mode.Halted)
        );
        market.modifyPosition(1e18, 0);
        _movePrice(2000e8, 5 minutes);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Halted, Mode.Normal, Cause.BreakerReset);
        market.refresh();
        assertEq(market.haltFlags(), 0);
        _open(alice, 1e18);
        assertEq(market.accountOf(alice).size, 11e18);
    }
}
