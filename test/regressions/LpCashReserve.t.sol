// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Cause, IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

/// @notice Regression for the LP cash drain (found by the harness's model, fixed in b9c0ab8): the backing rule
///         counted pool *equity*, which includes traders' unrealised losses — value the pool will only receive
///         when they close — so LPs could take out cash the winners' profits and funding are paid from. LP exits
///         must now leave pool cash >= minBacking x net notional as well as the equity, in the pool's limits
///         (maxWithdraw/maxRedeem) and in the market's own check.
contract LpCashReserveTest is IntegrationBase {
    /// @dev LP 100,000; Alice 20,000, long 50 at 2,000 (fee 100: 80 to the pool), then the price falls 10% to 1,800:
    ///      her unrealised loss of 10,000 is pool equity but not pool cash.
    ///      cash 100,080; equity 110,080; net notional 90,000; required backing (50%) 45,000.
    function _bookWithUnrealisedTraderLoss() internal {
        _noFunding();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 20_000e6);
        _open(alice, 50e18);
        _step(1900e8, 1800);
        _step(1800e8, 1800);
        assertEq(market.aggregates().poolCash, 100_080e6);
        assertEq(market.poolEquity(), 110_080e6);
    }

    /// @notice The LPs may take what leaves both the equity and the cash above the required backing: the smaller
    ///         of 110,080 - 45,000 and 100,080 - 45,000, i.e. the cash's 55,080 (the outflow limiter, 100,000 on
    ///         the day of the LP's own deposit, does not bind).
    function test_lpExit_keepsTheBackingInCash() public {
        _bookWithUnrealisedTraderLoss();
        assertEq(pool.outflowAvailable(), 100_000e6);
        assertEq(market.poolWithdrawable(), 55_080e6, "bounded by the cash, not by the equity (65,080)");
        uint256 max = pool.maxWithdraw(lp);
        assertEq(max, 55_080e6);

        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxWithdraw.selector, lp, max + 1, max));
        vm.prank(lp);
        pool.withdraw(max + 1, lp, lp);

        vm.prank(lp);
        pool.withdraw(max, lp, lp);
        assertEq(market.aggregates().poolCash, 45_000e6, "exactly the required backing stays, in cash");
        assertEq(market.poolWithdrawable(), 0);
        _assertConserved(_list(alice));
    }

    /// @notice The market enforces it itself, whatever the pool asks: an LP payout that would leave the cash one
    ///         unit below the backing is refused with MarketInsufficientBacking(cashAfter, required), although the
    ///         equity after it would still cover the backing.
    function test_marketRefusesAPayoutBelowTheCashReserve() public {
        _bookWithUnrealisedTraderLoss();
        vm.prank(address(pool));
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientBacking.selector, int256(45_000e6 - 1), 45_000e6)
        );
        market.onPoolWithdraw(lp, 55_080e6 + 1);
    }

    /// @notice Why: the reserve pays the winners. Alice recovers and closes in profit after the LP took all it
    ///         could; the pool pays her from the cash it kept. (On the way up the pool's equity falls below the
    ///         backing of her notional — at 1,980 it is 46,000 against 49,500; that refuses increases and LP withdrawals
    ///         per action, and never blocks her close.)
    function test_reservePaysTheWinners() public {
        _bookWithUnrealisedTraderLoss();
        uint256 max = pool.maxWithdraw(lp);
        vm.prank(lp);
        pool.withdraw(max, lp, lp);

        vm.warp(block.timestamp + 1800);
        _setPrice(1980e8);
        market.refresh();
        assertEq(market.poolEquity(), 46_000e6);
        _step(2150e8, 1800);
        _stableFollows();
        // She realises +7,500 and pays a fee of 107.5 (86 to the pool). Her profit is 17 % of the pool it comes from
        // (45,000 not counting it), above the 10 % one account is paid per day (MarketAccounting.MAX_PROFIT_SHARE):
        // the reserve pays her 4,500 and the rest stays with the LPs.
        vm.prank(alice);
        market.closePosition(0);
        assertEq(market.aggregates().poolCash, 45_000e6 - 4500e6 + 86e6, "paid from the reserve");
        assertEq(market.accountOf(alice).margin, 20_000e6 - 100e6 + 4500e6 - 107.5e6);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "below backing is not a mode");
        _assertAccounting(_list(alice));
    }
}
