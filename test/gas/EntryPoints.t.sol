// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Gas of the market's main entry points, one call per test, written to snapshots/market.json
///         and snapshots/pool.json (`vm.snapshotGasLastCall`), the figures the gate checks.
/// @dev Isolated: every top-level call is its own transaction, so the measured call pays cold storage and cold
///      accounts as it would on chain, not the warm slots the fixture left behind. Each test starts from the same
///      state: a pool with 1,000,000, Alice with 10,000 of margin, five minutes after the last price update.
/// forge-config: default.isolate = true
contract EntryPointsGasTest is BaseTest {
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _fund(alice, 10_000e6);
        _fund(carol, 10_000e6);
        vm.warp(block.timestamp + 300);
    }

    /// @dev Alice long 10 (notional 20,000), a minute later.
    function _withPosition() internal {
        _open(alice, 10e18);
        _later();
    }

    /// @dev A minute passes and the feeds publish the same price again (a heartbeat), so a Valid round is pending.
    function _later() internal {
        vm.warp(block.timestamp + 60);
        _setPrice(2000e8);
    }

    function test_gas_deposit() public {
        vm.prank(alice);
        market.deposit(1000e6);
        vm.snapshotGasLastCall("market", "deposit");
    }

    function test_gas_depositNewAccount() public {
        vm.prank(carol);
        market.deposit(1000e6);
        vm.snapshotGasLastCall("market", "deposit (new account)");
    }

    function test_gas_withdraw() public {
        vm.prank(alice);
        market.withdraw(1000e6);
        vm.snapshotGasLastCall("market", "withdraw");
    }

    function test_gas_withdrawWithPosition() public {
        _withPosition();
        vm.prank(alice);
        market.withdraw(1000e6);
        vm.snapshotGasLastCall("market", "withdraw (with position)");
    }

    function test_gas_open() public {
        _later();
        vm.prank(alice);
        market.modifyPosition(10e18, 0);
        vm.snapshotGasLastCall("market", "open");
    }

    function test_gas_commitOrder() public {
        vm.prank(alice);
        market.commitOrder(10e18, 0);
        vm.snapshotGasLastCall("market", "commit order");
    }

    /// @dev The same open as test_gas_open, by order: committed, then executed by a keeper at the next round.
    function test_gas_executeOrder() public {
        vm.prank(alice);
        market.commitOrder(10e18, 0);
        _later();
        vm.prank(keeper);
        market.executeOrder(alice);
        vm.snapshotGasLastCall("market", "execute order (open)");
    }

    function test_gas_increase() public {
        _withPosition();
        vm.prank(alice);
        market.modifyPosition(5e18, 0);
        vm.snapshotGasLastCall("market", "increase");
    }

    function test_gas_reduce() public {
        _withPosition();
        vm.prank(alice);
        market.modifyPosition(-5e18, 0);
        vm.snapshotGasLastCall("market", "reduce");
    }

    function test_gas_close() public {
        _withPosition();
        vm.prank(alice);
        market.closePosition(0);
        vm.snapshotGasLastCall("market", "close");
    }

    /// @dev Alice 9.3x long, the price 9% lower half an hour later: liquidated with margin left.
    function test_gas_liquidate() public {
        _open(alice, 46e18);
        vm.warp(block.timestamp + 1800);
        _setPrice(1820e8);
        vm.prank(keeper);
        market.liquidate(alice);
        vm.snapshotGasLastCall("market", "liquidate");
    }

    /// @dev Alice long 10, the price 5% lower a minute later: a keeper settles her 1,000 loss into the pool's cash.
    function test_gas_settleLoss() public {
        _open(alice, 10e18);
        vm.warp(block.timestamp + 60);
        _setPrice(1900e8);
        vm.prank(keeper);
        market.settleLoss(alice);
        vm.snapshotGasLastCall("market", "settleLoss");
    }

    function test_gas_fundInsurance() public {
        vm.prank(carol);
        market.fundInsurance(1000e6);
        vm.snapshotGasLastCall("market", "fundInsurance");
    }

    function test_gas_refresh() public {
        _later();
        market.refresh();
        vm.snapshotGasLastCall("market", "refresh");
    }

    function test_gas_lpDeposit() public {
        _later();
        vm.prank(carol);
        pool.deposit(10_000e6, carol);
        vm.snapshotGasLastCall("pool", "deposit");
    }

    function test_gas_lpRedeem() public {
        vm.warp(block.timestamp + pool.minHoldingPeriod()); // the LP's shares are past their holding period
        _later();
        vm.prank(lp);
        pool.redeem(1e16, lp, lp); // 1% of the LP's shares
        vm.snapshotGasLastCall("pool", "redeem");
    }
}
