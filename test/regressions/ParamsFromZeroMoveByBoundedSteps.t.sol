// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {Market} from "../../src/Market.sol";
import {OracleGuard} from "../../src/OracleGuard.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {IMarket, RiskParams} from "../../src/interfaces/IMarket.sol";
import {IOracleGuard, OracleParams} from "../../src/interfaces/IOracleGuard.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Issue 8, "smaller" (review of 632d01d): the step rule let a risk or oracle parameter at zero be set to any
///         value in one change (x2 means nothing from zero), so one proposal could take the fee, the funding rate or
///         the volatility multipliers from nothing to their maximum. Property: a parameter at zero rises only within
///         its first step (MarketParams), then by at most a factor of two per change; where zero is meaningless it is
///         refused (`jumpResetAfter` must cover `maxAge`, so it is never zero).
contract ParamsFromZeroMoveByBoundedStepsTest is BaseTest {
    function _zeroRiskMarket() internal returns (Market m, RiskParams memory r) {
        r = Defaults.riskParams();
        (r.tradingFee, r.insuranceFeeShare, r.liquidationPenalty) = (0, 0, 0);
        (r.keeperRewardShare, r.maxFundingRate, r.minBacking) = (0, 0, 0);
        m = new Market(address(usd), guard, r, address(this)); // the constructor takes any valid set
    }

    function test_riskParamAtZero_cannotJumpToItsMaximum() public {
        (Market m, RiskParams memory zero) = _zeroRiskMarket();
        RiskParams memory r = zero;
        r.tradingFee = 0.05e18; // the bound: 5% a trade
        vm.expectRevert(IMarket.MarketStepTooLarge.selector);
        m.setRiskParams(r);
        r = zero;
        r.maxFundingRate = 1e14; // the bound: 1,000x the default rate
        vm.expectRevert(IMarket.MarketStepTooLarge.selector);
        m.setRiskParams(r);
        r = zero;
        r.minBacking = 10e18;
        vm.expectRevert(IMarket.MarketStepTooLarge.selector);
        m.setRiskParams(r);
    }

    function test_riskParamAtZero_risesByItsFirstStepThenDoubles() public {
        (Market m, RiskParams memory r) = _zeroRiskMarket();
        r.tradingFee = 0.001e18; // the first step
        r.minBacking = 0.1e18;
        m.setRiskParams(r);
        r.tradingFee = 0.002e18;
        r.minBacking = 0.2e18;
        m.setRiskParams(r);
        assertEq(m.riskParams().tradingFee, 0.002e18);
        // And back down to zero from within the first step.
        r.tradingFee = 0.001e18;
        m.setRiskParams(r);
        r.tradingFee = 0;
        m.setRiskParams(r);
        assertEq(m.riskParams().tradingFee, 0);
    }

    function _zeroOracle() internal returns (OracleGuard g, OracleParams memory p) {
        p = Defaults.oracleParams();
        (p.kIM, p.kMM, p.mmMaxStep, p.secondaryMaxAge, p.sequencerGracePeriod) = (0, 0, 0, 0, 0);
        g = new OracleGuard(
            feed,
            feed2,
            AggregatorV3Interface(address(0)),
            Defaults.MIN_ANSWER,
            Defaults.MAX_ANSWER,
            p,
            Defaults.INITIAL_VARIANCE,
            address(this)
        );
    }

    function test_oracleParamAtZero_cannotJumpInOneChange() public {
        (OracleGuard g, OracleParams memory zero) = _zeroOracle();
        OracleParams memory p = zero;
        (p.kIM, p.kMM) = (18e18, 18e18); // margins from the floors to 18 sigma at once
        vm.expectRevert(IOracleGuard.OracleGuardStepTooLarge.selector);
        g.setParams(p);
        p = zero;
        p.mmMaxStep = 1e18;
        vm.expectRevert(IOracleGuard.OracleGuardStepTooLarge.selector);
        g.setParams(p);
        p = zero;
        p.sequencerGracePeriod = 30 days; // every reading refused for a month after any sequencer restart
        vm.expectRevert(IOracleGuard.OracleGuardStepTooLarge.selector);
        g.setParams(p);
    }

    function test_oracleParamAtZero_risesByItsFirstStepThenDoubles() public {
        (OracleGuard g, OracleParams memory p) = _zeroOracle();
        (p.kIM, p.kMM, p.mmMaxStep, p.sequencerGracePeriod) = (1e18, 1e18, 0.01e18, 1 hours);
        g.setParams(p);
        (p.kIM, p.mmMaxStep, p.sequencerGracePeriod) = (2e18, 0.02e18, 2 hours);
        g.setParams(p);
        assertEq(g.params().kIM, 2e18);
    }

    function test_jumpResetAfter_neverZero() public {
        OracleParams memory p = guard.params();
        p.jumpResetAfter = 0; // no first step: a field that is never zero cannot be stepped to it
        vm.expectRevert(IOracleGuard.OracleGuardStepTooLarge.selector);
        guard.setParams(p);
        p.jumpResetAfter = p.maxAge / 2; // a factor of two, but below maxAge: a single round would be accepted
        vm.expectRevert(IOracleGuard.OracleGuardBadParams.selector);
        guard.setParams(p);
    }
}
