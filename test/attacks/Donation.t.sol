// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";

/// @notice Donations to the market or the pool move nothing: the pool's totalAssets is the market's internal
///         pool equity, never a token balance, so a donor cannot move the share price (inflation attack) nor
///         anyone's margin; the surplus just sits above the market's credits.
contract DonationTest is SafetyBaseTest {
    address internal attacker = makeAddr("attacker");
    address internal victim = makeAddr("victim");

    struct Prices {
        uint256 totalAssets;
        uint256 assetsPerShare;
        uint256 sharesFor1000;
        int256 poolEquity;
        uint256 credits;
        int256 aliceMargin;
    }

    function _prices() internal view returns (Prices memory p) {
        p.totalAssets = pool.totalAssets();
        p.assetsPerShare = pool.convertToAssets(1e18);
        p.sharesFor1000 = pool.previewDeposit(1000e6);
        p.poolEquity = market.poolEquity();
        p.credits = _credits();
        p.aliceMargin = market.accountOf(alice).margin;
    }

    function _assertSame(Prices memory a, Prices memory b) internal pure {
        assertEq(a.totalAssets, b.totalAssets, "totalAssets");
        assertEq(a.assetsPerShare, b.assetsPerShare, "share price");
        assertEq(a.sharesFor1000, b.sharesFor1000, "shares for a deposit");
        assertEq(a.poolEquity, b.poolEquity, "pool equity");
        assertEq(a.credits, b.credits, "credits");
        assertEq(a.aliceMargin, b.aliceMargin, "margin");
    }

    function _book() internal {
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _stepPrice(2100e8); // the pool carries alice's unrealised profit
    }

    function test_donationToMarket_movesNothing() public {
        _book();
        Prices memory before = _prices();
        usd.mint(attacker, 500_000e6);
        vm.prank(attacker);
        usd.transfer(address(market), 500_000e6);
        _assertSame(before, _prices());
        assertEq(usd.balanceOf(address(market)), before.credits + 500_000e6, "a stranded surplus");
        // The next LP is priced exactly as before the donation.
        assertEq(_lpDeposit(victim, 1000e6), before.sharesFor1000);
    }

    function test_donationToPool_movesNothing() public {
        _book();
        Prices memory before = _prices();
        usd.mint(attacker, 500_000e6);
        vm.prank(attacker);
        usd.transfer(address(pool), 500_000e6);
        _assertSame(before, _prices());
        assertEq(_lpDeposit(victim, 1000e6), before.sharesFor1000);
    }

    /// @dev The classic first-depositor attack: a dust deposit, a large donation, then a victim's deposit.
    function test_firstDepositorInflation_victimKeepsItsDeposit() public {
        uint256 dust = _lpDeposit(attacker, 1);
        usd.mint(attacker, 1_000_000e6);
        vm.startPrank(attacker);
        usd.transfer(address(pool), 500_000e6);
        usd.transfer(address(market), 500_000e6);
        vm.stopPrank();

        uint256 shares = _lpDeposit(victim, 10_000e6);
        assertGt(shares, 0);
        assertEq(pool.convertToAssets(shares), 10_000e6, "the victim's shares are worth its deposit");
        assertEq(pool.convertToAssets(dust), 1, "the attacker's dust is worth dust");
        _ageShares();
        vm.prank(victim);
        assertEq(pool.redeem(shares, victim, victim), 10_000e6);
    }
}
