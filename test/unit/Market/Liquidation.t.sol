// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Aggregates, Cause, IMarket, MarginAccount, Mode} from "../../../src/interfaces/IMarket.sol";
import {UnitTest} from "../../utils/UnitTest.sol";

/// @dev Funding is off so that equity is exact. Alice goes 10 units long at 2,000 (fee 20, 4 of it to insurance)
///      and the price falls in calm 5% steps, which keep IM and MM at their 10% / 5% floors. The penalty is 2%
///      of the notional at the liquidation price; the keeper gets 25% of it, insurance the rest.
contract MarketLiquidationTest is UnitTest {
    function setUp() public override {
        super.setUp();
        _noFunding();
        _lpDeposit(lp, 100_000e6);
    }

    function _aliceLong(uint256 margin) internal {
        _depositMargin(alice, margin);
        _open(alice, 10e18);
    }

    function _fallTo1800() internal {
        _stepPrice(1900e8, 3000);
        _stepPrice(1800e8, 3000);
        _assertMarginFloors();
    }

    function test_RevertWhen_liquidatingAboveMaintenance() public {
        _aliceLong(2100e6);
        // Equity 2,080 against MM 5% of 20,000 = 1,000.
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketNotLiquidatable.selector, int256(2080e6), 1000e6)
        );
        market.liquidate(alice);
    }

    function test_RevertWhen_liquidatingJustAboveMaintenanceAfterAFall() public {
        _aliceLong(2100e6);
        _stepPrice(1900e8, 3000);
        _assertMarginFloors();
        // Equity 2,080 - 1,000 = 1,080 against MM 5% of 19,000 = 950.
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotLiquidatable.selector, int256(1080e6), 950e6));
        market.liquidate(alice);
    }

    function test_RevertWhen_liquidatingAnAccountWithoutPosition() public {
        _depositMargin(carol, 1000e6);
        vm.prank(keeper);
        vm.expectRevert(IMarket.MarketNoPosition.selector);
        market.liquidate(carol);
    }

    function test_liquidate_paysKeeperAndInsurance_restStaysWithTheAccount() public {
        _aliceLong(2500e6);
        _fallTo1800();
        // Equity 2,480 - 2,000 = 480 < MM 900. Penalty 2% of 18,000 = 360: 90 to the keeper, 270 to insurance.
        vm.expectEmit(address(market));
        emit IMarket.Liquidated(alice, keeper, 10e18, 1800e18, 90e6, 270e6);
        vm.prank(keeper);
        uint256 reward = market.liquidate(alice);
        assertEq(reward, 90e6);
        assertEq(usd.balanceOf(keeper), 90e6);
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.size, 0);
        assertEq(a.openNotional, 0);
        assertEq(a.margin, 120e6); // 480 - 360
        Aggregates memory g = market.aggregates();
        assertEq(g.insurance, 4e6 + 270e6);
        assertEq(g.poolCash, 100_016e6 + 2000e6); // alice's realised loss
        assertEq(g.longOpenInterest, 0);
        assertEq(g.netSize, 0);
        assertEq(g.netOpenNotional, 0);
        // What is left is hers to take.
        vm.prank(alice);
        market.withdraw(120e6);
        assertEq(usd.balanceOf(alice), 120e6);
    }

    function test_liquidate_oddNotional_penaltyRoundsUpKeeperShareRoundsDown() public {
        _depositMargin(alice, 2500e6);
        _open(alice, 10.0000013e18); // basis 20,000.0026, fee 20.000003 (ceil of 20.0000026)
        _fallTo1800();
        // Notional 18,000.00234; penalty ceil(2%) = 360.000047; keeper floor(25%) = 90.000011; insurance the
        // other 270.000036. Margin 2,479.999997 - 2,000.00026 of loss - 360.000047 = 119.99969.
        vm.expectEmit(address(market));
        emit IMarket.Liquidated(alice, keeper, 10.0000013e18, 1800e18, 90_000_011, 270_000_036);
        vm.prank(keeper);
        market.liquidate(alice);
        assertEq(market.accountOf(alice).margin, 119_999_690);
        assertEq(market.aggregates().insurance, 4_000_000 + 270_000_036);
    }

    function test_liquidate_marginBelowPenalty_keeperPaidFirst() public {
        _aliceLong(2100e6);
        _fallTo1800();
        // 80 of margin left after the 2,000 loss: the keeper's 90 is capped at 80, insurance gets nothing.
        vm.expectEmit(address(market));
        emit IMarket.Liquidated(alice, keeper, 10e18, 1800e18, 80e6, 0);
        vm.prank(keeper);
        assertEq(market.liquidate(alice), 80e6);
        assertEq(market.accountOf(alice).margin, 0);
        assertEq(market.aggregates().insurance, 4e6);
    }

    function test_liquidate_short() public {
        _depositMargin(bob, 2500e6);
        _open(bob, -10e18);
        _stepPrice(2100e8, 3000);
        _stepPrice(2200e8, 3000);
        _assertMarginFloors();
        // Equity 2,480 - 2,000 = 480 < MM 1,100. Penalty 2% of 22,000 = 440: 110 keeper, 330 insurance.
        vm.prank(keeper);
        assertEq(market.liquidate(bob), 110e6);
        MarginAccount memory b = market.accountOf(bob);
        assertEq(b.size, 0);
        assertEq(b.margin, 40e6);
        assertEq(market.aggregates().insurance, 4e6 + 330e6);
        assertEq(market.aggregates().shortOpenInterest, 0);
    }

    function test_liquidate_badDebt_coveredByInsuranceFirst() public {
        _aliceLong(2100e6);
        _fund(carol, 5000e6);
        vm.prank(carol);
        market.fundInsurance(5000e6);
        _fallTo1800();
        _stepPrice(1700e8, 3000);
        // Equity 2,080 - 3,000 = -920: all of it from insurance (5,004), nothing from the pool.
        vm.expectEmit(address(market));
        emit IMarket.BadDebt(alice, 920e6, 920e6, 0);
        vm.prank(keeper);
        assertEq(market.liquidate(alice), 0);
        Aggregates memory g = market.aggregates();
        assertEq(g.insurance, 5004e6 - 920e6);
        // The pool gets the whole 3,000 loss: 2,080 from alice's margin, 920 from insurance.
        assertEq(g.poolCash, 100_016e6 + 3000e6);
        assertEq(pool.totalAssets(), 103_016e6);
    }

    function test_liquidate_badDebtBeyondInsurance_socialisedToThePool() public {
        _aliceLong(2100e6);
        _fund(carol, 500e6);
        vm.prank(carol);
        market.fundInsurance(500e6);
        _fallTo1800();
        _stepPrice(1700e8, 3000);
        // Before: pool equity = cash 100,016 + alice's unrealised loss 3,000.
        assertEq(market.poolEquity(), 103_016e6);
        // The market tightens itself in the same call: insurance emptied below its 1,000 floor -> Cautious; a
        // loss socialised to the LPs -> ReduceOnly.
        vm.expectEmit(address(market));
        emit IMarket.BadDebt(alice, 920e6, 504e6, 416e6);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.Cautious, Cause.InsuranceBelowFloor);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Cautious, Mode.ReduceOnly, Cause.LossSocialised);
        vm.expectEmit(address(market));
        emit IMarket.Liquidated(alice, keeper, 10e18, 1700e18, 0, 0);
        vm.prank(keeper);
        market.liquidate(alice);
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.margin, 0);
        assertEq(a.size, 0);
        assertEq(a.openNotional, 0);
        Aggregates memory g = market.aggregates();
        assertEq(g.insurance, 0);
        assertEq(g.totalMargin, 0);
        // The pool took the 3,000 loss but pays 416 of bad debt: it recognises 416 less than it counted.
        assertEq(g.poolCash, 100_016e6 + 3000e6 - 416e6);
        assertEq(market.poolEquity(), 103_016e6 - 416e6);
        assertEq(usd.balanceOf(address(market)), 102_600e6);
        assertEq(uint8(market.mode()), uint8(Mode.ReduceOnly));
    }

    function test_liquidate_accountWithoutExposureNeverLoses() public {
        _depositMargin(carol, 5000e6);
        _aliceLong(2100e6);
        _depositMargin(bob, 2100e6);
        _open(bob, 10e18);
        _fallTo1800();
        _stepPrice(1700e8, 3000);
        vm.startPrank(keeper);
        market.liquidate(alice);
        market.liquidate(bob);
        vm.stopPrank();
        // Two bad debts socialised; carol, who never traded, is untouched.
        MarginAccount memory c = market.accountOf(carol);
        assertEq(c.margin, 5000e6);
        assertEq(c.size, 0);
        vm.prank(carol);
        market.withdraw(5000e6);
        assertEq(usd.balanceOf(carol), 5000e6);
    }

    function test_liquidate_isPermissionless() public {
        _aliceLong(2500e6);
        _fallTo1800();
        vm.prank(stranger);
        assertEq(market.liquidate(alice), 90e6);
        assertEq(usd.balanceOf(stranger), 90e6);
    }
}
