// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../../script/Defaults.sol";
import {ILiquidityPool} from "../../../src/interfaces/ILiquidityPool.sol";
import {Cause, IMarket, Mode, SafetyParams} from "../../../src/interfaces/IMarket.sol";
import {OracleClass} from "../../../src/interfaces/IOracleGuard.sol";
import {SafetyBaseTest} from "../../utils/SafetyBaseTest.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

/// @notice The oracle breaker: a bad new round (NonPositive, AtBounds, Diverged, TooVolatile) seen by a risk-adding
///         action (increase, withdraw with a position, LP withdraw) that passed its own checks commits a trip to
///         Halted instead of reverting; a reading that is merely old is refused. refresh() resets it after
///         breakerValidReadings Valid new rounds (only a bad new round restarts the count) and breakerCooldown, back
///         to the mode it tripped from, unless another halt cause holds. Liquidations on any reading the sequencer
///         does not void use the side of (reading, last good) kinder to the account; they never trip.
contract BreakerTest is SafetyBaseTest {
    uint256 internal t0;

    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _fund(carol, 10_000e6);
        t0 = block.timestamp;
    }

    /* TRIPS */

    function _expectTrip(OracleClass class, Mode from) internal {
        vm.expectEmit(address(market));
        emit IMarket.BreakerTripped(class, from);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(from, Mode.Halted, Cause.OracleBreaker);
    }

    function _assertTripped() internal view {
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "halted");
        assertEq(market.haltFlags(), HALT_BREAKER, "breaker flag only");
        assertEq(market.haltedAt(), block.timestamp, "haltedAt");
    }

    function test_trip_increase_staleReading_refusedWithoutATrip() public {
        vm.warp(block.timestamp + 2 hours); // no new round: the primary is older than maxAge
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, OracleClass.Stale));
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }

    function test_trip_increase_badNewRound_commitsWithoutReverting() public {
        vm.warp(block.timestamp + 1 minutes);
        feed.setAnswer(1400e8); // a new round 30% off (the secondary disagrees: Diverged)
        bytes32 accountBefore = keccak256(abi.encode(market.accountOf(alice)));
        _expectTrip(OracleClass.Diverged, Mode.Normal);
        vm.prank(alice);
        market.modifyPosition(1e18, 0); // does not revert
        _assertTripped();
        // The action itself was rolled back: only the trip committed.
        assertEq(keccak256(abi.encode(market.accountOf(alice))), accountBefore);
        assertEq(market.aggregates().longOpenInterest, 10e18);
    }

    function test_trip_withdrawWithPosition_divergedReading() public {
        feed.setAnswer(2000e8); // a new primary round
        feed2.setAnswer(2100e8); // secondary 5% away from the primary: beyond the 2% band
        uint256 wallet = usd.balanceOf(alice);
        int256 margin = market.accountOf(alice).margin;
        _expectTrip(OracleClass.Diverged, Mode.Normal);
        vm.prank(alice);
        market.withdraw(100e6);
        _assertTripped();
        assertEq(usd.balanceOf(alice), wallet);
        assertEq(market.accountOf(alice).margin, margin);
    }

    /// @dev An LP exit on a bad reading is refused by the pool's own maxWithdraw (ERC-4626: a failure reverts)
    ///      before the market is asked, so it neither returns 0 nor trips the breaker.
    function test_lpWithdraw_tooVolatileReading_revertsWithoutATrip() public {
        _setPrimaryUnconfirmed(2300e8); // +15% against the last good price, unconfirmed
        uint256 shares = pool.balanceOf(lp);
        uint256 wallet = usd.balanceOf(lp);
        assertEq(pool.maxWithdraw(lp), 0);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxWithdraw.selector, lp, 1000e6, 0));
        vm.prank(lp);
        pool.withdraw(1000e6, lp, lp);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        assertEq(pool.balanceOf(lp), shares, "no shares burned");
        assertEq(usd.balanceOf(lp), wallet, "nothing paid");
    }

    function test_trip_atBoundsReading() public {
        _setPrice(Defaults.MAX_ANSWER);
        _expectTrip(OracleClass.AtBounds, Mode.Normal);
        vm.prank(alice);
        market.modifyPosition(-20e18, 0); // a flip through zero is an increase
        _assertTripped();
        assertEq(market.accountOf(alice).size, 10e18);
    }

    function test_trip_nonPositiveReading() public {
        feed.setBounds(-1e8, 1_000_000e8);
        feed.setAnswer(0);
        _expectTrip(OracleClass.NonPositive, Mode.Normal);
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        _assertTripped();
    }

    /// @dev Actions that add no risk never trip: deposit, funding insurance, an idle withdraw and refresh go
    ///      ahead at the last good price; reduce and LP deposit trust the price and are refused.
    function test_noTrip_actionsThatAddNoRisk() public {
        vm.warp(block.timestamp + 2 hours); // Stale
        _depositMargin(carol, 100e6);
        vm.prank(carol);
        market.withdraw(100e6); // no position
        vm.prank(carol);
        market.fundInsurance(1e6);
        market.refresh();

        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, OracleClass.Stale));
        vm.prank(alice);
        market.modifyPosition(-1e18, 0);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxDeposit.selector, carol, 100e6, 0));
        vm.prank(carol);
        pool.deposit(100e6, carol);

        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        assertEq(market.haltFlags(), 0);
    }

    /* RESET */

    /// @dev A bad new round (30% off, the secondary disagreeing) seen by Alice's margin withdrawal (which passes its
    ///      own checks at the last good price); then the feed recovers.
    function _tripStale() internal returns (uint256 trippedAt) {
        vm.warp(block.timestamp + 1 minutes);
        feed.setAnswer(1400e8);
        vm.prank(alice);
        market.withdraw(1e6);
        _assertTripped();
        feed.setAnswer(2000e8);
        return block.timestamp;
    }

    /// @dev One new Valid round a minute later, then refresh.
    function _validRound() internal {
        _freshRound(1 minutes);
        market.refresh();
    }

    function test_reset_needsValidRoundsAndCooldown() public {
        uint256 trippedAt = _tripStale();
        _validRound();
        _validRound();
        _validRound(); // three new Valid rounds: enough readings
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "readings without the cooldown");
        // Still inside the cooldown, a refresh with no new round changes nothing.
        vm.warp(trippedAt + 15 minutes - 1);
        market.refresh();
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "one second short of the cooldown");

        vm.warp(trippedAt + 15 minutes);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Halted, Mode.Normal, Cause.BreakerReset);
        market.refresh();
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        assertEq(market.haltFlags(), 0);
        // Trading resumes, at a round fresh enough for an increase (TradePricing.MAX_TRADE_AGE).
        _validRound();
        _open(alice, 1e18);
        assertEq(market.accountOf(alice).size, 11e18);
    }

    function test_reset_cooldownAloneIsNotEnough() public {
        uint256 trippedAt = _tripStale();
        vm.warp(trippedAt + 1 hours);
        _validRound();
        _validRound();
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "two rounds");
        // Refreshing again on the same round does not count as a reading.
        market.refresh();
        market.refresh();
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "same round again");
        _validRound();
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "third round");
    }

    function test_reset_nonValidReadingRestartsTheStreak() public {
        uint256 trippedAt = _tripStale();
        vm.warp(trippedAt + 1 hours); // cooldown long past
        _validRound();
        _validRound();
        // A stale reading proves nothing: it does not restart the streak.
        vm.warp(block.timestamp + 2 hours);
        market.refresh();
        _freshRound(1 minutes);
        feed2.setAnswer(2100e8); // a new primary round that reads Diverged: a bad new round
        market.refresh();
        feed2.setAnswer(2000e8);
        _validRound();
        _validRound();
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "two since the bad reading");
        _validRound();
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }

    /// @dev The round accepted before the trip is not a new round: a Diverged reading on it is refused (no trip), and
    ///      once the breaker has tripped on a new round, reading the old one again does not count towards the streak.
    function test_reset_roundFromBeforeTheTripDoesNotCount() public {
        feed2.setAnswer(2100e8);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, OracleClass.Diverged));
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        feed2.setAnswer(2000e8);
        _tripStale();
        feed.setReportedRound(1); // the feed reports the round accepted at deployment again
        market.refresh();
        feed.setReportedRound(0);
        vm.warp(block.timestamp + 16 minutes);
        _validRound();
        _validRound();
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "only two new rounds");
        _validRound();
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }

    function test_reset_returnsToCautious() public {
        _escalate(Mode.Cautious);
        vm.warp(block.timestamp + 1 minutes);
        feed.setAnswer(1400e8);
        _expectTrip(OracleClass.Diverged, Mode.Cautious);
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        feed.setAnswer(2000e8);
        vm.warp(block.timestamp + 15 minutes);
        _validRound();
        _validRound();
        _freshRound(1 minutes);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Halted, Mode.Cautious, Cause.BreakerReset);
        market.refresh();
        assertEq(uint8(market.mode()), uint8(Mode.Cautious));
        assertEq(market.haltFlags(), 0);
    }

    function test_reset_returnsToReduceOnly() public {
        _escalate(Mode.ReduceOnly);
        vm.warp(block.timestamp + 1 minutes);
        feed.setAnswer(1400e8);
        // In ReduceOnly the risk-adding actions left are withdrawals with a position and LP withdrawals.
        _expectTrip(OracleClass.Diverged, Mode.ReduceOnly);
        vm.prank(alice);
        market.withdraw(1e6);
        feed.setAnswer(2000e8);
        vm.warp(block.timestamp + 15 minutes);
        _validRound();
        _validRound();
        _validRound();
        assertEq(uint8(market.mode()), uint8(Mode.ReduceOnly));
    }

    function test_noReset_whileInvariantHaltHolds() public {
        _tripStale();
        // The market's tokens shrink under it (a token bug): the next state change sees the invariant broken.
        deal(address(usd), address(market), usd.balanceOf(address(market)) - 1);
        _depositMargin(carol, 100e6);
        assertEq(market.haltFlags(), HALT_BREAKER | HALT_INVARIANT);
        assertEq(market.accountOf(carol).margin, 0, "the deposit was rolled back");

        vm.warp(block.timestamp + 15 minutes);
        _validRound();
        _validRound();
        _validRound();
        assertEq(market.haltFlags(), HALT_INVARIANT, "the breaker's own flag cleared");
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "still halted");
        _validRound();
        assertEq(uint8(market.mode()), uint8(Mode.Halted));
    }

    function test_noReset_whilePoolCannotPay() public {
        SafetyParams memory p = market.safetyParams();
        while (p.breakerCooldown < 1 days) {
            // A factor of two per change (the step bound).
            p.breakerCooldown = 2 * p.breakerCooldown > 1 days ? 1 days : 2 * p.breakerCooldown;
            market.setSafetyParams(p);
        }
        _depositMargin(dave, 20_000e6);
        _open(dave, 90e18); // 100 units long against a 100k pool
        _tripStale();
        _stepTo(3221e8); // five hourly Valid rounds, inside the cooldown
        assertEq(market.haltFlags(), HALT_BREAKER | HALT_INSOLVENT);
        assertLt(market.poolEquity() + int256(market.aggregates().insurance), 0);

        vm.warp(block.timestamp + 1 days);
        _validRound();
        assertEq(market.haltFlags(), HALT_INSOLVENT);
        assertEq(uint8(market.mode()), uint8(Mode.Halted));
    }

    function test_setModeClearsTheBreaker_andANewTripStartsAfresh() public {
        _tripStale();
        _validRound();
        _validRound(); // a streak of two, inside the cooldown
        market.setMode(Mode.Normal);
        assertEq(market.haltFlags(), 0);
        // A second trip needs its own full streak and cooldown.
        _setPrice(2000e8);
        feed2.setAnswer(2100e8);
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        _assertTripped();
        feed2.setAnswer(2000e8);
        vm.warp(block.timestamp + 15 minutes);
        _validRound();
        _validRound();
        assertEq(uint8(market.mode()), uint8(Mode.Halted));
        _validRound();
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }

    /* LIQUIDATION ON A DOUBTFUL READING */

    /// @dev bob: 10 long at 2,000 with 2,080 margin; at 1,880 his equity (~880) is below maintenance (940).
    function _bobUnderwaterAt1880() internal {
        _depositMargin(bob, 2100e6);
        _open(bob, 10e18);
        _stepPrice(1880e8);
    }

    function test_liquidation_staleReading_usesKinderPrice_long() public {
        _bobUnderwaterAt1880();
        // A stale reading above the last good price: the long is judged at 1,900, where it is healthy.
        feed.setAnswerAt(1900e8, block.timestamp - 2 hours);
        int256 equity = _equityAt(bob, 1900e18, market.currentFundingIndex());
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotLiquidatable.selector, equity, 950e6));
        vm.prank(keeper);
        market.liquidate(bob);

        // A stale reading below it: the long is judged at the last good 1,880, not at 1,850.
        feed.setAnswerAt(1850e8, block.timestamp - 2 hours);
        vm.expectEmit(address(market));
        emit IMarket.Liquidated(bob, keeper, 10e18, 1880e18, 94e6, 282e6);
        vm.prank(keeper);
        assertEq(market.liquidate(bob), 94e6);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "a liquidation never trips");
    }

    function test_liquidation_atBoundsReading_neverAtTheClamp() public {
        _bobUnderwaterAt1880();
        _setPrice(1e8); // pinned at the aggregator's minAnswer
        vm.expectEmit(address(market));
        emit IMarket.Liquidated(bob, keeper, 10e18, 1880e18, 94e6, 282e6);
        vm.prank(keeper);
        market.liquidate(bob);
        assertEq(market.haltFlags(), 0);
    }

    function test_liquidation_divergedReading_usesKinderPrice_short() public {
        _depositMargin(carol, 2100e6);
        _open(carol, -10e18);
        _stepPrice(2120e8); // carol: equity ~880 < maintenance 1,060
        // Diverged at 2,100: the short is judged at min(2,100, 2,120) = 2,100, where it is healthy.
        feed.setAnswer(2100e8);
        feed2.setAnswer(2200e8);
        int256 equity = _equityAt(carol, 2100e18, market.currentFundingIndex());
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotLiquidatable.selector, equity, 1050e6));
        vm.prank(keeper);
        market.liquidate(carol);

        // Diverged at 2,150: judged at the last good 2,120.
        feed.setAnswer(2150e8);
        feed2.setAnswer(2050e8);
        vm.expectEmit(address(market));
        emit IMarket.Liquidated(carol, keeper, -10e18, 2120e18, 106e6, 318e6);
        vm.prank(keeper);
        market.liquidate(carol);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }

    /// @dev A jump or a non-positive answer is not trusted, but it cannot shield an account that is unhealthy at
    ///      the last good price: the liquidation runs at the kinder side (the last good price for a crashed long).
    function test_liquidation_onTooVolatileOrNonPositive_atTheLastGoodPrice() public {
        _bobUnderwaterAt1880();
        uint256 snap = vm.snapshotState();
        _setPrice(1600e8); // -15%: TooVolatile
        vm.expectEmit(true, true, false, false, address(market));
        emit IMarket.Liquidated(bob, keeper, 10e18, 1880e18, 0, 0);
        vm.prank(keeper);
        market.liquidate(bob);

        vm.revertToState(snap);
        feed.setBounds(-1e8, 1_000_000e8);
        feed.setAnswer(-5);
        vm.prank(keeper);
        market.liquidate(bob);
        assertEq(market.accountOf(bob).size, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }
}
