// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILiquidityPool} from "../../src/interfaces/ILiquidityPool.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

/// @notice Regression for M-04 (issue 10, property 1): the share price is pool equity at the last accepted price and
///         deposit and redeem charged nothing, so capital deposited one block before an oracle round and redeemed
///         right after it took its pro-rata share of the round's PnL. Property: no deposit–redeem round trip around
///         one oracle round pays — shares are held at least the feed's heartbeat (the guard's `maxAge`) before they
///         can be redeemed or transferred, so whoever takes a round's gain has carried the book for at least as long
///         as one round accrues over; a top-up relocks only the shares still young, never the free ones. (A holder of
///         old shares who redeems those instead is bounded by the LP price: OldSharesCannotCarryAYoungDeposit.)
contract LpRoundTripAroundARoundDoesNotPayTest is IntegrationBase {
    address internal attacker = makeAddr("attacker");

    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 100_000e6);
        _open(alice, 100e18); // 200,000 long at 2,000
        vm.warp(block.timestamp + pool.minHoldingPeriod()); // the honest LP's shares are old
        _step(2000e8, 0);
    }

    /// @notice 9,000,000 deposited one block before a −5% round (alice loses 10,000 to the pool) cannot be redeemed
    ///         or moved to a fresh account after it: the round trip is refused, not paid.
    function test_aDepositOneBlockBeforeARound_cannotLeaveAfterIt() public {
        uint256 shares = _lpDeposit(attacker, 9_000_000e6);
        _step(1900e8, 12);
        assertGt(
            shares * (uint256(market.poolEquity()) + 1) / (pool.totalSupply() + 1e6),
            uint256(9_000_000e6),
            "the round paid the pool"
        );
        assertEq(pool.maxRedeem(attacker), 0, "young shares are redeemable");
        assertEq(pool.maxWithdraw(attacker), 0, "young shares are withdrawable");
        vm.prank(attacker);
        vm.expectRevert(
            abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, attacker, shares, 0)
        );
        pool.redeem(shares, attacker, attacker);
        address fresh = makeAddr("fresh");
        uint256 until = block.timestamp - 12 + pool.minHoldingPeriod();
        vm.prank(attacker);
        vm.expectRevert(
            abi.encodeWithSelector(ILiquidityPool.PoolSharesLocked.selector, attacker, shares, until)
        );
        pool.transfer(fresh, shares);
    }

    /// @notice The holding period is the feed's heartbeat, and shares are free once it has passed.
    function test_sharesAreFree_afterTheHoldingPeriod() public {
        assertEq(pool.minHoldingPeriod(), guard.params().maxAge, "the holding period is not the heartbeat");
        uint256 shares = _lpDeposit(attacker, 100_000e6);
        _step(2000e8, pool.minHoldingPeriod() - 1);
        assertEq(pool.maxRedeem(attacker), 0, "freed a second early");
        _step(2000e8, 1);
        assertEq(pool.maxRedeem(attacker), shares, "not freed after the holding period");
        vm.prank(attacker);
        pool.redeem(shares, attacker, attacker);
    }

    /// @notice A top-up locks only the new shares (and any still young): an old holder's free shares stay free, and
    ///         a large old balance cannot carry a new deposit out early.
    function test_aTopUp_locksOnlyTheNewShares() public {
        uint256 old = pool.balanceOf(lp);
        uint256 topUp = _lpDeposit(lp, 1000e6);
        (uint256 locked,) = pool.lockedShares(lp);
        assertEq(locked, topUp, "the top-up relocked the old shares");
        assertGt(pool.maxRedeem(lp), 0, "the top-up locked the old shares");
        assertLe(pool.maxRedeem(lp), old, "young shares counted as free");
        uint256 until = block.timestamp + pool.minHoldingPeriod();
        vm.prank(lp);
        pool.transfer(attacker, old); // the old shares move freely
        vm.prank(lp);
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.PoolSharesLocked.selector, lp, topUp, until));
        pool.transfer(attacker, 1);
    }
}
