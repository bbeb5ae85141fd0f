// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, Invariant, MarginAccount, Mode} from "../../src/interfaces/IMarket.sol";
import {IntegrationBase} from "./IntegrationBase.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice KNOWN BUGS in src/Market.sol — every test here FAILS ON PURPOSE until the bug is fixed (then it passes
///         and stays as the regression). Each one is an honest sequence of calls after which the market trips its
///         own invariant check and halts itself for good (Halted is sticky: nothing in src/ ever leaves it), which
///         the design forbids: "the market must never trip in honest operation". The invariant handler
///         (test/invariant/handlers/MarketHandler.sol, AVOID_KNOWN_BUGS) skips exactly these trips so that the
///         suite keeps exploring.
contract KnownBugsTest is IntegrationBase {
    /// @dev The InvariantViolated events in `logs` (emitted by the market).
    function _trips(Vm.Log[] memory logs) internal view returns (uint256 n, Invariant inv) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(market) && logs[i].topics[0] == IMarket.InvariantViolated.selector)
            {
                ++n;
                inv = Invariant(uint8(uint256(logs[i].topics[1])));
            }
        }
    }

    /// @dev Alice is long 10 from 2,000 and the price is 2,400: her unrealised +4,000 alone covers the initial
    ///      margin (10% of 24,000), so she may withdraw every unit of margin. Her margin is then exactly 0 while
    ///      her position is open and pays funding (the market is net long).
    function _aliceWithAllMarginOut() internal {
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _step(2190e8, 3000);
        _step(2400e8, 3000);
        _depositMargin(alice, 1); // settles her funding so the next line can name the exact margin
        int256 margin = market.accountOf(alice).margin;
        vm.prank(alice);
        market.withdraw(uint256(margin));
        assertEq(market.accountOf(alice).margin, 0, "precondition: margin 0, position open");
        (int256 equity, uint256 initialRequired, uint256 maintenanceRequired,) = market.accountHealth(alice);
        assertGe(equity, int256(initialRequired), "precondition: healthy, above even the initial margin");
        assertGe(equity, int256(maintenanceRequired));
    }

    /// @notice BUG-1 (src/Market.sol, `_settleFunding` + `_creditMargin` + `_checkInvariants`):
    ///         funding settled on touch can take a *solvent* account's margin below zero (margin excludes the
    ///         unrealised PnL that keeps the account healthy). The next deposit smaller than that deficit then
    ///         trips the market: `_creditMargin` drops the negative part from totalMargin while `_settleFunding`
    ///         has already credited the full amount to pool cash, so credits exceed the balance by the deficit
    ///         (TokenConservation; NoNegativeMargin would trip next). Scenario: withdraw all margin against an
    ///         unrealised profit (allowed: the IM check counts PnL), wait one minute, deposit 1 unit.
    ///         Expected: the deposit commits (the account is solvent) or reverts with a user error; the market
    ///         stays Normal. Actual: InvariantViolated(TokenConservation), mode Halted, permanently — any trader
    ///         in profit can halt the whole market for the price of one minute of funding.
    function test_BUG1_solventAccountMarginNegativeFromFunding_depositHaltsMarket() public {
        _aliceWithAllMarginOut();
        vm.warp(block.timestamp + 60); // one minute of funding: ~0.0014 owed, more than her margin of 0
        _fund(alice, 1);
        vm.recordLogs();
        vm.prank(alice);
        try market.deposit(1) {} catch {} // a user error would be fine; a trip is not
        (uint256 trips, Invariant inv) = _trips(vm.getRecordedLogs());
        emit log_named_uint("InvariantViolated events", trips);
        emit log_named_uint("tripped invariant (0 = TokenConservation)", uint8(inv));
        assertEq(trips, 0, "BUG-1: an honest deposit tripped the market's invariant check");
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "BUG-1: the market halted itself");
    }

    /// @notice BUG-1, the same root cause through an increase: the account's equity covers the initial margin
    ///         of the larger position, so every user-error check passes, and the self-check trips instead.
    function test_BUG1_solventAccountMarginNegativeFromFunding_increaseHaltsMarket() public {
        _aliceWithAllMarginOut();
        vm.warp(block.timestamp + 60);
        _setPrice(2400e8); // a fresh heartbeat, so the increase has a Valid reading
        vm.recordLogs();
        vm.prank(alice);
        try market.modifyPosition(0.01e18, 0) {} catch {}
        (uint256 trips,) = _trips(vm.getRecordedLogs());
        assertEq(trips, 0, "BUG-1: an honest increase tripped the market's invariant check");
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "BUG-1: the market halted itself");
    }

    /// @notice BUG-2 (src/Market.sol, `_settleFunding` pays the minority side from pool cash; `poolWithdrawable`
    ///         and `_requireBacked` reserve no cash for it): the pool pays funding to the minority side at once,
    ///         in cash, but collects from the majority only when they are touched; LPs may withdraw cash down to
    ///         the backing rule, which counts the uncollected funding and the losers' unrealised PnL as equity.
    ///         When the cash is short, the next touch of a funding receiver takes pool cash below zero and trips
    ///         the market. Scenario: a balanced book (long 500 / short 250 + 250) needs no backing, so the LP
    ///         may take out all the cash; one short closes (a reduce: no backing check), the market is net long,
    ///         the remaining short receives funding; 48 hours later it deposits 1 unit.
    ///         Expected: the deposit commits (or a user error), the market stays Normal. Actual:
    ///         InvariantViolated(TokenConservation) — the receiver's margin is credited with cash the pool does
    ///         not have — and mode Halted, permanently.
    function test_BUG2_poolCashCannotPayFunding_depositHaltsMarket() public {
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 200_000e6);
        _depositMargin(bob, 100_000e6);
        _depositMargin(carol, 100_000e6);
        _open(alice, 500e18);
        _open(bob, -250e18);
        _open(carol, -250e18);
        uint256 shares = pool.maxRedeem(lp);
        vm.prank(lp);
        pool.redeem(shares, lp, lp);
        assertLe(market.aggregates().poolCash, 1, "precondition: the LP took all the cash the rules allow");
        vm.prank(carol);
        market.closePosition(0); // the pool keeps carol's fee: 400 of cash
        vm.warp(block.timestamp + 48 hours); // bob is owed 2,160 of funding, alice owes 4,320, unsettled

        _fund(bob, 1);
        vm.recordLogs();
        vm.prank(bob);
        try market.deposit(1) {} catch {}
        (uint256 trips, Invariant inv) = _trips(vm.getRecordedLogs());
        emit log_named_uint("InvariantViolated events", trips);
        emit log_named_uint("tripped invariant (0 = TokenConservation)", uint8(inv));
        assertEq(trips, 0, "BUG-2: a funding receiver's deposit tripped the market's invariant check");
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "BUG-2: the market halted itself");
    }
}
