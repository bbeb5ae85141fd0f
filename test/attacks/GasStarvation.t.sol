// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {IOracleGuard} from "../../src/interfaces/IOracleGuard.sol";
import {HostileAggregator} from "../mocks/HostileAggregator.sol";
import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @notice Starving a call of gas (EIP-150's 63/64 rule) must never forge a trip. Every entry point is called
///         with every gas limit in a range that covers running out in the outer frame, in the self-call, in the
///         oracle guard and in the feed calls themselves; each call either succeeds or reverts, and no limit
///         leaves the market tripped. Both feeds are expensive (they burn gas per reading), so that a starved
///         feed call is among the outcomes, which the guard must turn into OracleGuardOutOfGas, not Stale.
contract GasStarvationTest is SafetyBaseTest {
    uint256 internal constant FEED_GAS = 60_000;
    uint256 internal constant COARSE = 2000;
    uint256 internal constant FINE = 11;

    HostileAggregator internal primary;
    HostileAggregator internal secondary;

    struct Outcomes {
        uint256 ok;
        uint256 guardOutOfGas;
        uint256 emptyRevert;
        uint256 transferFailed; // a starved token call, wrapped by SafeTransferLib or the balance read
        uint256 other;
    }

    function setUp() public override {
        super.setUp();
        primary = new HostileAggregator(8, Defaults.INITIAL_ANSWER);
        secondary = new HostileAggregator(8, Defaults.INITIAL_ANSWER);
        _redeploy(address(usd), primary, secondary);
        _lpDeposit(lp, 1_000_000e6);
        vm.warp(block.timestamp + pool.minHoldingPeriod()); // the LP's shares may leave
        primary.setAnswer(Defaults.INITIAL_ANSWER);
        secondary.setAnswer(Defaults.INITIAL_ANSWER);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        primary.setGasToBurn(FEED_GAS);
        secondary.setGasToBurn(FEED_GAS);
    }

    /// @dev One call as `caller` with gas limit `g` from the snapshot `snap`; asserts that it did not trip the
    ///      market and returns its outcome: 0 success, 1 OracleGuardOutOfGas, 2 empty revert (out of gas),
    ///      3 a starved token call or balance read (wrapped in its own error), 4 anything else.
    function _try(address caller, address target, bytes memory data, uint256 g, uint256 snap)
        internal
        returns (uint256 kind)
    {
        vm.prank(caller);
        (bool ok, bytes memory ret) = target.call{gas: g}(data);
        assertEq(market.haltFlags(), 0, "starvation tripped the market");
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "starvation moved the mode");
        if (ok) {
            kind = 0;
        } else if (ret.length == 0) {
            kind = 2;
        } else if (bytes4(ret) == IOracleGuard.OracleGuardOutOfGas.selector) {
            kind = 1;
        } else if (
            bytes4(ret) == SafeTransferLib.TransferFailed.selector
                || bytes4(ret) == SafeTransferLib.TransferFromFailed.selector
                || bytes4(ret) == IMarket.MarketBalanceUnreadable.selector
        ) {
            kind = 3;
        } else {
            kind = 4;
            emit log_named_bytes("unexplained revert", ret);
        }
        vm.revertToState(snap);
    }

    function _count(Outcomes memory o, uint256 kind) internal pure {
        if (kind == 0) ++o.ok;
        else if (kind == 1) ++o.guardOutOfGas;
        else if (kind == 2) ++o.emptyRevert;
        else if (kind == 3) ++o.transferFailed;
        else ++o.other;
    }

    /// @dev Every gas limit from `from` to `to` in coarse steps; wherever the outcome changes between two steps,
    ///      every limit in between (in steps of FINE) too, so that no narrow window is skipped.
    function _sweep(address caller, address target, bytes memory data, uint256 from, uint256 to)
        internal
        returns (Outcomes memory o)
    {
        uint256 snap = vm.snapshotState();
        uint256 prev = type(uint256).max;
        for (uint256 g = from; g <= to; g += COARSE) {
            uint256 kind = _try(caller, target, data, g, snap);
            _count(o, kind);
            if (prev != type(uint256).max && kind != prev) {
                for (uint256 h = g - COARSE + FINE; h < g; h += FINE) {
                    _count(o, _try(caller, target, data, h, snap));
                }
            }
            prev = kind;
        }
        emit log_named_uint("ok", o.ok);
        emit log_named_uint("guardOutOfGas", o.guardOutOfGas);
        emit log_named_uint("emptyRevert", o.emptyRevert);
        emit log_named_uint("transferFailed", o.transferFailed);
        assertEq(o.other, 0, "only out-of-gas reverts");
    }

    function _gasOf(address caller, address target, bytes memory data) internal returns (uint256 used) {
        uint256 snap = vm.snapshotState();
        vm.prank(caller);
        uint256 before = gasleft();
        (bool ok,) = target.call(data);
        used = before - gasleft();
        assertTrue(ok, "the call succeeds with enough gas");
        vm.revertToState(snap);
        emit log_named_uint("gas used", used);
    }

    /// @dev From a limit that barely enters the market to half as much again as the call needs.
    function _sweepAll(address caller, address target, bytes memory data)
        internal
        returns (Outcomes memory o)
    {
        uint256 used = _gasOf(caller, target, data);
        o = _sweep(caller, target, data, 25_000, used + used / 2);
        assertGt(o.ok, 0);
    }

    function test_starve_increase() public {
        Outcomes memory o =
            _sweepAll(alice, address(market), abi.encodeCall(IMarket.modifyPosition, (1e18, 0)));
        assertGt(o.guardOutOfGas, 0, "the sweep starves the guard's feed calls");
    }

    function test_starve_withdrawWithPosition() public {
        Outcomes memory o = _sweepAll(alice, address(market), abi.encodeCall(IMarket.withdraw, (100e6)));
        assertGt(o.guardOutOfGas, 0);
    }

    function test_starve_lpWithdraw_throughThePool() public {
        Outcomes memory o = _sweepAll(lp, address(pool), abi.encodeCall(pool.withdraw, (1000e6, lp, lp)));
        assertGt(o.guardOutOfGas, 0);
    }

    function test_starve_reduceDepositRefresh() public {
        _sweepAll(alice, address(market), abi.encodeCall(IMarket.modifyPosition, (-1e18, 0)));
        _fund(carol, 1000e6);
        _sweepAll(carol, address(market), abi.encodeCall(IMarket.deposit, (100e6)));
        _sweepAll(keeper, address(market), abi.encodeCall(IMarket.refresh, ()));
    }

    function test_starve_liquidate() public {
        _depositMargin(bob, 2100e6);
        _open(bob, 10e18);
        vm.warp(block.timestamp + 1 hours);
        primary.setAnswer(1880e8);
        secondary.setAnswer(1880e8);
        market.refresh();
        (int256 equity,, uint256 maintenance,) = market.accountHealth(bob);
        assertLt(equity, int256(maintenance));
        Outcomes memory o = _sweepAll(keeper, address(market), abi.encodeCall(IMarket.liquidate, (bob)));
        assertGt(o.guardOutOfGas, 0);
    }

    /// @dev The guard's own starvation check matters most for an expensive feed: only when the feed needs millions
    ///      of gas can a caller starve the feed call and still leave the outer frame (1/64 of its gas) enough to
    ///      commit a trip. Sweep the band below the success threshold, where that is possible: the guard must
    ///      answer OracleGuardOutOfGas there, never a Stale reading that the market would commit as a trip.
    function test_starve_expensiveFeed_guardRefusesToReadStale() public {
        primary.setGasToBurn(8_000_000);
        secondary.setGasToBurn(0);
        bytes memory data = abi.encodeCall(IMarket.modifyPosition, (1e18, 0));
        uint256 used = _gasOf(alice, address(market), data);
        uint256 snap = vm.snapshotState();
        Outcomes memory o;
        // 60 limits from 70% to 100% of what the call needs (each costs up to ~8M gas: the test budget is finite).
        for (uint256 g = used * 70 / 100; g <= used; g += used / 200) {
            _count(o, _try(alice, address(market), data, g, snap));
        }
        emit log_named_uint("ok", o.ok);
        emit log_named_uint("guardOutOfGas", o.guardOutOfGas);
        emit log_named_uint("emptyRevert", o.emptyRevert);
        assertEq(o.other, 0);
        assertGt(o.guardOutOfGas, 20, "the band where the feed starves with gas to spare outside");
    }
}
