// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Aggregates, IMarket, MarginAccount} from "../../../src/interfaces/IMarket.sol";
import {UnitTest} from "../../utils/UnitTest.sol";

contract MarketMarginTest is UnitTest {
    function setUp() public override {
        super.setUp();
        _noFunding();
        _lpDeposit(lp, 100_000e6);
    }

    function test_deposit_creditsMarginAndPullsTokens() public {
        _fund(alice, 1000e6);
        vm.expectEmit(address(market));
        emit IMarket.Deposited(alice, 1000e6);
        vm.prank(alice);
        market.deposit(1000e6);
        assertEq(market.accountOf(alice).margin, 1000e6);
        assertEq(usd.balanceOf(alice), 0);
        assertEq(usd.balanceOf(address(market)), 101_000e6);
        assertEq(market.aggregates().totalMargin, 1000e6);
    }

    function test_deposit_twice_accumulates() public {
        _depositMargin(alice, 1000e6);
        _depositMargin(alice, 234e6);
        assertEq(market.accountOf(alice).margin, 1234e6);
        assertEq(market.aggregates().totalMargin, 1234e6);
    }

    function test_withdraw_noPosition_paysExactAmount() public {
        _depositMargin(alice, 1000e6);
        vm.expectEmit(address(market));
        emit IMarket.Withdrawn(alice, 400e6);
        vm.prank(alice);
        market.withdraw(400e6);
        assertEq(market.accountOf(alice).margin, 600e6);
        assertEq(usd.balanceOf(alice), 400e6);
        assertEq(market.aggregates().totalMargin, 600e6);
        assertEq(usd.balanceOf(address(market)), 100_600e6);
    }

    function test_withdraw_everything_noPosition() public {
        _depositMargin(alice, 1000e6);
        vm.prank(alice);
        market.withdraw(1000e6);
        assertEq(market.accountOf(alice).margin, 0);
        assertEq(usd.balanceOf(alice), 1000e6);
    }

    function test_RevertWhen_withdrawMoreThanMargin() public {
        _depositMargin(alice, 1000e6);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientFreeMargin.selector, 1000e6 + 1, 1000e6)
        );
        market.withdraw(1000e6 + 1);
    }

    function test_withdraw_withPosition_downToInitialMarginExactly() public {
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        // Margin 10,000 - 20 fee = 9,980; IM = 10% of 20,000 = 2,000; equity at the entry price = margin.
        vm.prank(alice);
        market.withdraw(7980e6);
        assertEq(market.accountOf(alice).margin, 2000e6);
        assertEq(usd.balanceOf(alice), 7980e6);
    }

    function test_RevertWhen_withdrawBelowInitialMarginWithPosition() public {
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, int256(2000e6 - 1), 2000e6)
        );
        market.withdraw(7980e6 + 1);
    }

    function test_withdraw_withPosition_unrealisedLossShrinksFreeMargin() public {
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _stepPrice(1900e8, 1800);
        _assertMarginFloors();
        // Equity = 9,980 - 1,000 = 8,980; IM = 10% of 19,000 = 1,900: 7,080 free.
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, int256(1900e6 - 1), 1900e6)
        );
        market.withdraw(7080e6 + 1);
        vm.prank(alice);
        market.withdraw(7080e6);
        assertEq(market.accountOf(alice).margin, 2900e6);
    }

    function test_RevertWhen_withdrawUnrealisedProfit() public {
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _stepPrice(2100e8, 1800);
        // Equity is 10,980 but only the 9,980 of margin is withdrawable; profit must be realised first.
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientFreeMargin.selector, 9980e6 + 1, 9980e6)
        );
        market.withdraw(9980e6 + 1);
    }

    function test_fundInsurance_creditsInsurance() public {
        _fund(carol, 500e6);
        vm.expectEmit(address(market));
        emit IMarket.InsuranceFunded(carol, 500e6);
        vm.prank(carol);
        market.fundInsurance(500e6);
        Aggregates memory g = market.aggregates();
        assertEq(g.insurance, 500e6);
        assertEq(g.totalMargin, 0);
        assertEq(usd.balanceOf(address(market)), 100_500e6);
    }

    function test_deposit_neverTradedUser_withdrawsExactlyWhatTheyDeposited() public {
        _depositMargin(carol, 777e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _stepPrice(2100e8, 1800);
        vm.prank(alice);
        market.closePosition(0);
        vm.prank(carol);
        market.withdraw(777e6);
        assertEq(usd.balanceOf(carol), 777e6);
        MarginAccount memory c = market.accountOf(carol);
        assertEq(c.margin, 0);
        assertEq(c.size, 0);
    }
}
