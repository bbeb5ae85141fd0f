// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IntegrationBase} from "../integration/IntegrationBase.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

/// @notice Regression for issue 10's ERC-4626 findings: `totalAssets` (and so every preview, conversion and max*)
///         priced at the guard's last accepted round while deposit/mint/withdraw/redeem first refresh the market,
///         which accepts a pending Valid round and accrues funding at it. With a position open and a round published
///         but not yet read, deposit minted fewer shares than previewDeposit promised, redeem paid less than
///         previewRedeem, and withdraw(maxWithdraw) / redeem(maxRedeem) reverted; maxDeposit ignored the oracle, and
///         an LP exit on a bad reading returned 0 instead of reverting. Property: previews and max* describe exactly
///         what the action does in the same transaction, whatever round is pending; failures revert.
contract Erc4626ViewsAgreeWithActionsTest is IntegrationBase {
    address internal lp2 = makeAddr("lp2");

    /// @dev LP 1,000,000; Alice long 400 at 2,000 (100,000 margin); an hour later a round at `answer` is published
    ///      and nobody has read it yet.
    function _pendingRound(int256 answer) internal {
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 100_000e6);
        _open(alice, 400e18);
        _fund(lp2, 10_000_000e6);
        vm.warp(block.timestamp + 1 hours);
        _setPrice(answer);
        (uint256 last,) = guard.lastGoodPrice();
        assertEq(last, 2000e18, "precondition: the round is pending");
        assertTrue(guard.peek().lastGoodPrice != 2000e18, "precondition: the round moves the price");
    }

    function _bps(bool up, uint256 bps) internal pure returns (int256) {
        bps = bps % 900 + 1; // a move, within the 10% jump band
        return int256(up ? 2000e8 * (10_000 + bps) / 10_000 : 2000e8 * (10_000 - bps) / 10_000);
    }

    function testFuzz_previews_matchTheActions_withARoundPending(bool up, uint256 bps, uint256 amount)
        public
    {
        _pendingRound(_bps(up, bps));
        amount = bound(amount, 1e6, 1_000_000e6);
        uint256 snap = vm.snapshotState();

        uint256 preview = pool.previewDeposit(amount);
        vm.prank(lp2);
        assertEq(pool.deposit(amount, lp2), preview, "deposit != previewDeposit");
        vm.revertToState(snap);

        preview = pool.previewMint(amount * 1e6);
        vm.prank(lp2);
        assertEq(pool.mint(amount * 1e6, lp2), preview, "mint != previewMint");
        vm.revertToState(snap);

        uint256 shares = pool.balanceOf(lp) / 10;
        preview = pool.previewRedeem(shares);
        vm.prank(lp);
        assertEq(pool.redeem(shares, lp, lp), preview, "redeem != previewRedeem");
        vm.revertToState(snap);

        uint256 assets = amount / 10;
        preview = pool.previewWithdraw(assets);
        vm.prank(lp);
        assertEq(pool.withdraw(assets, lp, lp), preview, "withdraw != previewWithdraw");
    }

    function testFuzz_maxWithdrawAndMaxRedeem_areAccepted_withARoundPending(bool up, uint256 bps) public {
        _pendingRound(_bps(up, bps));
        uint256 snap = vm.snapshotState();
        uint256 max = pool.maxWithdraw(lp);
        assertGt(max, 0);
        vm.prank(lp);
        pool.withdraw(max, lp, lp);
        assertEq(pool.maxWithdraw(lp), 0, "maxWithdraw was not the maximum");
        vm.revertToState(snap);

        max = pool.maxRedeem(lp);
        assertGt(max, 0);
        uint256 previewed = pool.previewRedeem(max);
        vm.prank(lp);
        assertEq(pool.redeem(max, lp, lp), previewed, "redeem(maxRedeem) != previewRedeem");
    }

    function test_maxDeposit_isZeroWhenTheOracleWouldRefuseTheDeposit() public {
        _lpDeposit(lp, 1_000_000e6);
        _fund(lp2, 1_000_000e6);
        vm.warp(block.timestamp + 1 hours + 1); // the last round is now Stale
        assertEq(pool.maxDeposit(lp2), 0);
        assertEq(pool.maxMint(lp2), 0);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxDeposit.selector, lp2, 1e6, 0));
        vm.prank(lp2);
        pool.deposit(1e6, lp2);
        _setPrice(2000e8);
        assertEq(pool.maxDeposit(lp2), type(uint256).max);
    }

    /// @dev A bad reading: the exit reverts (nothing returned as 0, nothing burned), and max* said so beforehand.
    function test_anExitOnABadReading_reverts() public {
        _lpDeposit(lp, 1_000_000e6);
        vm.warp(block.timestamp + 60);
        _setPrimaryUnconfirmed(2500e8); // +25% and unconfirmed: TooVolatile
        assertEq(pool.maxWithdraw(lp), 0);
        assertEq(pool.maxRedeem(lp), 0);
        uint256 shares = pool.balanceOf(lp);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, lp, shares, 0));
        vm.prank(lp);
        pool.redeem(shares, lp, lp);
        assertEq(pool.balanceOf(lp), shares);
    }
}
