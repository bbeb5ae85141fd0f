// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";

/// @notice H-01 (review of 632d01d): liquidations were refused in every Halted market, so a halt anyone could cause
///         kept accounts that were unhealthy at the guard's own price from liquidation while the price drifted (an
///         account liquidatable for hours ended in bad debt). Property: a halt anyone can cause cannot stop the
///         liquidation of accounts unhealthy at a price the guard trusts for longer than a bounded time (the
///         breaker's cooldown); they are liquidated at the side of (reading, last good price) kinder to them.
contract BreakerHaltCannotBlockLiquidationsTest is SafetyBaseTest {
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 2500e6);
        _open(alice, 10e18); // long 10 at 2,000 with 2,500: liquidatable below about 1,830
        _depositMargin(bob, 10_000e6);
        _stepTo(1780e8); // accepted rounds: unhealthy at the last good price
        (int256 equity,, uint256 maintenance,) = market.accountHealth(alice);
        assertLt(equity, int256(maintenance), "unhealthy at the last good price");
        // Before any keeper acts, a bad new round (-30%) is seen by an honest trader: the breaker trips.
        vm.warp(block.timestamp + 60);
        _setPrimaryUnconfirmed(1250e8);
        vm.prank(bob);
        market.modifyPosition(1e18, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "tripped");
    }

    function test_unhealthyAtTheTrustedPrice_liquidatedOnceTheCooldownHasPassed() public {
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotAllowed.selector, 4, Mode.Halted));
        vm.prank(keeper);
        market.liquidate(alice); // inside the cooldown: the account can still add margin

        vm.warp(block.timestamp + market.safetyParams().breakerCooldown);
        vm.prank(keeper);
        market.liquidate(alice);
        assertEq(market.accountOf(alice).size, 0, "liquidated");
        assertEq(uint8(market.mode()), uint8(Mode.Halted), "still halted: the reading is not trusted");
    }
}
