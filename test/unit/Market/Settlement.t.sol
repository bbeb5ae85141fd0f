// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Action, Cause, IMarket, Mode, SettlementSnapshot} from "../../../src/interfaces/IMarket.sol";
import {SafetyBaseTest} from "../../utils/SafetyBaseTest.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @notice Settlement: one snapshot, written once; realisation of underwater accounts during the window; one
///         claim ratio fixed at finalisation; pull claims for traders and LPs that never exceed what the market
///         held and never depend on who claims first; idle margin paid in full.
contract SettlementTest is SafetyBaseTest {
    address internal lp2 = makeAddr("lp2");

    // The parties of a claim-order game: traders claim(), LPs claimSettlement(all their shares).
    address[] internal parties;
    bool[] internal isLp;

    function _assertMode(Mode m) internal view {
        assertEq(uint8(market.mode()), uint8(m), "mode");
    }

    /// @dev Solvent book at 1,700: LPs 600k + 400k; alice 10 long (10,000), losing but well above water;
    ///      bob 10 long (2,100), underwater; carol 5,000 idle, never trades.
    function _solventBook() internal {
        _lpDeposit(lp, 600_000e6);
        _lpDeposit(lp2, 400_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _depositMargin(bob, 2100e6);
        _open(bob, 10e18);
        _depositMargin(carol, 5000e6);
        _stepPrice(1850e8);
        _stepPrice(1700e8);
        assertLt(_equityAt(bob, 1700e18, market.currentFundingIndex()), 0, "bob underwater");
    }

    /// @dev Insolvent book at 4,000: LP 15k; alice 10 long (10,000) far in profit; bob 2 short (5,000) in loss but
    ///      positive; carol 5,000 idle. The pool cannot pay alice: Halted on its own, then settled.
    function _insolventBook() internal {
        _lpDeposit(lp, 15_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _depositMargin(bob, 5000e6);
        _open(bob, -2e18);
        _depositMargin(carol, 5000e6);
        _stepTo(4000e8);
        _assertMode(Mode.Halted);
        assertEq(market.haltFlags(), HALT_INSOLVENT);
    }

    function _settledEquity(address who) internal view returns (int256) {
        SettlementSnapshot memory s = market.settlement();
        return _equityAt(who, s.price, s.fundingIndex);
    }

    /* THE SNAPSHOT */

    function test_settle_writesTheSnapshotOnce() public {
        _solventBook();
        uint256 balance = usd.balanceOf(address(market));
        int256 poolEquity = market.poolEquity();
        uint256 insurance = market.aggregates().insurance;
        int256 index = market.aggregates().fundingIndex;

        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.Settlement, Cause.Governance);
        market.settle();
        SettlementSnapshot memory s = market.settlement();
        assertEq(s.price, 1700e18);
        assertEq(s.assets, balance, "every token the market holds is a credit");
        assertEq(s.assets, 1_000_000e6 + 10_000e6 + 2100e6 + 5000e6);
        assertEq(s.idleMargin, 5000e6);
        assertEq(s.insurance, insurance);
        assertEq(s.poolEquity, poolEquity);
        assertEq(s.fundingIndex, index);
        assertEq(s.longOpenInterest, 20e18);
        assertEq(s.shortOpenInterest, 0);
        assertEq(s.poolShareSupply, pool.totalSupply());
        assertEq(s.settledAt, block.timestamp);
        assertEq(s.traderEquity, int256(s.assets) - int256(s.idleMargin) - s.poolEquity - int256(s.insurance));
        // The aggregate trader equity never falls short of the per-account sum (rounding is conservative).
        int256 sum = _settledEquity(alice) + _settledEquity(bob);
        assertGe(s.traderEquity, sum);
        assertLe(s.traderEquity - sum, 4);
        assertFalse(s.finalised);

        // Nothing moves it afterwards: not a second settle, not time, prices or refreshes.
        bytes32 h = keccak256(abi.encode(s));
        vm.expectRevert(IMarket.MarketNotSettleable.selector);
        market.settle();
        _stepPrice(1800e8);
        vm.warp(block.timestamp + 10 days);
        market.refresh();
        assertEq(keccak256(abi.encode(market.settlement())), h);
        assertEq(market.aggregates().fundingIndex, index, "funding frozen");
    }

    function test_settle_strangerOnlyAfterMaxHaltDuration_atLastGoodPrice() public {
        _solventBook();
        vm.expectRevert(IMarket.MarketNotSettleable.selector);
        vm.prank(stranger);
        market.settle();
        _escalate(Mode.Halted);
        vm.warp(block.timestamp + 3 days - 1);
        vm.expectRevert(IMarket.MarketNotSettleable.selector);
        vm.prank(stranger);
        market.settle();
        vm.warp(block.timestamp + 1);
        feed.setAnswerAt(1500e8, block.timestamp - 2 days); // a stale round is not a price
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Halted, Mode.Settlement, Cause.HaltedTooLong);
        vm.prank(stranger);
        market.settle();
        assertEq(market.settlement().price, 1700e18);
    }

    /* REALISATION */

    function test_realise_recordsTheDeficitDuringTheWindowOnly() public {
        _solventBook();
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotInSettlement.selector, Mode.Normal));
        market.realise(bob);

        market.settle();
        int256 bobEquity = _settledEquity(bob);
        vm.expectEmit(address(market));
        emit IMarket.AccountRealised(bob, bobEquity);
        vm.prank(stranger);
        market.realise(bob);
        assertEq(market.settlement().deficit, uint256(-bobEquity));
        assertTrue(market.claimed(bob));

        vm.expectRevert(IMarket.MarketAlreadyRealised.selector);
        market.realise(bob); // once
        vm.expectRevert(IMarket.MarketNoPosition.selector);
        market.realise(carol); // idle
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketNotLiquidatable.selector, _settledEquity(alice), 0)
        );
        market.realise(alice); // not underwater

        uint256 closedAt = market.settlement().claimsOpenAt;
        vm.warp(closedAt);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketRealiseWindowClosed.selector, closedAt));
        market.realise(alice);
        vm.expectRevert(IMarket.MarketAlreadyClaimed.selector);
        vm.prank(bob);
        market.claim();
    }

    /* FINALISATION AND CLAIMS */

    function test_finalise_solvent_traderRatioOne_lpsGetTheRest() public {
        _solventBook();
        market.settle();
        market.realise(bob);
        SettlementSnapshot memory s = market.settlement();
        uint256 available = s.assets - s.idleMargin;
        uint256 needed = uint256(s.traderEquity + int256(s.deficit));
        int256 aliceEquity = _settledEquity(alice);
        assertGe(needed, uint256(aliceEquity), "bob's deficit no longer counts against alice");
        assertLe(needed - uint256(aliceEquity), 4);

        // Claims wait for the window; idle margin does not.
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketSettlementPending.selector, s.settledAt + 1 days)
        );
        vm.prank(alice);
        market.claim();
        uint256 lpShares = pool.balanceOf(lp);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketSettlementPending.selector, s.settledAt + 1 days)
        );
        vm.prank(lp);
        pool.claimSettlement(lpShares, lp);
        vm.prank(carol);
        assertEq(market.claim(), 5000e6);

        vm.warp(s.settledAt + 1 days);
        vm.expectEmit(address(market));
        emit IMarket.SettlementFinalised(s.deficit, 1e18, available - needed);
        vm.prank(alice);
        assertEq(market.claim(), uint256(aliceEquity));

        s = market.settlement();
        assertTrue(s.finalised);
        assertEq(s.traderRatio, 1e18);
        assertEq(s.lpAssets, available - needed);
        // LPs share lpAssets by their snapshot shares (600k : 400k).
        vm.prank(lp);
        uint256 toLp = pool.claimSettlement(lpShares, lp);
        uint256 lp2Shares = pool.balanceOf(lp2);
        vm.prank(lp2);
        uint256 toLp2 = pool.claimSettlement(lp2Shares, lp2);
        assertEq(toLp, M.mulDiv(s.lpAssets, lpShares, s.poolShareSupply));
        assertEq(toLp2, M.mulDiv(s.lpAssets, lp2Shares, s.poolShareSupply));
        assertEq(pool.totalSupply(), 0);

        uint256 paid = 5000e6 + uint256(aliceEquity) + toLp + toLp2;
        assertEq(market.settlementPaid(), paid);
        assertLe(paid, s.assets);
        assertLe(s.assets - paid, 6, "only rounding dust stays behind");
        assertEq(usd.balanceOf(address(market)), s.assets - paid);
    }

    function test_finalise_insolvent_pro_rata_lpsGetNothing_idlePaidInFull() public {
        _insolventBook();
        uint256 carolWalletBefore = usd.balanceOf(carol);
        market.settle();
        SettlementSnapshot memory s = market.settlement();
        assertLt(s.poolEquity, 0);
        uint256 available = s.assets - s.idleMargin;
        assertEq(s.assets, 35_000e6);
        assertEq(available, 30_000e6);
        uint256 needed = uint256(s.traderEquity);
        assertGt(needed, available);
        int256 aliceEquity = _settledEquity(alice);
        int256 bobEquity = _settledEquity(bob);
        assertGt(bobEquity, 0);
        assertGe(needed, uint256(aliceEquity + bobEquity));

        // The account that never traded is paid its deposit, to the unit, before and regardless of the rest.
        vm.prank(carol);
        assertEq(market.claim(), 5000e6);
        assertEq(usd.balanceOf(carol), carolWalletBefore + 5000e6);

        vm.warp(block.timestamp + 1 days);
        uint256 ratio = M.divWad(available, needed);
        vm.expectEmit(address(market));
        emit IMarket.SettlementFinalised(0, ratio, 0);
        vm.prank(alice);
        uint256 toAlice = market.claim();
        assertLt(ratio, 1e18);
        assertApproxEqRel(ratio, 0.9685e18, 0.001e18); // 30,000 / ~30,976
        assertEq(toAlice, M.mulWad(uint256(aliceEquity), ratio));
        vm.prank(bob);
        uint256 toBob = market.claim();
        assertEq(toBob, M.mulWad(uint256(bobEquity), ratio));
        uint256 shares = pool.balanceOf(lp);
        vm.prank(lp);
        assertEq(pool.claimSettlement(shares, lp), 0, "LPs are junior: nothing");

        uint256 paid = 5000e6 + toAlice + toBob;
        assertEq(market.settlementPaid(), paid);
        assertLe(paid, s.assets);
        assertLe(s.assets - paid, 4);
    }

    function test_doubleClaims_revert() public {
        _solventBook();
        market.settle();
        market.realise(bob);
        vm.prank(carol);
        market.claim();
        vm.expectRevert(IMarket.MarketAlreadyClaimed.selector);
        vm.prank(carol);
        market.claim();

        vm.warp(block.timestamp + 1 days);
        vm.prank(alice);
        market.claim();
        vm.expectRevert(IMarket.MarketAlreadyClaimed.selector);
        vm.prank(alice);
        market.claim();

        uint256 shares = pool.balanceOf(lp);
        vm.prank(lp);
        pool.claimSettlement(shares, lp);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, lp, 0, shares));
        vm.prank(lp);
        pool.claimSettlement(shares, lp);
    }

    function test_claims_refusedOutsideSettlement() public {
        _solventBook();
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotInSettlement.selector, Mode.Normal));
        vm.prank(carol);
        market.claim();
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotInSettlement.selector, Mode.Normal));
        vm.prank(lp);
        pool.claimSettlement(1, lp);
        vm.expectRevert(IMarket.MarketOnlyPool.selector);
        market.onPoolClaim(lp, 1);
    }

    /* CLAIM-ORDER GAMES */

    function _party(address who, bool lp_) internal {
        parties.push(who);
        isLp.push(lp_);
    }

    /// @dev Claims for the parties in `order` (indexes into `parties`); returns what each party was paid, by party.
    function _claimInOrder(uint256[] memory order) internal returns (uint256[] memory paid) {
        paid = new uint256[](parties.length);
        for (uint256 i; i < order.length; ++i) {
            address who = parties[order[i]];
            if (isLp[order[i]]) {
                uint256 shares = pool.balanceOf(who);
                vm.prank(who);
                paid[order[i]] = pool.claimSettlement(shares, who);
            } else {
                vm.prank(who);
                paid[order[i]] = market.claim();
            }
        }
    }

    function _orders(uint256 n) internal pure returns (uint256[] memory forward, uint256[] memory backward) {
        forward = new uint256[](n);
        backward = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            (forward[i], backward[i]) = (i, n - 1 - i);
        }
    }

    /// @dev Forward and backward orders of the same claims pay every party the same, and never more than assets.
    function _assertOrderIndependent() internal {
        (uint256[] memory forward, uint256[] memory backward) = _orders(parties.length);
        uint256 assets = market.settlement().assets;
        uint256 snap = vm.snapshotState();
        uint256[] memory a = _claimInOrder(forward);
        uint256 paidA = market.settlementPaid();
        vm.revertToState(snap);
        uint256[] memory b = _claimInOrder(backward);
        uint256 sum;
        for (uint256 i; i < parties.length; ++i) {
            assertEq(a[i], b[i], "a party's payout depends on the claim order");
            sum += a[i];
        }
        assertEq(market.settlementPaid(), paidA);
        assertEq(sum, paidA);
        assertLe(sum, assets);
    }

    function test_claimOrder_solvent_sameForEveryOrder() public {
        _solventBook();
        market.settle();
        market.realise(bob);
        vm.warp(block.timestamp + 1 days);
        _party(alice, false);
        _party(lp, true);
        _party(carol, false);
        _party(lp2, true);
        _assertOrderIndependent();
    }

    function test_claimOrder_insolvent_sameForEveryOrder() public {
        _insolventBook();
        market.settle();
        vm.warp(block.timestamp + 1 days);
        _party(bob, false);
        _party(lp, true);
        _party(alice, false);
        _party(carol, false);
        _assertOrderIndependent();
    }

    /// @dev Known limitation, kept visible: an underwater account nobody realises during the window is not in the
    ///      deficit, so the LPs' share is overstated by its loss and the last trader or LP to claim is refused
    ///      (MarketSettlementExhausted): order then matters among traders and LPs, which is why realise() is
    ///      permissionless and a keeper runs it. Idle margin, though, is never at stake: carol claims last and is
    ///      still paid in full.
    function test_unrealisedDeficit_neverReachesIdleMargin() public {
        _solventBook();
        market.settle();
        vm.warp(block.timestamp + 1 days); // bob was never realised
        SettlementSnapshot memory s = market.settlement();
        int256 aliceEquity = _settledEquity(alice);

        vm.prank(alice);
        assertEq(market.claim(), uint256(aliceEquity));
        uint256 shares = pool.balanceOf(lp);
        vm.prank(lp);
        pool.claimSettlement(shares, lp);
        // lp2's claim would eat into carol's idle margin: refused.
        uint256 shares2 = pool.balanceOf(lp2);
        vm.expectPartialRevert(IMarket.MarketSettlementExhausted.selector);
        vm.prank(lp2);
        pool.claimSettlement(shares2, lp2);

        vm.prank(carol);
        assertEq(market.claim(), 5000e6);
        assertLe(market.settlementPaid(), s.assets);
    }
}
