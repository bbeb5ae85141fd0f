// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, Mode, SettlementSnapshot} from "../../src/interfaces/IMarket.sol";
import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";

/// @notice Claim-order games in Settlement: whoever claims first, in whatever order, in however many pieces and
///         from however many addresses, every party is paid the same, and the total never exceeds the snapshot's
///         assets. (Premise: underwater accounts were realised in the window; Settlement.t.sol shows why.)
abstract contract ClaimOrderBase is SafetyBaseTest {
    address internal lp2 = makeAddr("lp2");
    address internal lp3 = makeAddr("lp3");

    address[] internal parties;
    bool[] internal isLp;

    function _party(address who, bool lp_) internal {
        parties.push(who);
        isLp.push(lp_);
    }

    function _claim(uint256 i) internal returns (uint256) {
        address who = parties[i];
        vm.prank(who);
        if (!isLp[i]) return market.claim();
        uint256 shares = pool.balanceOf(who);
        vm.prank(who);
        return pool.claimSettlement(shares, who);
    }

    function _claimAll(uint256[] memory order) internal returns (uint256[] memory paid, uint256 total) {
        paid = new uint256[](parties.length);
        for (uint256 k; k < order.length; ++k) {
            paid[order[k]] = _claim(order[k]);
            total += paid[order[k]];
        }
    }

    function _identity() internal view returns (uint256[] memory order) {
        order = new uint256[](parties.length);
        for (uint256 i; i < order.length; ++i) {
            order[i] = i;
        }
    }

    /// @dev Fisher-Yates from `seed`.
    function _shuffle(uint256 seed) internal view returns (uint256[] memory order) {
        order = _identity();
        for (uint256 i = order.length; i > 1; --i) {
            uint256 j = uint256(keccak256(abi.encode(seed, i))) % i;
            (order[i - 1], order[j]) = (order[j], order[i - 1]);
        }
    }

    function _assertAnyOrderPaysTheSame(uint256 seed) internal {
        uint256 assets = market.settlement().assets;
        uint256 snap = vm.snapshotState();
        (uint256[] memory a, uint256 totalA) = _claimAll(_identity());
        vm.revertToState(snap);
        (uint256[] memory b, uint256 totalB) = _claimAll(_shuffle(seed));
        for (uint256 i; i < parties.length; ++i) {
            assertEq(a[i], b[i], "payout depends on the order");
        }
        assertEq(totalA, totalB);
        assertLe(totalA, assets, "paid more than the market held");
        assertEq(market.settlementPaid(), totalB);
        assertEq(usd.balanceOf(address(market)), assets - totalB);
    }
}

contract ClaimOrderSolventTest is ClaimOrderBase {
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 600_000e6);
        _lpDeposit(lp2, 400_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _depositMargin(bob, 2100e6);
        _open(bob, 10e18);
        _depositMargin(dave, 5000e6);
        _open(dave, -5e18);
        _depositMargin(carol, 3000e6); // idle
        _stepPrice(1850e8);
        _stepPrice(1700e8);
        market.settle();
        market.realise(bob); // the keeper's job in the window
        vm.warp(block.timestamp + 1 days);
        _party(alice, false);
        _party(dave, false);
        _party(carol, false);
        _party(lp, true);
        _party(lp2, true);
        assertEq(market.settlement().traderRatio, 0, "not finalised before the first claim");
    }

    function testFuzz_anyOrder_samePayouts(uint256 seed) public {
        _assertAnyOrderPaysTheSame(seed);
    }

    /// @dev Racing to finalise first gains nothing: the ratio is fixed by the snapshot and the realised deficit.
    function test_finaliserGainsNothing() public {
        uint256 shares = pool.balanceOf(lp);
        uint256 snap = vm.snapshotState();
        vm.prank(lp);
        uint256 lpFirst = pool.claimSettlement(shares, lp);
        vm.revertToState(snap);
        _claim(0);
        _claim(1);
        vm.prank(lp);
        uint256 lpLater = pool.claimSettlement(shares, lp);
        assertEq(lpFirst, lpLater);
    }

    /// @dev Splitting an LP claim into pieces only loses rounding, never gains.
    function test_splitLpClaim_neverPaysMore() public {
        uint256 shares = pool.balanceOf(lp);
        uint256 snap = vm.snapshotState();
        vm.prank(lp);
        uint256 whole = pool.claimSettlement(shares, lp);
        vm.revertToState(snap);
        uint256 pieces;
        for (uint256 i; i < 10; ++i) {
            vm.prank(lp);
            pieces += pool.claimSettlement(i < 9 ? shares / 10 : shares - 9 * (shares / 10), lp);
        }
        assertLe(pieces, whole);
        assertGe(pieces + 10, whole);
    }

    /// @dev Moving shares to another address after the snapshot claims the same assets, not twice.
    function test_sharesMovedAfterSnapshot_claimNoMore() public {
        uint256 shares = pool.balanceOf(lp);
        uint256 snap = vm.snapshotState();
        vm.prank(lp);
        uint256 whole = pool.claimSettlement(shares, lp);
        vm.revertToState(snap);
        vm.prank(lp);
        pool.transfer(lp3, shares / 2);
        vm.prank(lp);
        uint256 a = pool.claimSettlement(shares - shares / 2, lp);
        vm.prank(lp3);
        uint256 b = pool.claimSettlement(shares / 2, lp3);
        assertLe(a + b, whole);
        assertGe(a + b + 1, whole);
    }

    function test_trader_cannotClaimTwice_orForAnother() public {
        _claim(0);
        vm.expectRevert(IMarket.MarketAlreadyClaimed.selector);
        vm.prank(alice);
        market.claim();
        // A stranger's claim is the stranger's own (empty) account.
        vm.prank(stranger);
        assertEq(market.claim(), 0);
        SettlementSnapshot memory s = market.settlement();
        assertTrue(s.finalised);
    }
}

contract ClaimOrderInsolventTest is ClaimOrderBase {
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 9000e6);
        _lpDeposit(lp2, 6000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _depositMargin(bob, 5000e6);
        _open(bob, -2e18);
        _depositMargin(dave, 1000e6);
        _open(dave, 1e18);
        _depositMargin(carol, 3000e6); // idle
        _stepTo(4000e8);
        assertEq(uint8(market.mode()), uint8(Mode.Halted));
        vm.warp(block.timestamp + 3 days);
        vm.prank(stranger);
        market.settle(); // the exit: anyone, once Halted long enough
        vm.warp(block.timestamp + 1 days);
        _party(alice, false);
        _party(bob, false);
        _party(dave, false);
        _party(carol, false);
        _party(lp, true);
        _party(lp2, true);
    }

    function testFuzz_anyOrder_samePayouts(uint256 seed) public {
        _assertAnyOrderPaysTheSame(seed);
    }

    function test_insolvent_lpsGetNothing_idleGetsAll_tradersProRata() public {
        (uint256[] memory paid,) = _claimAll(_identity());
        SettlementSnapshot memory s = market.settlement();
        assertLt(s.traderRatio, 1e18);
        assertEq(s.lpAssets, 0);
        assertEq(paid[3], 3000e6, "idle margin in full");
        assertEq(paid[4], 0);
        assertEq(paid[5], 0);
    }
}
