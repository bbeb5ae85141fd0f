// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {IMarket, SafetyParams} from "../../src/interfaces/IMarket.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @notice L-03 (review of 632d01d): handing the market to an address that is not a timelock skipped the exit-window
///         check, `renounceOwnership` was live (a market nobody can reopen), and `breakerCooldown` was unbounded (a
///         cooldown past the exit made every trip terminal). Property: ownership only to a timelock that covers the
///         exit window, never renounced; the cooldown bounded by half of maxHaltDuration.
contract OwnershipOnlyToATimelockTest is BaseTest {
    function test_ownership_onlyToATimelockThatCoversTheExitWindow() public {
        address eoa = makeAddr("eoa");
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOwnerNotTimelock.selector, eoa));
        market.transferOwnership(eoa);

        address[] memory none = new address[](0);
        TimelockController short = new TimelockController(1 days, none, none, address(0));
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketTimelockTooShort.selector, 1 days, Defaults.timelockDelay())
        );
        market.transferOwnership(address(short));

        TimelockController enough = new TimelockController(Defaults.timelockDelay(), none, none, address(0));
        market.transferOwnership(address(enough));
        assertEq(market.owner(), address(enough));
    }

    function test_ownership_neverRenounced() public {
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOwnerNotTimelock.selector, address(0)));
        market.renounceOwnership();
        assertEq(market.owner(), address(this));
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
