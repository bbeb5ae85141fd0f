// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {GovernedBaseTest} from "../utils/GovernedBaseTest.sol";

/// @notice M-01 (review of 632d01d): the timelock's delay (4 days) had to cover the exit window while anyone could
///         settle a market Halted for maxHaltDuration (3 days): a reopening queued the second the guardian escalated
///         landed a day after a stranger settled. The guardian, who may only tighten, ended markets, and every
///         invariant or insolvency halt was terminal. Property: a halt governance may lift is not settleable until
///         governance has had its delay (plus a day's grace); the guardian cannot end a market.
contract GovernanceActsBeforeTheExitTest is GovernedBaseTest {
    function test_guardianHalt_governanceReopensBeforeAnyoneCanSettle() public {
        uint256 haltedAt = block.timestamp;
        _safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Halted)));
        assertEq(market.exitOpensAt(), haltedAt + delay + 1 days, "exit after governance's delay and a grace");
        bytes memory reopen = abi.encodeCall(IMarket.setMode, (Mode.Normal));
        _schedule(address(market), reopen, "reopen");

        vm.warp(haltedAt + market.safetyParams().maxHaltDuration);
        vm.expectRevert(IMarket.MarketNotSettleable.selector);
        vm.prank(stranger);
        market.settle();

        vm.warp(haltedAt + delay);
        _execute(address(market), reopen, "reopen");
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "governance reopened first");
    }

    function test_haltNobodyLifts_exitOpensAfterGovernancesDelay() public {
        _safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Halted)));
        uint256 opens = market.exitOpensAt();
        vm.warp(opens - 1);
        vm.expectRevert(IMarket.MarketNotSettleable.selector);
        vm.prank(stranger);
        market.settle();
        vm.warp(opens);
        vm.prank(stranger);
        market.settle();
        assertEq(uint8(market.mode()), uint8(Mode.Settlement), "users' exit still holds");
    }
}
