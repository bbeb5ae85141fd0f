// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {OracleClass} from "../../src/interfaces/IOracleGuard.sol";
import {SafetyBaseTest} from "../utils/SafetyBaseTest.sol";

/// @notice L-02 (review of 632d01d): a secondary answering about 1.2e49 or more made `divWad` revert inside the
///         guard's classification, so refresh, idle withdrawals, liquidations and the LP hooks reverted. Property:
///         no feed answer (huge, negative, malformed) makes a path revert that does not need the price.
contract NoFeedAnswerBlocksIdlePathsTest is SafetyBaseTest {
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _depositMargin(carol, 1000e6); // never trades
    }

    function test_hugeSecondary_ignored_everyPathStillWorks() public {
        vm.warp(block.timestamp + 60);
        feed2.setBounds(0, type(int256).max); // the mock's clamp would hide the answer
        feed2.setAnswer(1.3e49);
        market.refresh();
        assertEq(uint8(guard.peek().class), uint8(OracleClass.Valid), "a huge secondary is ignored");
        vm.prank(carol);
        market.withdraw(100e6);
        _depositMargin(carol, 100e6);
    }

    function test_hugePrimary_atBounds_idlePathsWork() public {
        vm.warp(block.timestamp + 60);
        feed.setBounds(0, type(int256).max);
        feed.setAnswer(type(int256).max);
        market.refresh();
        assertEq(uint8(guard.peek().class), uint8(OracleClass.AtBounds));
        vm.prank(carol);
        market.withdraw(100e6);
        _depositMargin(carol, 100e6);
        market.settle(); // the owner (this test) settles at the last good price
        vm.warp(block.timestamp + market.safetyParams().settlementWindow);
        vm.prank(carol);
        market.claim();
        assertEq(uint8(market.mode()), uint8(Mode.Settlement));
    }
}
