// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {Cause, IMarket, MarginAccount, Mode, RiskParams} from "../../src/interfaces/IMarket.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Regressions for the two bugs once listed in test/integration/KnownBugs.t.sol. Each was an honest
///         sequence of calls after which the market tripped its own invariant check and halted itself for good.
///         Both are fixed (b9c0ab8); each scenario now ends the way the design wants:
///         - funding owed beyond a solvent account's margin (was BUG-1): no call may leave the margin negative, so
///           a top-up smaller than the debt, or an increase, reverts with MarketAccountInsolvent(marginAfter) — the
///           user's own error, with the figure — and the account can still cover the debt or close;
///         - a funding receivable the pool's cash cannot pay (was BUG-2): a deposit or withdrawal defers it (the
///           account keeps its funding index, so nothing is lost), a trade is refused with MarketPoolCannotPay, and
///           the receivable is paid in full once the payers settle. On the way the pool no longer backs the book,
///           which refuses increases and LP withdrawals per action; the market is never halted.
///         Figures: funding 1e-7 per second at a net size of 1,000 units, linear in the skew; 6-decimal collateral.
contract FundingDebtTest is IntegrationBase {
    /// @dev Funding at its largest for the debt tests: 1e-4 per second from a net size of 0.1 unit. Alice's 10 units
    ///      at 2,400 then owe 10 * 2,400 * 1e-4 = 2.4 a second.
    uint256 internal constant ALICE_OWES_PER_SECOND = 2.4e6;

    /// @dev Alice is long 10 from 2,000 and the price is 2,400 (unrealised +4,000). A withdrawal may count only her
    ///      margin, so she takes out what lies above the initial margin, leaving a whole number of seconds of funding
    ///      at the largest rate (governance raises it in steps); those seconds later, the funding owed has eaten her
    ///      margin exactly. Her margin is then, in effect, 0 while her position is open, healthy on its profit, and
    ///      pays funding (the market is net long 10).
    function _aliceWithAllMarginOut() internal {
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _step(2190e8, 3000);
        _step(2400e8, 3000);
        _depositMargin(alice, 1); // settles her funding so the next line can name the exact margin
        (, uint256 initialRequired,,) = market.accountHealth(alice);
        uint256 seconds_ = (initialRequired + ALICE_OWES_PER_SECOND - 1) / ALICE_OWES_PER_SECOND;
        int256 margin = market.accountOf(alice).margin;
        vm.prank(alice);
        market.withdraw(uint256(margin) - seconds_ * ALICE_OWES_PER_SECOND);
        RiskParams memory r = Defaults.riskParams();
        (r.maxFundingRate, r.skewScale) = (1e14, 0.1e18);
        _setRiskParamsInSteps(r);
        vm.warp(block.timestamp + seconds_);
        (int256 equity,,,) = market.accountHealth(alice);
        assertEq(equity, 4000e6, "precondition: the funding owed has eaten the margin; the profit is left");
        (, initialRequired,,) = market.accountHealth(alice);
        assertGe(equity, int256(initialRequired), "precondition: healthy, above even the initial margin");
    }

    /// @dev A minute of funding at 2,400 with 10 units net long at the largest rate: 60 * 2.4 = 144.
    uint256 internal constant ALICE_OWES_AFTER_A_MINUTE = 60 * ALICE_OWES_PER_SECOND;

    /// @notice Was BUG-1 (a deposit halted the market): a top-up smaller than the funding owed reverts with the
    ///         account's margin after it; the market stays Normal and nothing moves.
    function test_fundingBeyondMargin_smallDeposit_revertsAccountInsolvent() public {
        _aliceWithAllMarginOut();
        vm.warp(block.timestamp + 60);
        (int256 equityBefore,,,) = market.accountHealth(alice);
        _fund(alice, 1);
        int256 marginBefore = market.accountOf(alice).margin;
        vm.expectRevert(
            abi.encodeWithSelector(
                IMarket.MarketAccountInsolvent.selector, 1 - int256(ALICE_OWES_AFTER_A_MINUTE)
            )
        );
        vm.prank(alice);
        market.deposit(1);

        assertEq(uint8(market.mode()), uint8(Mode.Normal), "the market is not halted");
        assertEq(market.haltFlags(), 0);
        assertEq(market.accountOf(alice).margin, marginBefore, "nothing moved");
        (int256 equityAfter,,,) = market.accountHealth(alice);
        assertEq(equityAfter, equityBefore, "the debt is still counted against her equity");
        _assertConserved(_list(alice));
    }

    /// @notice Was BUG-1 through an increase: the equity covers the larger position's initial margin, but the
    ///         margin after the funding and the fee would be negative: MarketAccountInsolvent, not a trip.
    function test_fundingBeyondMargin_increase_revertsAccountInsolvent() public {
        _aliceWithAllMarginOut();
        vm.warp(block.timestamp + 60);
        _setPrice(2400e8); // a fresh heartbeat, so the increase has a Valid reading
        // Funding 1,440 and the fee on 0.01 * 2,400 = 24: 0.024, i.e. 24,000 units.
        vm.expectRevert(
            abi.encodeWithSelector(
                IMarket.MarketAccountInsolvent.selector, -int256(ALICE_OWES_AFTER_A_MINUTE) - 24_000
            )
        );
        vm.prank(alice);
        market.modifyPosition(0.01e18, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "the market is not halted");
        assertEq(market.accountOf(alice).size, 10e18, "nothing moved");
        _assertConserved(_list(alice));
    }

    /// @notice The ways out of such a debt: a top-up that covers it commits (the debt is paid first), and so does a
    ///         close, whose realised profit pays it.
    function test_fundingBeyondMargin_coverOrClose() public {
        _aliceWithAllMarginOut();
        vm.warp(block.timestamp + 60);
        _depositMargin(alice, 200e6);
        assertEq(
            market.accountOf(alice).margin, 200e6 - int256(ALICE_OWES_AFTER_A_MINUTE), "the debt paid first"
        );

        vm.warp(block.timestamp + 60);
        _setPrice(2400e8);
        vm.prank(alice);
        market.closePosition(0);
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.size, 0);
        // +4,000 realised, another minute of funding, the fee of 24.
        assertEq(
            a.margin,
            200e6 - 2 * int256(ALICE_OWES_AFTER_A_MINUTE) + 4000e6 - 24e6,
            "closed: profit less debt and fee"
        );
        _assertConserved(_list(alice));
    }

    /// @dev A balanced book (Alice long 500, Bob and Carol short 250 each) needs no backing, so the LP may take out
    ///      all the cash the limiter lets it (the 1,000,000 it put in, this day: the 1,600 of fees stay). Carol then
    ///      closes (a reduce: no backing check), leaving the pool net long 250 with 2,000 of cash, and Bob, the
    ///      remaining short, receiving funding: 250 / 1,000 * 1e-7 * 2,000 = 5e-5 per unit per second, 2,160 over 48
    ///      hours (Alice owes 4,320), more than the pool's cash.
    function _receivableThePoolCannotPay() internal {
        _lpDeposit(lp, 1_000_000e6);
        _ageShares(); // the LP's shares may leave
        _depositMargin(alice, 200_000e6);
        _depositMargin(bob, 100_000e6);
        _depositMargin(carol, 100_000e6);
        _open(alice, 500e18);
        _open(bob, -250e18);
        _open(carol, -250e18);
        uint256 shares = pool.maxRedeem(lp);
        vm.prank(lp);
        pool.redeem(shares, lp, lp);
        assertEq(
            market.aggregates().poolCash,
            1600e6 + 1,
            "the LP took what the limiter allows; fees and dust stay"
        );

        // The pool now backs a net long 250 (500,000 of notional: 250,000 required) with 2,000: below its backing,
        // which refuses increases and LP withdrawals per action (not a mode).
        vm.prank(carol);
        market.closePosition(0); // the pool keeps carol's fee: 400 of cash
        assertEq(market.aggregates().poolCash, 2000e6 + 1);
        vm.warp(block.timestamp + 48 hours);
    }

    function _all() internal view returns (address[] memory l) {
        l = new address[](3);
        (l[0], l[1], l[2]) = (alice, bob, carol);
    }

    /// @notice Was BUG-2 (the receiver's deposit halted the market): the deposit commits and the receivable the
    ///         pool cannot pay yet is deferred — Bob keeps his funding index, his margin grows by his deposit only,
    ///         the pool's cash does not go negative — and the market is not halted.
    function test_receivableThePoolCannotPay_depositDefersIt() public {
        _receivableThePoolCannotPay();
        MarginAccount memory before = market.accountOf(bob);
        _fund(bob, 1);
        vm.recordLogs();
        vm.prank(bob);
        market.deposit(1);
        assertEq(_invariantTrips(vm.getRecordedLogs()), 0, "no InvariantViolated");

        MarginAccount memory a = market.accountOf(bob);
        assertEq(a.margin, before.margin + 1, "only the deposit is credited");
        assertEq(a.fundingIndex, before.fundingIndex, "the receivable is deferred: his index stays");
        assertEq(market.aggregates().poolCash, 2000e6 + 1, "the pool paid nothing it does not have");
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "not Halted");
        assertEq(market.haltFlags(), 0);
        (int256 equity,,,) = market.accountHealth(bob);
        assertEq(equity, a.margin + 2160e6, "the receivable still counts in his equity (at par: no PnL)");
        _assertAccounting(_all());
    }

    /// @notice The same receivable on a trade: a trade must settle funding first, and the pool cannot pay, so
    ///         Bob's close is refused with MarketPoolCannotPay(owed, poolCash) — a clear error, no trip. A
    ///         withdrawal defers it like a deposit.
    function test_receivableThePoolCannotPay_tradeRefused_withdrawDefers() public {
        _receivableThePoolCannotPay();
        _setPrice(2000e8); // a fresh round after 48 hours
        market.refresh();
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketPoolCannotPay.selector, 2160e6, int256(2000e6 + 1))
        );
        vm.prank(bob);
        market.closePosition(0);

        int256 indexBefore = market.accountOf(bob).fundingIndex;
        vm.prank(bob);
        market.withdraw(1000e6);
        assertEq(market.accountOf(bob).fundingIndex, indexBefore, "deferred again");
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        _assertAccounting(_all());
    }

    /// @notice Deferred, not lost: once Alice (the payer) settles, the pool has the cash and Bob's next touch
    ///         collects all 2,160; then he can close.
    function test_receivableThePoolCannotPay_paidInFullOnceThePayerSettles() public {
        _receivableThePoolCannotPay();
        int256 bobMargin = market.accountOf(bob).margin;
        _depositMargin(alice, 1); // Alice pays her 4,320
        assertEq(market.aggregates().poolCash, 2000e6 + 1 + 4320e6);

        _fund(bob, 1);
        vm.expectEmit(address(market));
        emit IMarket.FundingSettled(bob, -2160e6);
        vm.prank(bob);
        market.deposit(1);
        assertEq(
            market.accountOf(bob).margin, bobMargin + 2160e6 + 1, "the whole receivable, late but in full"
        );
        assertEq(market.accountOf(bob).fundingIndex, market.aggregates().fundingIndex);

        _setPrice(2000e8);
        vm.prank(bob);
        market.closePosition(0);
        assertEq(market.accountOf(bob).size, 0);
        assertEq(market.haltFlags(), 0, "never halted");
        _assertAccounting(_all());
    }

    /// @notice Liquidation settles funding after the close, so the loss the close realises pays the account's own
    ///         receivable: the pool's cash cannot pay Bob's 2,160 before the close, but the close of a losing short
    ///         brings it in, and the liquidation goes through instead of reverting MarketPoolCannotPay.
    function test_liquidation_receivablePaidFromTheLossTheCloseRealises() public {
        _receivableThePoolCannotPay();
        // The rally that ruins Bob makes Alice (long 500) win more than Bob loses: an insurance fund keeps the
        // pool's equity + insurance above zero, so the market is not Halted (liquidations run).
        _fundInsurance(makeAddr("insurer"), 200_000e6);
        // Bob is short 250 from 2,000 with 99,500 of margin: at 2,400 he is down 100,000 and liquidatable.
        _walkPrice(2400e8);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        (int256 equity,, uint256 maintenance,) = market.accountHealth(bob);
        assertLt(equity, int256(maintenance), "precondition: liquidatable");
        assertLt(
            market.aggregates().poolCash, 2160e6, "precondition: the pool's cash cannot pay his receivable"
        );

        vm.recordLogs();
        vm.prank(keeper);
        market.liquidate(bob);
        assertEq(_invariantTrips(vm.getRecordedLogs()), 0, "no InvariantViolated");
        assertEq(market.accountOf(bob).size, 0, "liquidated");
        assertEq(market.accountOf(bob).fundingIndex, market.aggregates().fundingIndex, "his funding settled");
        assertGt(
            market.aggregates().poolCash,
            90_000e6,
            "his realised loss is in the pool's cash, less his receivable"
        );
        assertEq(market.haltFlags(), 0, "never halted");
        _assertAccounting(_all());
    }
}
