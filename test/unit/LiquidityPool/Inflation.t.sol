// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UnitTest} from "../../utils/UnitTest.sol";

/// @dev totalAssets comes from the market's internal accounting, so tokens sent straight to the market or the
///      pool move nothing; the 1e6 virtual shares make the rounding games of an empty vault worthless.
contract LiquidityPoolInflationTest is UnitTest {
    address internal attacker = makeAddr("attacker");
    address internal victim = makeAddr("victim");

    function test_donationToTheMarket_movesNeitherTotalAssetsNorSharePrice() public {
        _lpDeposit(lp, 1000e6);
        uint256 price = pool.convertToAssets(1e15);
        usd.mint(address(market), 5000e6);
        assertEq(pool.totalAssets(), 1000e6);
        assertEq(pool.convertToAssets(1e15), price);
        assertEq(market.aggregates().poolCash, 1000e6);
    }

    function test_donationToThePool_movesNeitherTotalAssetsNorSharePrice() public {
        _lpDeposit(lp, 1000e6);
        uint256 price = pool.convertToAssets(1e15);
        usd.mint(address(pool), 5000e6);
        assertEq(pool.totalAssets(), 1000e6);
        assertEq(pool.convertToAssets(1e15), price);
    }

    function test_firstDepositorInflation_victimKeepsTheirDeposit() public {
        // 1 wei buys 1 * (0 + 1e6) / (0 + 1) = 1e6 shares.
        assertEq(_lpDeposit(attacker, 1), 1e6);
        usd.mint(attacker, 2_000_000e6);
        vm.startPrank(attacker);
        usd.transfer(address(pool), 1_000_000e6);
        usd.transfer(address(market), 1_000_000e6);
        vm.stopPrank();
        // The donation did not count: totalAssets is still 1 wei.
        assertEq(pool.totalAssets(), 1);
        // 1,000e6 * (1e6 + 1e6) / (1 + 1) = 1e15 shares: the same price the attacker paid.
        uint256 shares = _lpDeposit(victim, 1000e6);
        assertEq(shares, 1e15);
        // 1e15 * (1,000e6 + 1 + 1) / (1e15 + 1e6 + 1e6) = 1,000e6: the victim can take all of it back (after the
        // holding period).
        _ageShares();
        assertEq(pool.maxRedeem(victim), shares);
        vm.prank(victim);
        assertEq(pool.redeem(shares, victim, victim), 1000e6);
        assertEq(usd.balanceOf(victim), 1000e6);
    }

    function test_firstDepositorInflation_attackerLosesTheDonation() public {
        _lpDeposit(attacker, 1);
        usd.mint(attacker, 1_000_000e6);
        vm.prank(attacker);
        usd.transfer(address(market), 1_000_000e6);
        _lpDeposit(victim, 1000e6);
        // The attacker's shares are still worth their 1 wei; the donation is nobody's.
        assertEq(pool.convertToAssets(pool.balanceOf(attacker)), 1);
        assertEq(pool.totalAssets(), 1000e6 + 1);
        assertEq(usd.balanceOf(address(market)), 1_000_000e6 + 1000e6 + 1);
    }
}
