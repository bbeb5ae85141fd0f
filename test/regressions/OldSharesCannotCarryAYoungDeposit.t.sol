// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Regression for M-04's old-shares escape (issue 10, property 1). The holding period locks new shares, not
///         the holder's exposure: an LP with old shares deposited before a round it saw coming and redeemed as many
///         of its old shares right after it, keeping the new capital's share of the round for seconds of exposure
///         (test/corpus/m04-old-shares-round-trip.json). Property: capital in the pool for a fraction f of the time a
///         round's move took to build takes at most f of its share of what the round paid the pool, whichever shares
///         it leaves with — LP shares are valued at the worse, for the LP, of the mark and the guard's LP price,
///         which follows each round over as long as its move took to build.
contract OldSharesCannotCarryAYoungDepositTest is IntegrationBase {
    address internal whale = makeAddr("whale");
    uint256 internal constant INTERVAL = 60; // seconds between rounds

    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 1_000_000e6);
        _lpDeposit(whale, 1_000_000e6);
        _depositMargin(alice, 100_000e6);
        _open(alice, 100e18); // 200,000 long at 2,000: a −5% round pays the pool 10,000
        vm.warp(block.timestamp + pool.minHoldingPeriod()); // every share is old
        _step(2000e8, 0);
        _step(2000e8, INTERVAL); // rounds a minute apart, the LP price at rest
        _step(2000e8, INTERVAL);
    }

    /// @dev The pool's equity at the mark, as an action now would find it (`poolQuote`).
    function _markEquity() internal view returns (uint256) {
        (int256 equity,,) = market.poolQuote();
        return uint256(equity);
    }

    /// @dev What `shares` would redeem for with the traders' PnL at the mark.
    function _atMark(uint256 shares) internal view returns (uint256) {
        return shares * (_markEquity() + 1) / (pool.totalSupply() + 1e6);
    }

    /// @notice 1,000,000 deposited 12 s before a −5% round, and as many old shares redeemed 12 s after it: the old
    ///         code paid the deposit's whole share of the round (3,333 of 10,000); now it keeps at most the share the
    ///         24 s it was in allow of the 60 s the move built over.
    function test_oldSharesRedeemedAfterARound_keepOnlyTheHeldShare() public {
        vm.warp(block.timestamp + INTERVAL - 12);
        uint256 fresh = _lpDeposit(whale, 1_000_000e6);
        uint256 before = pool.previewRedeem(fresh); // what the same shares were worth before the round
        _step(1900e8, 12);
        vm.warp(block.timestamp + 12);
        uint256 full = _atMark(fresh) - before; // the deposit's share of the round, at the mark
        assertGt(full, 3000e6, "the round paid the deposit's share at the mark");
        vm.prank(whale);
        uint256 out = pool.redeem(fresh, whale, whale); // old shares: the young ones are locked
        uint256 kept = out - before;
        assertLe(kept, full * 24 / INTERVAL, "kept more than the holding-time share of the round");
        assertGe(
            kept + 1e6, full * 12 / INTERVAL, "the LP price did not follow the round for the 12 s since it"
        );
    }

    /// @notice The reverse: old shares redeemed 12 s before a +5% round (the pool loses 10,000) and the capital
    ///         deposited again 12 s after it buys back at a discount of at most the held share of the loss.
    function test_leavingBeforeALosingRound_andComingBack_savesOnlyTheHeldShare() public {
        uint256 shares = 500_000e6 * (pool.totalSupply() + 1e6) / (_markEquity() + 1);
        vm.warp(block.timestamp + INTERVAL - 12);
        vm.prank(whale);
        uint256 out = pool.redeem(shares, whale, whale);
        uint256 before = pool.previewDeposit(out); // what the capital would have bought back before the round
        _step(2100e8, 12);
        vm.warp(block.timestamp + 12);
        uint256 atMark = out * (pool.totalSupply() + 1e6) / (_markEquity() + market.insurance() + 1);
        assertGt(atMark, before + before / 1000, "at the mark, the round's loss would have been avoided");
        uint256 back = _lpDeposit(whale, out);
        assertLe(
            back, before + (atMark - before) * 24 / INTERVAL, "avoided more than the held share of the loss"
        );
    }

    /// @notice Capital that stays as long as the move took to build is valued at the mark: honest LPs' exits and
    ///         entries pay the LP price only in the moments after a round, and only on the side that favours them.
    function test_afterTheBuildTime_sharesAreValuedAtTheMark() public {
        _step(1900e8, INTERVAL);
        (uint256 lpPrice, uint256 until) = guard.lpPrice();
        assertEq(lpPrice, 2000e18, "the LP price jumped with the round");
        assertEq(until, block.timestamp + INTERVAL, "the LP price does not follow over the build time");
        assertLt(
            pool.totalAssets() + 9000e6, _markEquity(), "an exit is valued at the mark right after the round"
        );
        vm.warp(block.timestamp + INTERVAL);
        (lpPrice,) = guard.lpPrice();
        assertEq(lpPrice, 1900e18, "the LP price did not reach the round");
        assertEq(pool.totalAssets(), _markEquity(), "an exit is not valued at the mark after the build time");
    }

    /// @notice A quick round after a slow one does not hurry the LP price: it arrives no sooner than it was to reach
    ///         the slow round.
    function test_aQuickRoundAfterASlowOne_doesNotHurryTheLpPrice() public {
        _step(1900e8, 3600);
        (, uint256 slow) = guard.lpPrice();
        assertEq(slow, block.timestamp + 3600, "the slow round's move built over an hour");
        _step(1890e8, 5);
        (uint256 lpPrice, uint256 until) = guard.lpPrice();
        assertEq(until, slow, "a quick round hurried the LP price");
        assertGt(lpPrice, 1995e18, "the LP price moved more than 5 s of an hour's move");
    }
}
