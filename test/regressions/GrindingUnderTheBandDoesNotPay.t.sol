// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket} from "../../src/interfaces/IMarket.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice Issue 9 property 4 (the grinding half): trading at a level the feeds showed for moments does not pay. Each
///         pushed round is under the jump band, so it is Valid and the breaker never sees it; before, a trade executed
///         at it and the restore that followed paid the push to the trader. Now a trade executes at the worse, for the
///         trader, of the accepted round and the stable price, which follows accepted rounds at
///         TradePricing.STABLE_RATE_BPS_PER_MINUTE (1 % a minute): a level must stand before it can be traded on its
///         favourable side. Found as the Harvest incident (harness/scenario/incidents: 30 cycles of -1 % pushes,
///         +$142k of a $2M pool) and its bZx variation (a x1.03 spike closed at the spike: +$2.2k).
contract GrindingUnderTheBandDoesNotPayTest is IntegrationBase {
    address internal attacker = makeAddr("attacker");
    address internal trader = makeAddr("trader");

    function setUp() public override {
        super.setUp();
        _noFunding();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(attacker, 20_000e6);
        _depositMargin(trader, 20_000e6);
        vm.warp(block.timestamp + 10 minutes); // the opening level has stood (and the stable price is on it)
        _step(2000e8, 0);
    }

    /// @notice Harvest shape: each cycle both feeds are pushed -1 % (a Valid round), the attacker opens 5x long at it,
    ///         one block (12 s) later the feeds are restored and he closes. Before: about +800 a cycle (the push on
    ///         100k of notional less two fees). Now he buys at the stable price, which has not moved, and sells at one
    ///         that the push dragged down for 12 s: every cycle loses.
    function test_grindingPushesAndRestoresDoesNotPay() public {
        for (uint256 i; i < 10; ++i) {
            _step(1980e8, 60);
            _open(attacker, 50e18);
            _step(2000e8, 12);
            vm.prank(attacker);
            market.closePosition(0);
        }
        int256 net = market.accountOf(attacker).margin - 20_000e6;
        assertLe(net, 0, "grinding under the band does not pay");
    }

    /// @notice bZx variation: long at the fair price, then in one block both feeds x1.03 (under the band, so Valid)
    ///         and the attacker closes at the spike. Before: +3,000 less fees. Now the close executes at the stable
    ///         price, the level that stood: he pays two fees.
    function test_spikeUnderTheBandClosedAtTheSpikeDoesNotPay() public {
        _open(attacker, 50e18);
        _step(2060e8, 60);
        vm.prank(attacker);
        market.closePosition(0);
        int256 net = market.accountOf(attacker).margin - 20_000e6;
        assertLe(net, 0, "a spike under the band closed at the spike does not pay");
    }

    /// @notice The short side of the same: a dip under the band, a short closed (bought back) at the dip.
    function test_dipUnderTheBandClosedAtTheDipDoesNotPay() public {
        _open(attacker, -50e18);
        _step(1940e8, 60);
        vm.prank(attacker);
        market.closePosition(0);
        int256 net = market.accountOf(attacker).margin - 20_000e6;
        assertLe(net, 0, "a dip under the band closed at the dip does not pay");
    }

    /// @notice The honest cost: after a real, persistent move of x (here -5 %, both feeds), a trade on the move's
    ///         favourable side (buying after a fall: a short taking profit, a new long) executes at the stable price,
    ///         which catches up at 1 % a minute: the cost is at most (x - 1 %/min * t) of the notional, here 5 % at
    ///         once, 2.5 % after 150 s, nothing after 5 minutes. The other side (selling after the fall) executes at
    ///         the accepted round at once.
    function test_honestTradeAfterARealMovePaysAtMostTheStatedCost() public {
        address seller = makeAddr("seller");
        _depositMargin(seller, 20_000e6);
        _open(trader, -10e18);
        _open(seller, 10e18);
        vm.warp(block.timestamp + 10 minutes);
        _step(1900e8, 0);

        assertEq(_tradePrice(seller, -5e18), 1900e18, "selling after the fall: the accepted round, at once");
        assertEq(_tradePrice(trader, 2e18), 2000e18, "buying at once: the level that stood (5 % over spot)");
        vm.warp(block.timestamp + 150);
        assertEq(_tradePrice(trader, 2e18), 1950e18, "after 150 s: 2.5 % over spot");
        vm.warp(block.timestamp + 150);
        assertEq(_tradePrice(trader, 2e18), 1900e18, "after 5 minutes: the accepted round");
        // Reading the feeds later changes nothing: the stable price followed the accepted round all along.
        vm.warp(block.timestamp + 1 minutes);
        _step(1900e8, 0);
        assertEq(_tradePrice(trader, 2e18), 1900e18);
    }

    /// @notice A liquidation keeps the accepted round: it is forced, not timed by the trader, and the account's margin
    ///         is measured at that round.
    function test_liquidationKeepsTheAcceptedRound() public {
        _open(attacker, 90e18); // 9x at 2000: IM 10 %
        vm.warp(block.timestamp + 10 minutes);
        _step(1840e8, 0); // -8 %: under the band, below maintenance
        vm.recordLogs();
        market.liquidate(attacker);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool seen;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IMarket.Liquidated.selector) {
                (, uint256 price,,) = abi.decode(logs[i].data, (int256, uint256, uint256, uint256));
                assertEq(price, 1840e18, "liquidated at the accepted round");
                seen = true;
            }
        }
        assertTrue(seen, "liquidated");
    }

    /// @dev Trades `delta` for `who` and returns the price it executed at (from PositionModified).
    function _tradePrice(address who, int256 delta) internal returns (uint256 price) {
        vm.recordLogs();
        _open(who, delta);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IMarket.PositionModified.selector) {
                (, price,,,) = abi.decode(logs[i].data, (int256, uint256, int256, uint256, int256));
            }
        }
    }
}
