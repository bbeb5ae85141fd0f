// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Action, Cause, IMarket, Invariant, Mode, SafetyParams} from "../../../src/interfaces/IMarket.sol";
import {SafetyBaseTest} from "../../utils/SafetyBaseTest.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice Automatic tightening, one trigger at a time, each with its ModeChanged cause; the transitions the
///         market refuses; the margin warning. (The oracle breaker has its own file, Breaker.t.sol.)
contract TransitionsTest is SafetyBaseTest {
    function setUp() public override {
        super.setUp();
        _fund(carol, 10_000e6);
    }

    /// @dev LP `lpAmount`; alice 10 long with 10,000; bob 10 long with 2,100 (2,080 after the fee).
    function _book(uint256 lpAmount) internal {
        _lpDeposit(lp, lpAmount);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _depositMargin(bob, 2100e6);
        _open(bob, 10e18);
    }

    function _assertMode(Mode m) internal view {
        assertEq(uint8(market.mode()), uint8(m), "mode");
    }

    /* BROKEN INVARIANT -> HALTED (STICKY) */

    function test_invariantViolation_rollsBackTheAction_haltsInTheSameTx() public {
        _book(1_000_000e6);
        // The collateral shrinks under the market (a token bug, a rebase): credits now exceed the balance by 1.
        uint256 balance = usd.balanceOf(address(market)) - 1;
        deal(address(usd), address(market), balance);
        uint256 credits = _credits();
        uint256 wallet = usd.balanceOf(carol);

        vm.expectEmit(address(market));
        emit IMarket.InvariantViolated(
            Invariant.TokenConservation,
            int256(credits + 100e6),
            int256(balance + 100e6),
            market.executeDeposit.selector
        );
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.Halted, Cause.InvariantViolated);
        vm.prank(carol);
        market.deposit(100e6); // returns normally: the trip is committed, the deposit is not

        _assertMode(Mode.Halted);
        assertEq(market.haltFlags(), HALT_INVARIANT);
        assertEq(market.haltedAt(), block.timestamp);
        assertEq(usd.balanceOf(carol), wallet, "nothing taken");
        assertEq(market.accountOf(carol).margin, 0, "nothing credited");
        assertEq(_credits(), credits);
    }

    function test_invariantHalt_isSticky_onlyTheOwnerLiftsIt() public {
        _book(1_000_000e6);
        deal(address(usd), address(market), usd.balanceOf(address(market)) - 1);
        vm.prank(carol);
        market.deposit(100e6);
        assertEq(market.haltFlags(), HALT_INVARIANT);

        // The breaker's reset path does not apply: a day of Valid rounds changes nothing.
        for (uint256 i; i < 24; ++i) {
            _stepPrice(2000e8);
        }
        _assertMode(Mode.Halted);
        // The guardian cannot loosen it.
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotTighter.selector, Mode.Halted, Mode.Normal));
        vm.prank(guardianEoa);
        market.escalate(Mode.Normal);
        // The owner (the timelock in production) can, after fixing the cause.
        deal(address(usd), address(market), _credits());
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Halted, Mode.Normal, Cause.Governance);
        market.setMode(Mode.Normal);
        assertEq(market.haltFlags(), 0);
        vm.prank(carol);
        market.deposit(100e6);
        assertEq(market.accountOf(carol).margin, 100e6);
    }

    /* BAD DEBT -> CAUTIOUS / REDUCE ONLY */

    /// @dev bob at 1,700: equity 2,080 - 3,000 (- funding) < 0.
    function _bobUnderwater() internal returns (uint256 deficit) {
        _stepPrice(1850e8);
        _stepPrice(1700e8);
        int256 equity = _equityAt(bob, 1700e18, market.currentFundingIndex());
        assertLt(equity, 0);
        return uint256(-equity);
    }

    function test_insuranceBelowFloorAfterBadDebt_tightensToCautious() public {
        _book(1_000_000e6);
        vm.prank(carol);
        market.fundInsurance(1200e6);
        uint256 insurance = market.aggregates().insurance;
        assertEq(insurance, 1208e6); // 1,200 + 20% of two 20 fees
        uint256 deficit = _bobUnderwater();
        int256 poolCash = market.aggregates().poolCash;
        int256 bobMargin = market.accountOf(bob).margin;

        vm.expectEmit(address(market));
        emit IMarket.BadDebt(bob, deficit, deficit, 0);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.Cautious, Cause.InsuranceBelowFloor);
        vm.expectEmit(address(market));
        emit IMarket.Liquidated(bob, keeper, 10e18, 1700e18, 0, 0);
        vm.prank(keeper);
        assertEq(market.liquidate(bob), 0);

        _assertMode(Mode.Cautious);
        assertEq(market.aggregates().insurance, insurance - deficit);
        assertLt(market.aggregates().insurance, 1000e6);
        // The pool keeps bob's margin and pays nothing: insurance covered the whole deficit.
        assertEq(market.aggregates().poolCash, poolCash + bobMargin + int256(deficit));
        assertEq(market.accountOf(bob).margin, 0);
    }

    function test_insuranceStillAboveFloor_noTightening() public {
        _book(1_000_000e6);
        vm.prank(carol);
        market.fundInsurance(3000e6);
        uint256 deficit = _bobUnderwater();
        vm.recordLogs();
        vm.prank(keeper);
        market.liquidate(bob);
        assertEq(market.aggregates().insurance, 3008e6 - deficit);
        _assertMode(Mode.Normal);
        _assertNoModeChange();
    }

    function test_lossSocialised_tightensToReduceOnly() public {
        SafetyParams memory p = market.safetyParams();
        p.insuranceFloor = 0; // isolate the socialised-loss trigger
        market.setSafetyParams(p);
        _book(1_000_000e6);
        uint256 deficit = _bobUnderwater();
        int256 poolCash = market.aggregates().poolCash;
        int256 bobMargin = market.accountOf(bob).margin;

        vm.expectEmit(address(market));
        emit IMarket.BadDebt(bob, deficit, 8e6, deficit - 8e6);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.ReduceOnly, Cause.LossSocialised);
        vm.prank(keeper);
        market.liquidate(bob);

        _assertMode(Mode.ReduceOnly);
        assertEq(market.aggregates().insurance, 0);
        // The pool realised bob's margin as profit and paid the uncovered deficit.
        assertEq(market.aggregates().poolCash, poolCash + bobMargin + int256(deficit) - int256(deficit - 8e6));
    }

    function test_lossSocialised_withInsuranceDrained_cautiousThenReduceOnly() public {
        _book(1_000_000e6); // insurance: 8 from fees, floor 1,000
        uint256 deficit = _bobUnderwater();
        vm.expectEmit(address(market));
        emit IMarket.BadDebt(bob, deficit, 8e6, deficit - 8e6);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.Cautious, Cause.InsuranceBelowFloor);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Cautious, Mode.ReduceOnly, Cause.LossSocialised);
        vm.prank(keeper);
        market.liquidate(bob);
        _assertMode(Mode.ReduceOnly);
    }

    /* POOL STATE -> HALTED (below backing is enforced per action, not a mode) */

    function test_poolBelowBacking_refusesIncreases_thenPoolCannotPay_halted() public {
        _lpDeposit(lp, 15_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18); // pool equity 15,016, required 50% of 20,000
        _stepPrice(2200e8);
        _assertMode(Mode.Normal);

        // At 2,420 the pool has ~10,816 against a required 12,100.
        vm.warp(block.timestamp + 1 hours);
        _setPrice(2420e8);
        market.refresh();
        int256 required = int256(uint256(24_200e6) / 2);
        assertLt(market.poolEquity(), required);
        _assertMode(Mode.Normal);
        // An increase that leaves the pool short is refused for that reason.
        vm.expectPartialRevert(IMarket.MarketInsufficientBacking.selector);
        _open(alice, 1e18);
        // Reductions go on: they are what restores the backing.
        vm.prank(alice);
        market.modifyPosition(-1e18, 0);

        _stepPrice(2662e8);
        _stepPrice(2928e8);
        _stepPrice(3220e8);
        _stepPrice(3542e8);
        _assertMode(Mode.Normal);
        // At 3,800 alice's profit exceeds pool equity plus insurance: the pool cannot pay her.
        vm.warp(block.timestamp + 1 hours);
        _setPrice(3800e8);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.Halted, Cause.PoolCannotPay);
        market.refresh();
        assertLt(market.poolEquity() + int256(market.aggregates().insurance), 0);
        assertEq(market.haltFlags(), HALT_INSOLVENT);
    }

    /// @dev A close can leave the pool short of backing: no mode change (trades that net to nothing could force it);
    ///      the next increase that would grow the shortfall is refused.
    function test_poolBelowBacking_seenByATrade_noModeChange() public {
        _lpDeposit(lp, 10_000e6);
        _depositMargin(bob, 10_000e6);
        _open(bob, -9e18);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18); // net 1 long: the pool is barely exposed
        _stepPrice(2200e8);
        _stepPrice(2420e8);
        _assertMode(Mode.Normal);
        // bob closes his short: the pool pays him nothing (he lost) but is now 10 units short of alice.
        vm.prank(bob);
        market.closePosition(0);
        _assertMode(Mode.Normal);
        vm.expectPartialRevert(IMarket.MarketInsufficientBacking.selector);
        _open(alice, 1e18);
    }

    /* REFUSED TRANSITIONS */

    function test_automaticTightening_neverLoosens() public {
        _book(1_000_000e6);
        _escalate(Mode.ReduceOnly);
        _bobUnderwater();
        vm.recordLogs();
        // Insurance falls below its floor (-> Cautious) and a loss is socialised (-> ReduceOnly): already there.
        vm.prank(keeper);
        market.liquidate(bob);
        _assertMode(Mode.ReduceOnly);
        _assertNoModeChange();
    }

    function test_automaticTightening_doesNotLeaveHalted() public {
        _lpDeposit(lp, 15_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _escalate(Mode.Halted);
        vm.recordLogs();
        _stepPrice(2200e8);
        _stepPrice(2420e8); // below backing: ReduceOnly would be looser than Halted
        _assertMode(Mode.Halted);
        assertEq(market.haltFlags(), HALT_GUARDIAN);
        _assertNoModeChange();
    }

    function test_escalate_refusesLooserSameOrSettlement() public {
        for (uint8 from = 1; from <= 3; ++from) {
            market.setMode(Mode(from));
            for (uint8 to; to <= 4; ++to) {
                if (to > from && to <= 3) continue;
                // Halted -> Halted is a pin while the guardian's own flag is not set (next test); setMode cleared it.
                if (from == 3 && to == 3) continue;
                vm.expectRevert(
                    abi.encodeWithSelector(IMarket.MarketNotTighter.selector, Mode(from), Mode(to))
                );
                vm.prank(guardianEoa);
                market.escalate(Mode(to));
            }
        }
        market.setMode(Mode.Normal);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotTighter.selector, Mode.Normal, Mode.Normal));
        vm.prank(guardianEoa);
        market.escalate(Mode.Normal);
    }

    /// @dev Escalating to Halted while already Halted (here by the breaker) pins the halt: no mode change, the
    ///      guardian's flag joins the breaker's, and the breaker's own reset no longer reopens the market. A
    ///      second pin is refused like any other non-tightening.
    function test_escalate_pinsAnExistingHalt_breakerResetNoLongerReopens() public {
        _book(1_000_000e6);
        vm.warp(block.timestamp + 1 minutes);
        feed.setAnswer(1400e8); // a bad new round
        vm.prank(alice);
        market.modifyPosition(1e18, 0); // trips the breaker
        feed.setAnswer(2000e8);
        _assertMode(Mode.Halted);
        assertEq(market.haltFlags(), HALT_BREAKER);
        uint256 haltedAt = market.haltedAt();

        vm.recordLogs();
        _escalate(Mode.Halted);
        _assertNoModeChange();
        assertEq(market.haltFlags(), HALT_BREAKER | HALT_GUARDIAN);
        assertEq(market.haltedAt(), haltedAt, "the exit clock does not restart");
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotTighter.selector, Mode.Halted, Mode.Halted));
        vm.prank(guardianEoa);
        market.escalate(Mode.Halted);

        // Three new Valid rounds and the cooldown: the breaker's cause clears, the guardian's holds.
        _stepPrice(2000e8);
        _stepPrice(2000e8);
        _stepPrice(2000e8);
        _assertMode(Mode.Halted);
        assertEq(market.haltFlags(), HALT_GUARDIAN);
    }

    function test_escalate_stepsUpOneModeAtATime_orJumps() public {
        vm.startPrank(guardianEoa);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.Cautious, Cause.Guardian);
        market.escalate(Mode.Cautious);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Cautious, Mode.Halted, Cause.Guardian);
        market.escalate(Mode.Halted);
        vm.stopPrank();
        assertEq(market.haltFlags(), HALT_GUARDIAN);
    }

    function test_escalate_onlyGuardian() public {
        address[3] memory notGuardians = [stranger, address(this), lp];
        for (uint256 i; i < 3; ++i) {
            vm.expectRevert(IMarket.MarketOnlyGuardian.selector);
            vm.prank(notGuardians[i]);
            market.escalate(Mode.Halted);
        }
        _assertMode(Mode.Normal);
    }

    function test_setMode_neverSettlement_neverOutOfSettlement_onlyOwner() public {
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketModeNotSettable.selector, Mode.Normal, Mode.Settlement)
        );
        market.setMode(Mode.Settlement);

        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardianEoa));
        vm.prank(guardianEoa);
        market.setMode(Mode.Normal);

        market.settle();
        for (uint8 to; to <= 4; ++to) {
            vm.expectRevert(
                abi.encodeWithSelector(IMarket.MarketModeNotSettable.selector, Mode.Settlement, Mode(to))
            );
            market.setMode(Mode(to));
        }
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketNotTighter.selector, Mode.Settlement, Mode.Halted)
        );
        vm.prank(guardianEoa);
        market.escalate(Mode.Halted);
    }

    function test_settle_byStrangerOnlyAfterMaxHaltDuration() public {
        vm.expectRevert(IMarket.MarketNotSettleable.selector);
        vm.prank(stranger);
        market.settle();

        _escalate(Mode.Halted);
        uint256 haltedAt = block.timestamp;
        vm.warp(haltedAt + 3 days - 1);
        vm.expectRevert(IMarket.MarketNotSettleable.selector);
        vm.prank(stranger);
        market.settle();

        vm.warp(haltedAt + 3 days);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Halted, Mode.Settlement, Cause.HaltedTooLong);
        vm.prank(stranger);
        market.settle();

        vm.expectRevert(IMarket.MarketNotSettleable.selector);
        market.settle(); // not even the owner settles twice
    }

    /// @dev A halt that is lifted and re-entered restarts the exit clock.
    function test_settle_exitClockRestartsWithEachHalt() public {
        _escalate(Mode.Halted);
        vm.warp(block.timestamp + 2 days);
        market.setMode(Mode.Normal);
        _escalate(Mode.Halted);
        vm.warp(block.timestamp + 2 days);
        vm.expectRevert(IMarket.MarketNotSettleable.selector);
        vm.prank(stranger);
        market.settle();
        vm.warp(block.timestamp + 1 days);
        vm.prank(stranger);
        market.settle();
        _assertMode(Mode.Settlement);
    }

    /* MARGIN WARNING */

    function test_marginWarning_nearMaintenance() public {
        _book(1_000_000e6);
        _stepPrice(1896e8); // bob: equity ~1,040, maintenance 948, warning below 1,185
        vm.recordLogs();
        vm.prank(bob);
        market.modifyPosition(-1e18, 0);
        (int256 equity,, uint256 maintenance,) = market.accountHealth(bob);
        assertGe(equity, int256(maintenance), "not liquidatable");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 found;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != IMarket.MarginWarning.selector) continue;
            ++found;
            assertEq(logs[i].topics[1], bytes32(uint256(uint160(bob))));
            (int256 e, uint256 m) = abi.decode(logs[i].data, (int256, uint256));
            assertEq(e, equity);
            assertEq(m, maintenance);
            assertEq(m, 853.2e6); // 5% of 9 x 1,896
        }
        assertEq(found, 1);

        // A healthy account trades without a warning.
        vm.recordLogs();
        vm.prank(alice);
        market.modifyPosition(-1e18, 0);
        logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != IMarket.MarginWarning.selector, "no warning for alice");
        }
    }

    function _assertNoModeChange() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != IMarket.ModeChanged.selector, "unexpected ModeChanged");
        }
    }
}
