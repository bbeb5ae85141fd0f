// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {MarketAccounting} from "../../src/libraries/MarketAccounting.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Issue 9, property 2: a stated bound on what one account can take from the pool over any price path. A
///         close or reduce pays at most MAX_PROFIT_SHARE (10 %) of the pool's equity at the close price, not counting
///         the profit being closed, per account per PROFIT_WINDOW (1 day); the excess stays with the LPs. Found as
///         the Mango shape (test/corpus/mango-pool-take.json): a long pumped in steps each under the 10 % jump band
///         to about x2 and closed was paid the whole manipulated profit from pool cash, even in ReduceOnly.
contract PoolTakeIsBoundedTest is IntegrationBase {
    address internal attacker = makeAddr("attacker");

    /// @dev The Mango replay's sizes: an LP pool of 2,000,000; the attacker puts in 200,000 and goes long 800 at 2,000
    ///      (notional 1,600,000, fee 1,600: 1,280 to the pool), then pushes both feeds to 4,000 in rounds of +9 % or
    ///      less, half an hour apart: every round is accepted as Valid. His paper profit is then 1,600,000, and the
    ///      pool's equity 2,001,280 - 1,600,000 = 401,280.
    function _pumpedToDouble() internal {
        _noFunding();
        _lpDeposit(lp, 2_000_000e6);
        _depositMargin(attacker, 200_000e6);
        _open(attacker, 800e18);
        int256[9] memory path =
            [int256(2180e8), 2376e8, 2590e8, 2823e8, 3077e8, 3354e8, 3656e8, 3985e8, 4000e8];
        for (uint256 i; i < path.length; ++i) {
            _step(path[i], 1800);
            (uint256 accepted,) = guard.lastGoodPrice();
            assertEq(accepted, uint256(path[i]) * 1e10, "every pushed round accepted");
        }
        assertEq(market.poolEquity(), 401_280e6);
    }

    /// @dev What one close may pay at most: 10 % of the pool's equity not counting the closed profit.
    function _cap() internal pure returns (int256) {
        return int256((401_280e6 + 1_600_000e6) * MarketAccounting.MAX_PROFIT_SHARE / 1e18); // 200,128
    }

    /// @notice The manipulated x2 close is paid 200,128 (10 % of the pool's 2,001,280), not 1,600,000; the rest of
    ///         the paper profit stays in the pool, and the LP loses at most that share.
    function test_manipulatedCloseIsPaidAtMostTheCap() public {
        _pumpedToDouble();
        uint256 lpBefore = _lpValue(lp);
        vm.expectEmit(address(market));
        emit IMarket.ProfitCapped(attacker, 1_600_000e6, _cap());
        vm.prank(attacker);
        market.closePosition(0);

        int256 margin = market.accountOf(attacker).margin;
        assertEq(margin, 200_000e6 - 1600e6 + _cap() - 3200e6, "margin + capped profit - both fees");
        vm.prank(attacker);
        market.withdraw(uint256(margin));
        int256 take = int256(usd.balanceOf(attacker)) - 200_000e6;
        assertLe(take, (2_000_000e6 * 1e17) / 1e18, "one account takes at most 10 % of the pool in a window");
        assertGe(_lpValue(lp), 2_000_000e6 - uint256(_cap()), "the LP loses at most the capped profit");
        assertGt(_lpValue(lp), lpBefore, "the unpaid paper profit is the LP's again");
        _assertConserved(_list(attacker));
    }

    /// @notice ReduceOnly still lets the attacker close, and the close is capped the same way.
    function test_reduceOnlyCloseIsCappedToo() public {
        _pumpedToDouble();
        vm.prank(market.guardian());
        market.escalate(Mode.ReduceOnly);
        vm.prank(attacker);
        market.closePosition(0);
        assertEq(market.accountOf(attacker).margin, 200_000e6 - 1600e6 + _cap() - 3200e6);
        _assertAccounting(_list(attacker));
    }

    /// @notice Splitting the close does not widen the bound: every close in the window shares one room, and a
    ///         part's base still deducts the profit left open. The first half (800,000 of profit) is paid 10 % of
    ///         401,280 + 800,000 = 120,128; the second 10 % of the pool then (401,280 + 679,872 kept + the first
    ///         fee's 1,280, plus its own 800,000) less the 120,128 already paid: 188,243.2 in all, under 200,128.
    function test_splitClosesShareOneWindow() public {
        _pumpedToDouble();
        vm.prank(attacker);
        market.modifyPosition(-400e18, 0);
        (uint256 paid,) = market.profitWindow(attacker);
        assertEq(paid, 120_128e6);
        vm.prank(attacker);
        market.closePosition(0);
        (paid,) = market.profitWindow(attacker);
        assertEq(paid, 188_243.2e6);
        assertLe(paid, uint256(_cap()), "no more than one whole close");
        assertEq(market.accountOf(attacker).margin, 200_000e6 - 1600e6 + int256(paid) - 3200e6);
    }

    /// @notice The room is per window: a day later the same account may be paid again, 10 % of the pool then.
    function test_roomRenewsEachWindow() public {
        _pumpedToDouble();
        vm.prank(attacker);
        market.modifyPosition(-400e18, 0);
        (uint256 paid, uint256 start) = market.profitWindow(attacker);
        assertEq(paid, 120_128e6);
        // The price is held for a day (rounds every half hour keep it fresh).
        for (uint256 i; i < 48; ++i) {
            _step(4000e8, 1800);
        }
        vm.prank(attacker);
        market.closePosition(0);
        (uint256 paid2, uint256 start2) = market.profitWindow(attacker);
        assertEq(start2, start + 1 days);
        assertEq(paid2, 188_243.2e6, "a new window: 10 % of 1,882,432");
    }

    /// @notice An honest winner well inside the bound is paid in full: 50 long at 2,000, closed at 2,200 for +10,000
    ///         against a pool of 2,000,000.
    function test_profitInsideTheBoundIsPaidInFull() public {
        _noFunding();
        _lpDeposit(lp, 2_000_000e6);
        _depositMargin(alice, 20_000e6);
        _open(alice, 50e18);
        _step(2100e8, 1800);
        _step(2200e8, 1800);
        vm.prank(alice);
        market.closePosition(0);
        assertEq(market.accountOf(alice).margin, 20_000e6 - 100e6 + 10_000e6 - 110e6);
        (uint256 paid,) = market.profitWindow(alice);
        assertEq(paid, 10_000e6);
    }
}
