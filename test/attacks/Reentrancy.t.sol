// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {HookERC20} from "../mocks/HookERC20.sol";
import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @notice Reentrancy through a collateral token with transfer hooks. Every mutating entry point of the market
///         and the pool is locked for the whole call (solady's transient guard), so a hook that calls back in
///         gets Reentrancy(); the outer action completes (or, if the hook makes the transfer fail, reverts with
///         the transfer's own error) and nothing trips. The self-call entry points answer only the market itself.
contract ReentrancyTest is SafetyBaseTest {
    HookERC20 internal hook;

    function setUp() public override {
        super.setUp();
        hook = new HookERC20("Hook USD", "hUSD", Defaults.COLLATERAL_DECIMALS);
        usd = hook;
        _redeploy(address(hook), feed, feed2);
        market.setGuardian(guardianEoa);
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _fund(carol, 10_000e6);
    }

    /// @dev Every market entry point a hook could try, with arguments that would succeed outside the call.
    function _marketReentries() internal view returns (bytes[] memory calls) {
        calls = new bytes[](10);
        calls[0] = abi.encodeCall(IMarket.deposit, (1));
        calls[1] = abi.encodeCall(IMarket.withdraw, (1));
        calls[2] = abi.encodeCall(IMarket.modifyPosition, (1e18, 0));
        calls[3] = abi.encodeCall(IMarket.closePosition, (0));
        calls[4] = abi.encodeCall(IMarket.liquidate, (alice));
        calls[5] = abi.encodeCall(IMarket.fundInsurance, (1));
        calls[6] = abi.encodeCall(IMarket.refresh, ());
        calls[7] = abi.encodeCall(IMarket.settle, ());
        calls[8] = abi.encodeCall(IMarket.claim, ());
        calls[9] = abi.encodeCall(IMarket.realise, (alice));
    }

    function _assertReentryRefused(bytes4 expected) internal view {
        assertEq(hook.fired(), 1, "the hook ran");
        assertFalse(hook.lastSuccess(), "the reentrant call failed");
        assertEq(bytes4(hook.lastReturn()), expected);
        assertEq(hook.lastReturn().length, 4);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        assertEq(market.haltFlags(), 0);
    }

    function test_reentryDuringDeposit_everyEntryPoint() public {
        bytes[] memory calls = _marketReentries();
        uint256 snap = vm.snapshotState();
        for (uint256 i; i < calls.length; ++i) {
            hook.arm(address(market), address(market), calls[i], false);
            vm.prank(carol);
            market.deposit(100e6); // the hook fires on the transfer into the market
            _assertReentryRefused(ReentrancyGuardTransient.Reentrancy.selector);
            assertEq(market.accountOf(carol).margin, 100e6, "the outer deposit completed, once");
            vm.revertToState(snap);
        }
    }

    function test_reentryDuringWithdraw() public {
        hook.arm(address(market), address(market), abi.encodeCall(IMarket.withdraw, (1e6)), false);
        vm.prank(alice);
        market.withdraw(100e6); // the hook fires on the transfer out of the market
        _assertReentryRefused(ReentrancyGuardTransient.Reentrancy.selector);
        assertEq(hook.balanceOf(alice), 100e6, "paid once");
    }

    /// @dev The self-call entry points are not a way around the lock: only the market may call them.
    function test_reentryIntoSelfCallEntryPoints() public {
        bytes[3] memory calls = [
            abi.encodeCall(market.executeDeposit, (carol, 1)),
            abi.encodeCall(market.executeWithdraw, (alice, 1e6)),
            abi.encodeCall(market.executeModify, (alice, 1e18, 0))
        ];
        uint256 snap = vm.snapshotState();
        for (uint256 i; i < calls.length; ++i) {
            hook.arm(address(market), address(market), calls[i], false);
            vm.prank(carol);
            market.deposit(100e6);
            _assertReentryRefused(IMarket.MarketOnlySelf.selector);
            vm.revertToState(snap);
        }
    }

    /// @dev Into the pool from a market call: the pool refreshes the market first, which is locked.
    function test_reentryIntoThePoolDuringAMarketCall() public {
        hook.arm(address(market), address(pool), abi.encodeCall(pool.deposit, (1e6, carol)), false);
        vm.prank(carol);
        market.deposit(100e6);
        _assertReentryRefused(ReentrancyGuardTransient.Reentrancy.selector);
    }

    /// @dev Into the pool (or the market) during an LP deposit: the first transfer is LP -> pool.
    function test_reentryDuringLpDeposit() public {
        bytes[4] memory calls = [
            abi.encodeCall(pool.deposit, (1e6, carol)),
            abi.encodeCall(pool.withdraw, (1e6, lp, lp)),
            abi.encodeCall(pool.redeem, (1e6, lp, lp)),
            abi.encodeCall(pool.claimSettlement, (1, lp))
        ];
        uint256 snap = vm.snapshotState();
        for (uint256 i; i < calls.length; ++i) {
            uint256 expected = pool.previewDeposit(100e6);
            hook.arm(address(pool), address(pool), calls[i], false);
            vm.prank(carol);
            pool.deposit(100e6, carol);
            _assertReentryRefused(ReentrancyGuardTransient.Reentrancy.selector);
            assertEq(pool.balanceOf(carol), expected);
            vm.revertToState(snap);
        }
    }

    /// @dev When the hook lets its failure revert the transfer, the action reverts with the transfer's error
    ///      (SafeTransferLib wraps it), never as a trip.
    function test_bubblingReentry_revertsTheAction_noTrip() public {
        bytes32 before = _fingerprint();
        hook.arm(address(market), address(market), abi.encodeCall(IMarket.deposit, (1)), true);
        vm.expectRevert(SafeTransferLib.TransferFromFailed.selector);
        vm.prank(carol);
        market.deposit(100e6);

        hook.arm(address(market), address(market), abi.encodeCall(IMarket.withdraw, (1)), true);
        vm.expectRevert(SafeTransferLib.TransferFailed.selector);
        vm.prank(alice);
        market.withdraw(100e6);
        // The pool uses OpenZeppelin's SafeERC20, which passes the reentrant call's error through.
        hook.arm(address(pool), address(pool), abi.encodeCall(pool.deposit, (1e6, carol)), true);
        vm.expectRevert(ReentrancyGuardTransient.Reentrancy.selector);
        vm.prank(carol);
        pool.deposit(100e6, carol);
        assertEq(_fingerprint(), before);
    }
}
