// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {IMarket, SafetyParams} from "../../src/interfaces/IMarket.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {GovernedBaseTest} from "../utils/GovernedBaseTest.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @notice L-03 and issue 8 "smaller" (review of 632d01d): `Ownable` was one-step (a mistyped address took the market
///         at once), `renounceOwnership` was live (a market nobody can reopen), handing the market to a non-timelock
///         skipped the exit-window check, and `breakerCooldown` was unbounded (every trip terminal). Property: ownership
///         moves in two steps, is never renounced, and is accepted only by a timelock whose delay covers the exit
///         window at the moment it accepts; the oracle guard moves in two steps too; the cooldown is bounded.
contract OwnershipOnlyToATimelockTest is BaseTest {
    function _accept(address by) internal {
        vm.prank(by);
        Ownable2Step(address(market)).acceptOwnership();
    }

    function test_ownership_movesInTwoSteps() public {
        address[] memory none = new address[](0);
        TimelockController enough = new TimelockController(Defaults.timelockDelay(), none, none, address(0));
        market.transferOwnership(address(enough));
        assertEq(market.owner(), address(this), "a proposal alone moves nothing");
        assertEq(Ownable2Step(address(market)).pendingOwner(), address(enough));
        _accept(address(enough));
        assertEq(market.owner(), address(enough));
    }

    function test_ownership_acceptedOnlyByATimelockThatCoversTheExitWindow() public {
        address eoa = makeAddr("eoa");
        market.transferOwnership(eoa);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOwnerNotTimelock.selector, eoa));
        _accept(eoa);

        address[] memory none = new address[](0);
        TimelockController short = new TimelockController(1 days, none, none, address(0));
        market.transferOwnership(address(short));
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketTimelockTooShort.selector, 1 days, Defaults.timelockDelay())
        );
        _accept(address(short));

        // The check is at acceptance: a timelock that shortens its delay after the proposal is refused.
        TimelockController shrinking =
            new TimelockController(Defaults.timelockDelay(), none, none, address(0));
        market.transferOwnership(address(shrinking));
        vm.prank(address(shrinking));
        shrinking.updateDelay(1 days);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketTimelockTooShort.selector, 1 days, Defaults.timelockDelay())
        );
        _accept(address(shrinking));
        assertEq(market.owner(), address(this));
    }

    function test_ownership_neverRenounced() public {
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOwnerNotTimelock.selector, address(0)));
        market.renounceOwnership();
        assertEq(market.owner(), address(this));
    }

    function test_oracleGuard_ownershipMovesInTwoSteps_neverRenounced() public {
        address next = makeAddr("next");
        guard.transferOwnership(next);
        assertEq(guard.owner(), address(this), "a proposal alone moves nothing");
        vm.prank(next);
        Ownable2Step(address(guard)).acceptOwnership();
        assertEq(guard.owner(), next);
        vm.prank(next);
        vm.expectRevert();
        guard.renounceOwnership();
        assertEq(guard.owner(), next);
    }

    function test_breakerCooldown_boundedByTheExit() public {
        SafetyParams memory p = market.safetyParams();
        p.breakerCooldown = p.maxHaltDuration; // every trip would outlast the exit
        vm.expectRevert(IMarket.MarketBadParams.selector);
        market.setSafetyParams(p);
        uint32 limit = p.maxHaltDuration / 2;
        p.breakerCooldown = market.safetyParams().breakerCooldown;
        while (p.breakerCooldown < limit) {
            // A factor of two per change (the step bound).
            p.breakerCooldown = 2 * p.breakerCooldown > limit ? limit : 2 * p.breakerCooldown;
            market.setSafetyParams(p);
        }
    }
}

/// @notice The deployed system (script/SystemDeployer's `_deployGovernance`, as the deploy script runs it): the
///         timelock has accepted the market and the oracle guard, with its full delay, and the deployer keeps no role.
contract OwnershipHandedToTheTimelockAtDeployTest is GovernedBaseTest {
    function test_deploy_timelockOwnsEverything_deployerKeepsNothing() public view {
        assertEq(market.owner(), address(timelock));
        assertEq(guard.owner(), address(timelock));
        assertEq(Ownable2Step(address(market)).pendingOwner(), address(0));
        assertEq(Ownable2Step(address(guard)).pendingOwner(), address(0));
        assertEq(timelock.getMinDelay(), Defaults.timelockDelay());
        assertFalse(timelock.hasRole(timelock.PROPOSER_ROLE(), address(this)));
        assertFalse(timelock.hasRole(timelock.CANCELLER_ROLE(), address(this)));
        assertFalse(
            timelock.hasRole(timelock.EXECUTOR_ROLE(), address(this))
                && !timelock.hasRole(timelock.EXECUTOR_ROLE(), address(0))
        );
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(this)));
    }
}
