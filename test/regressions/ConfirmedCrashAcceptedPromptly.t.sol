// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Mode} from "../../src/interfaces/IMarket.sol";
import {OracleClass} from "../../src/interfaces/IOracleGuard.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Issue 9 property 3, the other side: in the 10 Oct 2025 replay a genuine crash, published by both
///         independent feeds, was refused as TooVolatile for 57 minutes, during which nothing could close or be
///         liquidated. Property: a move beyond the jump band that a fresh secondary confirms (within the divergence
///         band) is accepted on its first round.
contract ConfirmedCrashAcceptedPromptlyTest is IntegrationBase {
    /// @dev LP 1,000,000; Alice 10,000 margin, long 40 at 2,000 (8x): underwater at 1,400.
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 40e18);
    }

    function test_aCrashBothFeedsPublish_isAcceptedAtOnce() public {
        vm.warp(block.timestamp + 60);
        feed2.setAnswer(1390e8);
        feed.setAnswer(1400e8); // -30%, 0.7% from the secondary
        assertEq(uint8(market.refresh()), uint8(OracleClass.Valid), "a confirmed crash was refused");
        (uint256 price,) = guard.lastGoodPrice();
        assertEq(price, 1400e18);
        // The underwater account is liquidated at once, and the market did not halt.
        market.liquidate(alice);
        assertEq(uint8(market.mode()) == uint8(Mode.Halted) ? 1 : 0, 0, "a confirmed crash halted the market");
    }

    function test_aCrashBothFeedsPublish_letsATraderCloseAtOnce() public {
        _depositMargin(bob, 50_000e6);
        _open(bob, -10e18);
        vm.warp(block.timestamp + 60);
        feed2.setAnswer(1400e8);
        feed.setAnswer(1400e8);
        vm.prank(bob);
        market.modifyPosition(10e18, 0); // closes at the confirmed price
    }
}
