// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {Cause, IMarket, Invariant, Mode} from "../../src/interfaces/IMarket.sol";
import {OracleClass} from "../../src/interfaces/IOracleGuard.sol";
import {HookERC20} from "../mocks/HookERC20.sol";
import {HostileAggregator} from "../mocks/HostileAggregator.sol";
import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {Vm} from "forge-std/Vm.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @notice Forging the market's own trip errors from outside. A feed that reverts with MarketInvariantBroken or
///         MarketBreakerTripped data is caught by the oracle guard and read as Stale: for a risk-adding action that
///         *is* a breaker trip by design (cause OracleBreaker, class Stale, never the invariant flag), for any other
///         action nothing trips. A token or a balance read that reverts with the same data is wrapped in its own
///         error and reverts the call: nothing trips.
contract ForgedTripFeedTest is SafetyBaseTest {
    HostileAggregator internal hostile;

    function setUp() public override {
        super.setUp();
        hostile = new HostileAggregator(8, Defaults.INITIAL_ANSWER);
        _redeploy(address(usd), hostile, feed2);
        market.setGuardian(guardianEoa);
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _fund(carol, 10_000e6);
    }

    function _forgedInvariant() internal pure returns (bytes memory) {
        // Exactly the 100 bytes the market's own frame decodes.
        return
            abi.encodeWithSelector(IMarket.MarketInvariantBroken.selector, Invariant.TokenConservation, 1, 0);
    }

    function _forgedBreaker() internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IMarket.MarketBreakerTripped.selector, OracleClass.Valid);
    }

    function _assertNoInvariantEvent() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != IMarket.InvariantViolated.selector, "forged InvariantViolated");
        }
    }

    function _assertUntouched() internal view {
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        assertEq(market.haltFlags(), 0);
    }

    /// @dev A reverting feed reads as Stale: no evidence of a bad price, so the risk-adding action is refused and
    ///      nothing trips (neither the invariant halt nor the breaker).
    function test_forgedInvariantFromPrimaryFeed_riskAddingAction_isRefusedAsStale() public {
        assertEq(_forgedInvariant().length, 100);
        hostile.revertWith(_forgedInvariant());
        vm.recordLogs();
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, OracleClass.Stale));
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        _assertUntouched();
        _assertNoInvariantEvent();
    }

    function test_forgedBreakerFromPrimaryFeed_riskAddingAction_isRefusedAsStale() public {
        hostile.revertWith(_forgedBreaker());
        // the guard's class, not the forged one
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, OracleClass.Stale));
        vm.prank(alice);
        market.withdraw(100e6);
        _assertUntouched();
    }

    function test_forgedErrorsFromPrimaryFeed_otherActions_tripNothing() public {
        bytes[2] memory payloads = [_forgedInvariant(), _forgedBreaker()];
        for (uint256 i; i < 2; ++i) {
            hostile.revertWith(payloads[i]);
            vm.recordLogs();
            // Deposit and refresh do not trust the price: they go ahead.
            vm.prank(carol);
            market.deposit(100e6);
            market.refresh();
            vm.prank(carol);
            market.fundInsurance(1e6);
            // A reduce trusts the price: refused with the guard's class. A liquidation judges at the last good price,
            // where alice is healthy. The pool's maxDeposit foresees the market's refusal (ERC-4626's error first).
            vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, OracleClass.Stale));
            vm.prank(alice);
            market.modifyPosition(-1e18, 0);
            vm.expectPartialRevert(IMarket.MarketNotLiquidatable.selector);
            vm.prank(keeper);
            market.liquidate(alice);
            vm.expectRevert(
                abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxDeposit.selector, carol, 100e6, 0)
            );
            vm.prank(carol);
            pool.deposit(100e6, carol);
            _assertUntouched();
            _assertNoInvariantEvent();
        }
        assertEq(market.accountOf(carol).margin, 200e6);
    }

    /// @dev The secondary only cross-checks: a secondary that reverts, with any data, is ignored.
    function test_forgedErrorsFromSecondaryFeed_areIgnored() public {
        HostileAggregator hostile2 = new HostileAggregator(8, Defaults.INITIAL_ANSWER);
        _redeploy(address(usd), feed, hostile2);
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        hostile2.revertWith(_forgedInvariant());
        _open(alice, 10e18);
        hostile2.revertWith(_forgedBreaker());
        _open(alice, 1e18);
        assertEq(market.accountOf(alice).size, 11e18);
        _assertUntouched();
    }
}

/// @notice The same forgeries through the collateral token: a transfer or a balance read that reverts with the
///         market's own error data.
contract ForgedTripTokenTest is SafetyBaseTest {
    HookERC20 internal hook;
    HostileAggregator internal reverter;

    function setUp() public override {
        super.setUp();
        hook = new HookERC20("Hook USD", "hUSD", Defaults.COLLATERAL_DECIMALS);
        usd = hook;
        _redeploy(address(hook), feed, feed2);
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _fund(carol, 10_000e6);
        reverter = new HostileAggregator(8, 1);
        reverter.revertWith(
            abi.encodeWithSelector(IMarket.MarketInvariantBroken.selector, Invariant.TokenConservation, 1, 0)
        );
    }

    function test_transferRevertingWithForgedInvariant_revertsTheCall_noTrip() public {
        // The transfer into the market reverts with the forged bytes; SafeTransferLib reverts with its own error.
        hook.arm(address(market), address(reverter), abi.encodeCall(reverter.latestRoundData, ()), true);
        vm.expectRevert(SafeTransferLib.TransferFromFailed.selector);
        vm.prank(carol);
        market.deposit(100e6);

        hook.arm(address(market), address(reverter), abi.encodeCall(reverter.latestRoundData, ()), true);
        vm.expectRevert(SafeTransferLib.TransferFailed.selector);
        vm.prank(alice);
        market.withdraw(100e6);

        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        assertEq(market.haltFlags(), 0);
    }

    /// @dev The market reads its balance only after calls that move tokens (the credits identity covers the rest),
    ///      so the forgery is aimed at those: a margin deposit and withdrawal, funding the insurance, an LP deposit
    ///      (the market's hook reverts and the pool bubbles it). Each reverts with MarketBalanceUnreadable. A trade
    ///      moves no tokens, reads no balance and goes through (its credits are checked as an identity instead).
    function test_balanceReadRevertingWithForgedInvariant_revertsTheCall_noTrip() public {
        hook.setBalanceOfRevert(
            address(market),
            abi.encodeWithSelector(IMarket.MarketInvariantBroken.selector, Invariant.TokenConservation, 1, 0)
        );
        vm.expectRevert(IMarket.MarketBalanceUnreadable.selector);
        vm.prank(carol);
        market.deposit(100e6);
        vm.expectRevert(IMarket.MarketBalanceUnreadable.selector);
        vm.prank(alice);
        market.withdraw(100e6);
        vm.expectRevert(IMarket.MarketBalanceUnreadable.selector);
        vm.prank(carol);
        market.fundInsurance(100e6);
        vm.expectRevert(IMarket.MarketBalanceUnreadable.selector);
        vm.prank(carol);
        pool.deposit(100e6, carol);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        assertEq(market.haltFlags(), 0);
        assertEq(market.accountOf(carol).margin, 0);
        assertEq(market.accountOf(alice).margin, 9980e6);

        _open(alice, 1e18);
        assertEq(market.accountOf(alice).size, 11e18);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        assertEq(market.haltFlags(), 0);
    }
}
