// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Action, IMarket, MarginAccount, Mode} from "../../../src/interfaces/IMarket.sol";
import {SafetyBaseTest} from "../../utils/SafetyBaseTest.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

/// @notice Every cell of the permission table (7 actions x 5 modes). An allowed cell succeeds with its exact
///         effect; a refused cell reverts with MarketNotAllowed(action, mode) and changes nothing. The pool's
///         LP cells are refused one level earlier, by ERC-4626's max checks (maxDeposit / maxWithdraw are 0),
///         with ERC4626ExceededMaxDeposit / ERC4626ExceededMaxWithdraw; the market's own hook behind them is
///         checked too and refuses with MarketNotAllowed.
///
///         | action     | Normal | Cautious | ReduceOnly | Halted | Settlement |
///         | deposit    | yes    | yes      | yes        | yes    | no         |
///         | withdraw   | yes    | yes*     | yes*       | no**   | no (claim) |
///         | increase   | yes    | yes*     | no         | no     | no         |
///         | reduce     | yes    | yes      | yes        | no     | no         |
///         | liquidate  | yes    | yes      | yes        | no     | no         |
///         | LP deposit | yes    | yes      | no         | no     | no         |
///         | LP withdraw| yes    | yes      | backing    | no     | no (claim) |
///         * raised initial margin (cautiousImMultiplier); Cautious also lowers the OI cap (cautiousOiFactor).
///         ** an account with no position may withdraw from a Halted market.
contract ModeTableTest is SafetyBaseTest {
    address internal erin = makeAddr("erin");

    uint256 internal constant AMOUNT = 100e6;
    uint256 internal constant LP_AMOUNT = 10_000e6;

    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _depositMargin(bob, 2100e6);
        _open(bob, 10e18); // margin 2,080 after the fee, IM 2,000 at 2,000
        _depositMargin(dave, 500e6); // never trades
        _fund(carol, 1000e6);
        _fund(lp, LP_AMOUNT);
        _stepPrice(1880e8); // bob: equity ~880 < maintenance 940 at 1,880; alice stays healthy

        (uint256 im, uint256 mm) = guard.marginRatios();
        assertEq(im, 0.1e18, "IM at its floor");
        assertEq(mm, 0.05e18, "MM at its floor");
        (int256 eq,, uint256 maint,) = market.accountHealth(bob);
        assertLt(eq, int256(maint), "bob liquidatable");
        (eq,, maint,) = market.accountHealth(alice);
        assertGt(eq, int256(maint) * 2, "alice healthy");
    }

    /* THE TABLE */

    function _expected(Action action, Mode m) internal pure returns (bool) {
        if (m == Mode.Normal) return true;
        if (m == Mode.Cautious) return true;
        if (m == Mode.ReduceOnly) return action != Action.Increase && action != Action.LpDeposit;
        if (m == Mode.Halted) return action == Action.Deposit;
        return false;
    }

    /// @dev Runs one cell: reaches `m`, checks allows(), then performs `action` and checks its outcome.
    function _cell(Action action, Mode m) internal {
        _enterMode(m);
        bool allowed = _expected(action, m);
        assertEq(market.allows(action), allowed, "allows()");
        bytes32 before = _fingerprint();
        if (action == Action.Deposit) _deposit(allowed, m);
        else if (action == Action.Withdraw) _withdraw(allowed, m);
        else if (action == Action.Increase) _increase(allowed, m);
        else if (action == Action.Reduce) _reduce(allowed, m);
        else if (action == Action.Liquidate) _liquidate(allowed, m);
        else if (action == Action.LpDeposit) _lpDepositCell(allowed, m);
        else _lpWithdrawCell(allowed, m);
        if (!allowed) assertEq(_fingerprint(), before, "a refused action changed state");
        // No cell moves the market out of the mode it is in.
        assertEq(uint8(market.mode()), uint8(m), "mode unchanged");
    }

    function _notAllowed(Action action, Mode m) internal {
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotAllowed.selector, action, m));
    }

    function _deposit(bool allowed, Mode m) internal {
        uint256 walletBefore = usd.balanceOf(carol);
        if (!allowed) _notAllowed(Action.Deposit, m);
        vm.prank(carol);
        market.deposit(AMOUNT);
        if (allowed) {
            assertEq(market.accountOf(carol).margin, int256(AMOUNT));
            assertEq(usd.balanceOf(carol), walletBefore - AMOUNT);
        }
    }

    function _withdraw(bool allowed, Mode m) internal {
        MarginAccount memory a = market.accountOf(alice);
        int256 owed = _ceilDiv(a.size * (market.currentFundingIndex() - a.fundingIndex), 1e30);
        uint256 walletBefore = usd.balanceOf(alice);
        if (!allowed) _notAllowed(Action.Withdraw, m);
        vm.prank(alice);
        market.withdraw(AMOUNT);
        if (allowed) {
            assertEq(usd.balanceOf(alice), walletBefore + AMOUNT);
            assertEq(market.accountOf(alice).margin, a.margin - owed - int256(AMOUNT));
        }
    }

    function _increase(bool allowed, Mode m) internal {
        if (!allowed) _notAllowed(Action.Increase, m);
        vm.prank(alice);
        market.modifyPosition(1e18, 0);
        if (allowed) {
            assertEq(market.accountOf(alice).size, 11e18);
            assertEq(market.aggregates().longOpenInterest, 21e18);
        }
    }

    function _reduce(bool allowed, Mode m) internal {
        if (!allowed) _notAllowed(Action.Reduce, m);
        vm.prank(alice);
        market.modifyPosition(-1e18, 0);
        if (allowed) {
            assertEq(market.accountOf(alice).size, 9e18);
            assertEq(market.aggregates().longOpenInterest, 19e18);
        }
    }

    function _liquidate(bool allowed, Mode m) internal {
        if (!allowed) _notAllowed(Action.Liquidate, m);
        vm.prank(keeper);
        uint256 reward = market.liquidate(bob);
        if (allowed) {
            // Penalty 2% of 18,800 notional = 376; the keeper's share is a quarter.
            assertEq(reward, 94e6);
            assertEq(usd.balanceOf(keeper), 94e6);
            assertEq(market.accountOf(bob).size, 0);
        }
    }

    function _lpDepositCell(bool allowed, Mode m) internal {
        uint256 sharesBefore = pool.balanceOf(lp);
        uint256 expectedShares = pool.previewDeposit(LP_AMOUNT);
        int256 cashBefore = market.aggregates().poolCash;
        if (!allowed) {
            vm.expectRevert(
                abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxDeposit.selector, lp, LP_AMOUNT, 0)
            );
        }
        vm.prank(lp);
        pool.deposit(LP_AMOUNT, lp);
        if (allowed) {
            assertEq(pool.balanceOf(lp), sharesBefore + expectedShares);
            assertEq(market.aggregates().poolCash, cashBefore + int256(LP_AMOUNT));
        } else {
            // Behind the pool's check, the market's own hook refuses too.
            _notAllowed(Action.LpDeposit, m);
            vm.prank(address(pool));
            market.onPoolDeposit(LP_AMOUNT);
        }
    }

    function _lpWithdrawCell(bool allowed, Mode m) internal {
        uint256 walletBefore = usd.balanceOf(lp);
        uint256 sharesBefore = pool.balanceOf(lp);
        uint256 expectedBurn = pool.previewWithdraw(LP_AMOUNT);
        if (!allowed) {
            vm.expectRevert(
                abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxWithdraw.selector, lp, LP_AMOUNT, 0)
            );
        }
        vm.prank(lp);
        pool.withdraw(LP_AMOUNT, lp, lp);
        if (allowed) {
            assertEq(usd.balanceOf(lp), walletBefore + LP_AMOUNT);
            assertEq(pool.balanceOf(lp), sharesBefore - expectedBurn);
        } else {
            assertEq(pool.maxWithdraw(lp), 0);
            _notAllowed(Action.LpWithdraw, m);
            vm.prank(address(pool));
            market.onPoolWithdraw(lp, 1);
        }
    }

    /* NORMAL */

    function test_Normal_Deposit() public {
        _cell(Action.Deposit, Mode.Normal);
    }

    function test_Normal_Withdraw() public {
        _cell(Action.Withdraw, Mode.Normal);
    }

    function test_Normal_Increase() public {
        _cell(Action.Increase, Mode.Normal);
    }

    function test_Normal_Reduce() public {
        _cell(Action.Reduce, Mode.Normal);
    }

    function test_Normal_Liquidate() public {
        _cell(Action.Liquidate, Mode.Normal);
    }

    function test_Normal_LpDeposit() public {
        _cell(Action.LpDeposit, Mode.Normal);
    }

    function test_Normal_LpWithdraw() public {
        _cell(Action.LpWithdraw, Mode.Normal);
    }

    /* CAUTIOUS */

    function test_Cautious_Deposit() public {
        _cell(Action.Deposit, Mode.Cautious);
    }

    function test_Cautious_Withdraw() public {
        _cell(Action.Withdraw, Mode.Cautious);
    }

    function test_Cautious_Increase() public {
        _cell(Action.Increase, Mode.Cautious);
    }

    function test_Cautious_Reduce() public {
        _cell(Action.Reduce, Mode.Cautious);
    }

    function test_Cautious_Liquidate() public {
        _cell(Action.Liquidate, Mode.Cautious);
    }

    function test_Cautious_LpDeposit() public {
        _cell(Action.LpDeposit, Mode.Cautious);
    }

    function test_Cautious_LpWithdraw() public {
        _cell(Action.LpWithdraw, Mode.Cautious);
    }

    /* REDUCE ONLY */

    function test_ReduceOnly_Deposit() public {
        _cell(Action.Deposit, Mode.ReduceOnly);
    }

    function test_ReduceOnly_Withdraw() public {
        _cell(Action.Withdraw, Mode.ReduceOnly);
    }

    function test_ReduceOnly_Increase() public {
        _cell(Action.Increase, Mode.ReduceOnly);
    }

    function test_ReduceOnly_Reduce() public {
        _cell(Action.Reduce, Mode.ReduceOnly);
    }

    function test_ReduceOnly_Liquidate() public {
        _cell(Action.Liquidate, Mode.ReduceOnly);
    }

    function test_ReduceOnly_LpDeposit() public {
        _cell(Action.LpDeposit, Mode.ReduceOnly);
    }

    function test_ReduceOnly_LpWithdraw() public {
        _cell(Action.LpWithdraw, Mode.ReduceOnly);
    }

    /* HALTED */

    function test_Halted_Deposit() public {
        _cell(Action.Deposit, Mode.Halted);
    }

    function test_Halted_Withdraw() public {
        _cell(Action.Withdraw, Mode.Halted);
    }

    function test_Halted_Increase() public {
        _cell(Action.Increase, Mode.Halted);
    }

    function test_Halted_Reduce() public {
        _cell(Action.Reduce, Mode.Halted);
    }

    function test_Halted_Liquidate() public {
        _cell(Action.Liquidate, Mode.Halted);
    }

    function test_Halted_LpDeposit() public {
        _cell(Action.LpDeposit, Mode.Halted);
    }

    function test_Halted_LpWithdraw() public {
        _cell(Action.LpWithdraw, Mode.Halted);
    }

    /* SETTLEMENT */

    function test_Settlement_Deposit() public {
        _cell(Action.Deposit, Mode.Settlement);
    }

    function test_Settlement_Withdraw() public {
        _cell(Action.Withdraw, Mode.Settlement);
    }

    function test_Settlement_Increase() public {
        _cell(Action.Increase, Mode.Settlement);
    }

    function test_Settlement_Reduce() public {
        _cell(Action.Reduce, Mode.Settlement);
    }

    function test_Settlement_Liquidate() public {
        _cell(Action.Liquidate, Mode.Settlement);
    }

    function test_Settlement_LpDeposit() public {
        _cell(Action.LpDeposit, Mode.Settlement);
    }

    function test_Settlement_LpWithdraw() public {
        _cell(Action.LpWithdraw, Mode.Settlement);
    }

    /* THE REFINEMENTS */

    /// @dev The table's footnote: margin without exposure leaves a Halted market in full.
    function test_Halted_WithdrawWithoutPosition_allowed() public {
        _enterMode(Mode.Halted);
        vm.prank(dave);
        market.withdraw(500e6);
        assertEq(usd.balanceOf(dave), 500e6);
        assertEq(market.accountOf(dave).margin, 0);
        assertEq(market.aggregates().idleMargin, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Halted));
    }

    /// @dev In Settlement even idle margin goes through claim(), which pays it in full at once.
    function test_Settlement_WithdrawWithoutPosition_refused_claimPaysInFull() public {
        _enterMode(Mode.Settlement);
        _notAllowed(Action.Withdraw, Mode.Settlement);
        vm.prank(dave);
        market.withdraw(500e6);
        vm.prank(dave);
        assertEq(market.claim(), 500e6);
        assertEq(usd.balanceOf(dave), 500e6);
    }

    /// @dev closePosition is the reduce cell too.
    function test_closePosition_followsReduceCell() public {
        _enterMode(Mode.ReduceOnly);
        vm.prank(alice);
        market.closePosition(0);
        assertEq(market.accountOf(alice).size, 0);

        _enterMode(Mode.Halted);
        _notAllowed(Action.Reduce, Mode.Halted);
        vm.prank(bob);
        market.closePosition(0);
    }

    /// @dev Cautious: opening needs cautiousImMultiplier (1.5) times the initial margin, to the unit.
    function test_Cautious_openNeedsRaisedInitialMargin() public {
        _stableFollows(); // the -6 % step of setUp, so the opens below execute at 1,880
        // 10 units at 1,880: notional 18,800, fee 18.8, IM 10% x 1.5 = 2,820.
        _depositMargin(erin, 2838.8e6 - 1);
        _enterMode(Mode.Cautious);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, 2820e6 - 1, 2820e6));
        _open(erin, 10e18);

        _depositMargin(erin, 1);
        _open(erin, 10e18);
        assertEq(market.accountOf(erin).margin, 2820e6);

        // The same margin is 1.5x what Normal asks for: a second account just one unit short of Cautious' IM opens
        // once the owner returns the market to Normal.
        _depositMargin(carol, 2838.8e6 - 1);
        market.setMode(Mode.Normal);
        _open(carol, 10e18);
        assertEq(market.accountOf(carol).size, 10e18);
    }

    /// @dev Cautious: withdrawing leaves at least the raised initial margin, to the unit; Normal's is lower.
    function test_Cautious_withdrawNeedsRaisedInitialMargin() public {
        _enterMode(Mode.Cautious);
        int256 equity = _equityAt(alice, 1880e18, market.currentFundingIndex());
        uint256 maxOut = uint256(equity) - 2820e6; // IM 15% of 18,800
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, 2820e6 - 1, 2820e6));
        vm.prank(alice);
        market.withdraw(maxOut + 1);

        market.setMode(Mode.Normal);
        vm.prank(alice);
        market.withdraw(maxOut + 1); // Normal only asks for 1,880
        (int256 after_,,,) = market.accountHealth(alice);
        assertEq(after_, 2820e6 - 1);
    }

    /// @dev ReduceOnly keeps Cautious' raised initial margin for withdrawals.
    function test_ReduceOnly_withdrawNeedsRaisedInitialMargin() public {
        _enterMode(Mode.ReduceOnly);
        int256 equity = _equityAt(alice, 1880e18, market.currentFundingIndex());
        uint256 maxOut = uint256(equity) - 2820e6;
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, 2820e6 - 1, 2820e6));
        vm.prank(alice);
        market.withdraw(maxOut + 1);
        vm.prank(alice);
        market.withdraw(maxOut);
        (int256 after_,,,) = market.accountHealth(alice);
        assertEq(after_, 2820e6);
    }

    /// @dev Cautious: the per-side open-interest cap is maxOpenInterest x cautiousOiFactor (1,000 x 0.5), exactly.
    function test_Cautious_lowersOpenInterestCap() public {
        _stableFollows(); // the -6 % step of setUp, so the opens below execute at 1,880
        _depositMargin(erin, 140_000e6);
        _enterMode(Mode.Cautious);
        // 20 units are open long: 480 more reach the cap, one wei of size more passes it.
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOpenInterestCap.selector, 500e18 + 1, 500e18));
        _open(erin, 480e18 + 1);
        _open(erin, 480e18);
        assertEq(market.aggregates().longOpenInterest, 500e18);

        // In Normal the cap is 1,000: the same step succeeds.
        market.setMode(Mode.Normal);
        _depositMargin(carol, 1000e6);
        _open(carol, 1);
        assertEq(market.aggregates().longOpenInterest, 500e18 + 1);
    }

    /// @dev ReduceOnly: LPs may take out only what keeps the pool above its required backing, in equity and in
    ///      cash (equity counts traders' unrealised losses, which are not cash yet).
    function test_ReduceOnly_lpWithdraw_onlyAboveBacking() public {
        _stableFollows(); // the -6 % step of setUp, so the opens below execute at 1,880
        // A large long makes the backing bind before the outflow limiter does.
        _depositMargin(erin, 180_000e6);
        _open(erin, 900e18);
        _enterMode(Mode.ReduceOnly);

        uint256 required = (920 * 1880e6) / 2; // minBacking 50% of the net notional 920 x 1,880
        int256 cash = market.aggregates().poolCash;
        // alice and bob are 2,400 down: the pool's equity exceeds its cash, so the cash rule binds.
        assertGt(market.poolEquity(), cash);
        uint256 spare = market.poolWithdrawable();
        assertEq(spare, uint256(cash) - required);
        assertLt(spare, pool.outflowAvailable(), "the backing binds, not the limiter");
        assertEq(pool.maxWithdraw(lp), spare);

        vm.expectRevert(
            abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxWithdraw.selector, lp, spare + 1, spare)
        );
        vm.prank(lp);
        pool.withdraw(spare + 1, lp, lp);
        // Behind the pool's check, the market refuses too.
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientBacking.selector, int256(required) - 1, required)
        );
        vm.prank(address(pool));
        market.onPoolWithdraw(lp, spare + 1);

        vm.prank(lp);
        pool.withdraw(spare, lp, lp);
        assertEq(market.poolWithdrawable(), 0);
        assertEq(market.aggregates().poolCash, int256(required));
        assertEq(uint8(market.mode()), uint8(Mode.ReduceOnly));
    }

    /// @dev The owner's setMode reaches every mode but Settlement, and the table follows the mode, not the way in.
    function test_setMode_tableFollowsMode() public {
        for (uint8 m; m < 4; ++m) {
            market.setMode(Mode(m));
            for (uint8 a; a < 7; ++a) {
                assertEq(market.allows(Action(a)), _expected(Action(a), Mode(m)));
            }
        }
        market.settle();
        for (uint8 a; a < 7; ++a) {
            assertFalse(market.allows(Action(a)));
        }
    }
}
