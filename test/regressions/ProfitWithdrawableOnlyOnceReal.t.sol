// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket} from "../../src/interfaces/IMarket.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Issue 9, property 1: profit is withdrawable only once it is real. A margin withdrawal while a position is
///         open counts the position's unrealised loss but never its unrealised profit, so profit that a pumped (or
///         not yet confirmed) price created cannot leave the market before the position is reduced or closed.
///         Found as the Mango shape (test/corpus/mango-profit-withdrawn-while-open.json): long, pump in steps under
///         the jump band, withdraw the margin the paper profit stood in for, let the pump go: bad debt for the LPs.
contract ProfitWithdrawableOnlyOnceRealTest is IntegrationBase {
    /// @dev LP 1,000,000; Alice 20,000, long 50 at 2,000 (notional 100,000, fee 100): margin 19,900. Then the price
    ///      is pushed to 2,400 in steps of 5 % or less: +20,000 of unrealised profit. Initial margin at 2,400 is
    ///      10 % of 120,000 = 12,000.
    function _pumped() internal {
        _noFunding();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 20_000e6);
        _open(alice, 50e18);
        _step(2100e8, 1800);
        _step(2200e8, 1800);
        _step(2300e8, 1800);
        _step(2400e8, 1800);
        _stableFollows();
        (int256 equity, uint256 im,,) = market.accountHealth(alice);
        assertEq(equity, 39_900e6, "margin 19,900 + unrealised 20,000");
        assertEq(im, 12_000e6);
    }

    /// @notice Only the margin above the initial requirement leaves: 19,900 - 12,000 = 7,900. The withdrawal the
    ///         paper profit would have covered (19,000, leaving 900 of margin under a 12,000 requirement) is refused
    ///         with the equity it may count (margin only) against the requirement.
    function test_unrealisedProfitIsNotWithdrawable() public {
        _pumped();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, int256(900e6), 12_000e6)
        );
        market.withdraw(19_000e6);

        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, int256(12_000e6 - 1), 12_000e6)
        );
        market.withdraw(7900e6 + 1);

        vm.prank(alice);
        market.withdraw(7900e6);
        assertEq(market.accountOf(alice).margin, 12_000e6);
        _assertConserved(_list(alice));
    }

    /// @notice Why it matters: Alice takes out all the market lets her (she tries the paper profit first), then the
    ///         pump is abandoned (back to 2,000). What she left behind is her own margin, 12,000, still above the
    ///         initial requirement at the entry price (10,000): the LPs owe nothing when the price comes back.
    function test_abandonedPumpLeavesTheAccountBacked() public {
        _pumped();
        vm.startPrank(alice);
        try market.withdraw(19_000e6) {}
        catch {
            market.withdraw(7900e6);
        }
        vm.stopPrank();
        _step(2300e8, 1800);
        _step(2200e8, 1800);
        _step(2100e8, 1800);
        _step(2000e8, 1800);
        (int256 equity, uint256 im,,) = market.accountHealth(alice);
        assertEq(equity, 12_000e6, "the margin left; the paper profit is gone");
        assertGe(equity, int256(im), "the position stands on its own margin");
        vm.prank(alice);
        market.closePosition(0);
        _assertConserved(_list(alice));
    }

    /// @notice Losses count in full: at 1,900 (unrealised -5,000, requirement 9,500) Alice may take out
    ///         19,900 - 5,000 - 9,500 = 5,400 and not a unit more.
    function test_unrealisedLossStillCounts() public {
        _noFunding();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 20_000e6);
        _open(alice, 50e18);
        _step(1900e8, 1800);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, int256(9500e6 - 1), 9500e6)
        );
        market.withdraw(5400e6 + 1);
        vm.prank(alice);
        market.withdraw(5400e6);
        _assertConserved(_list(alice));
    }

    /// @notice Profit becomes real by closing (or reducing): realised, it is margin, and margin of an idle account
    ///         leaves in full.
    function test_realisedProfitIsWithdrawable() public {
        _pumped();
        vm.prank(alice);
        market.closePosition(0); // +20,000 realised, fee 120
        uint256 margin = uint256(market.accountOf(alice).margin);
        assertEq(margin, 19_900e6 + 20_000e6 - 120e6);
        vm.prank(alice);
        market.withdraw(margin);
        assertEq(usd.balanceOf(alice), margin);
        _assertConserved(_list(alice));
    }
}
