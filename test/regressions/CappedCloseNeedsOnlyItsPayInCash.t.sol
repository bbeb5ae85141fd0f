// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket} from "../../src/interfaces/IMarket.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Issue 9/10 (profit-can-close), found by the adversarial fuzz suite (seed 42): a winner's close was refused
///         with MarketPoolCannotPay when the pool's cash was below the whole realised profit, although the profit
///         cap pays only a share of it, which the cash held. Property: a close is refused for the pool's cash only
///         when the cash cannot pay what the close is paid (after the cap).
contract CappedCloseNeedsOnlyItsPayInCashTest is IntegrationBase {
    /// @notice LP pool 1,000,000; the attacker long 800 at 2,000, bob short 700 with margin to spare. Both feeds
    ///         pushed to 4,000 under the band: the attacker is owed 1,600,000, more than the pool's 1,002,400 of
    ///         cash, while bob's 1,400,000 loss keeps the pool's equity at 802,400. The room is 10 % of
    ///         802,400 + 1,600,000 = 240,240: the close is paid that, which the cash holds.
    function test_aCloseCappedBelowTheCashGoesThrough() public {
        _noFunding();
        _lpDeposit(lp, 1_000_000e6);
        address attacker = makeAddr("attacker");
        _depositMargin(attacker, 200_000e6);
        _depositMargin(bob, 2_000_000e6);
        _open(attacker, 800e18);
        _open(bob, -700e18);
        int256[9] memory path =
            [int256(2180e8), 2376e8, 2590e8, 2823e8, 3077e8, 3354e8, 3656e8, 3985e8, 4000e8];
        for (uint256 i; i < path.length; ++i) {
            _step(path[i], 1800);
        }
        _stableFollows();
        int256 cash = market.aggregates().poolCash;
        assertEq(cash, 1_002_400e6, "the LP's 1,000,000 and 80 % of the opening fees");
        assertLt(cash, 1_600_000e6, "less cash than the whole profit");

        vm.prank(attacker);
        market.closePosition(0);
        (uint256 paid,) = market.profitWindow();
        assertEq(paid, 240_240e6, "10 % of the pool's equity not counting the 1,600,000 owed");
        assertEq(market.accountOf(attacker).margin, 200_000e6 - 1600e6 + int256(paid) - 3200e6);
        _assertAccounting(_list(attacker, bob));
        vm.prank(bob);
        market.closePosition(0);
        _assertConserved(_list(attacker, bob));
    }
}
