// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

/// @notice The LP outflow limiter (25% of pool equity per day, net; deposits in a window add room) against a
///         flash deposit-then-withdraw: it must neither use up the honest LPs' room nor inflate it.
contract LpOutflowTest is SafetyBaseTest {
    address internal flash = makeAddr("flash");
    address internal lp2 = makeAddr("lp2");

    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 1_000_000e6);
        vm.warp(block.timestamp + 1 days); // the deposit's window is over
        _setPrice(2000e8); // keep the oracle fresh
    }

    /// @dev Deposits `amount` and tries to redeem every share in the same block, what a flash loan allows: the shares
    ///      are locked for the holding period, so the exit is refused.
    function _flashIn(uint256 amount) internal {
        uint256 shares = _lpDeposit(flash, amount);
        assertEq(pool.maxRedeem(flash), 0, "young shares redeemable");
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, flash, shares, 0));
        vm.prank(flash);
        pool.redeem(shares, flash, flash);
    }

    function test_room_is25PercentOfEquityPerDay() public {
        assertEq(pool.outflowAvailable(), 250_000e6);
        assertEq(pool.maxWithdraw(lp), 250_000e6);
        vm.prank(lp);
        pool.withdraw(250_000e6, lp, lp);
        assertEq(pool.outflowAvailable(), 0);
        // The max checks stop an over-limit exit first (PoolOutflowLimit is the backstop behind them).
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxWithdraw.selector, lp, 1, 0));
        vm.prank(lp);
        pool.withdraw(1, lp, lp);

        vm.warp(block.timestamp + 1 days);
        _setPrice(2000e8);
        assertEq(pool.outflowAvailable(), 187_500e6, "25% of the 750,000 left");
    }

    function test_depositsInTheWindowAddRoom() public {
        vm.prank(lp);
        pool.withdraw(10_000e6, lp, lp); // opens the window: room 250,000 - 10,000
        assertEq(pool.outflowAvailable(), 240_000e6);
        _lpDeposit(lp2, 100_000e6);
        assertEq(pool.outflowAvailable(), 340_000e6);
    }

    function test_flashDepositWithdraw_midWindow_leavesHonestRoom() public {
        vm.prank(lp);
        pool.withdraw(10_000e6, lp, lp);
        uint256 room = pool.outflowAvailable();
        _flashIn(3_000_000e6);
        assertEq(pool.outflowAvailable(), room + 3_000_000e6, "the inflow adds its own room");
        vm.prank(lp);
        pool.withdraw(room, lp, lp);
    }

    /// @dev At the start of a window the limiter takes its base from the pool's equity; a deposit in the same
    ///      call must not count both in the base and as an inflow, or a flash deposit inflates the room.
    function test_flashDepositWithdraw_atWindowStart_doesNotInflateRoom() public {
        assertEq(pool.outflowAvailable(), 250_000e6);
        _flashIn(3_000_000e6);
        // The new window's base is the equity before the deposit: the inflow adds its own size, not 25% more.
        assertEq(pool.outflowAvailable(), 250_000e6 + 3_000_000e6, "the deposit counted in the base too");
    }
}
