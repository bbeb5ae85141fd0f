// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Regression for M-05 (issue 10, property 1): the insurance sub-fund goes to the LPs at settlement but was not
///         in the share price, so a deposit in the same transaction as executing the (public, queued) governance
///         `settle()` took 180,000 of a 200,000 fund. Property: no deposit–redeem (or deposit–claim) round trip around
///         a settlement earns more than its holder's time-weighted share; the insurance fund's treatment at
///         settlement is priced in before anyone can enter: with shares outstanding, a deposit buys its shares at
///         pool equity plus the insurance fund.
contract InsuranceIsPricedInBeforeEntryTest is IntegrationBase {
    address internal attacker = makeAddr("attacker");

    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 1_000_000e6);
        _fundInsurance(carol, 200_000e6);
    }

    function _claimAll(address who) internal returns (uint256) {
        uint256 shares = pool.balanceOf(who);
        vm.prank(who);
        return pool.claimSettlement(shares, who);
    }

    /// @notice 9,000,000 deposited right before the settlement claims back what it paid (to rounding), and the LP
    ///         who was there keeps the whole fund.
    function test_aDepositRightBeforeSettlement_doesNotTakeTheInsuranceFund() public {
        _lpDeposit(attacker, 9_000_000e6);
        market.settle();
        vm.warp(block.timestamp + market.safetyParams().settlementWindow);
        uint256 attackerOut = _claimAll(attacker);
        uint256 lpOut = _claimAll(lp);
        assertLe(attackerOut, 9_000_000e6 + 1e6, "the entrant took part of the insurance fund");
        assertGe(lpOut, 1_200_000e6 - 1e6, "the LP who was there lost part of the fund");
    }

    /// @notice The cost to an honest entrant who leaves before any settlement: it buys at (1,000,000 + 200,000) per
    ///         supply, so 120,000 buys a tenth of the existing shares; redeemed at once they are worth 1,120,000 / 11
    ///         = 101,818: the 18,182 difference (its premium less its own share of it) stays with the LPs who were
    ///         there, and comes back to it only if the market settles while it holds.
    function test_theEntryPremium_isTheFundsShare() public {
        uint256 previewed = pool.previewDeposit(120_000e6);
        uint256 shares = _lpDeposit(attacker, 120_000e6);
        assertEq(shares, previewed, "previewDeposit describes the deposit");
        assertApproxEqAbs(shares, pool.totalSupply() / 11, 1e6);
        assertApproxEqAbs(pool.previewRedeem(shares), uint256(1_120_000e6) / 11, 1e6);
    }
}
