// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, SafetyParams} from "../../src/interfaces/IMarket.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice L-03 (review of 632d01d): the safety parameters had no step bounds, and the step rule elsewhere let a
///         parameter at zero jump to any value in one change. Property: each safety parameter moves by at most a
///         factor of two per change, and one at (or near) zero only within its first step (1,000 collateral tokens
///         for the insurance floor, 1 h for the breaker cooldown, 10% for the Cautious OI factor and warning band).
contract SafetyParamsMoveByBoundedStepsTest is BaseTest {
    function _refused(SafetyParams memory p) internal {
        vm.expectRevert(IMarket.MarketStepTooLarge.selector);
        market.setSafetyParams(p);
    }

    function test_aFieldAtZero_risesOnlyByItsFirstStep() public {
        SafetyParams memory p = market.safetyParams();
        p.insuranceFloor = 0; // within the first step of the default 1,000 tokens
        market.setSafetyParams(p);
        p.insuranceFloor = 1_000_000e6;
        _refused(p);
        p.insuranceFloor = 1000e6 + 1;
        _refused(p);
        p.insuranceFloor = 1000e6;
        market.setSafetyParams(p);
        p.insuranceFloor = 2000e6; // then a factor of two
        market.setSafetyParams(p);
    }

    function test_eachFieldMovesByAtMostAFactorOfTwo() public {
        SafetyParams memory d = market.safetyParams();
        SafetyParams memory p = market.safetyParams();
        p.breakerCooldown = 1 days;
        _refused(p);
        p = market.safetyParams();
        p.maxHaltDuration = d.maxHaltDuration / 2 - 1;
        _refused(p);
        p = market.safetyParams();
        p.cautiousImMultiplier = 2 * d.cautiousImMultiplier + 1;
        _refused(p);
        p = market.safetyParams();
        p.breakerValidReadings = 2 * d.breakerValidReadings + 1;
        _refused(p);
        p = market.safetyParams();
        p.warningBand = 0; // 25% is beyond the 10% first step
        _refused(p);
        p = market.safetyParams();
        p.breakerCooldown = 2 * d.breakerCooldown;
        p.maxHaltDuration = 2 * d.maxHaltDuration;
        market.setSafetyParams(p);
        assertEq(market.safetyParams().maxHaltDuration, 2 * d.maxHaltDuration);
    }
}
