// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, RiskParams, SafetyParams} from "../interfaces/IMarket.sol";
import {OracleParams} from "../interfaces/IOracleGuard.sol";

/// @title MarketParams
/// @notice The bounds of a market's governance-set parameters and the one step rule of every step-bounded parameter
///         (risk, safety and the oracle guard's): each change moves a field by at most a factor of two, and a field
///         that may be zero moves within [0, its first step] (`stepWithin`), so that no single proposal can take it
///         from zero to anything. Fields that are never zero have no first step. External functions are
///         delegatecalled from the market, so that the checks do not count toward its code size.
library MarketParams {
    uint256 internal constant WAD = 1e18;
    /// @notice First steps (see `stepWithin`): durations in seconds (breakerCooldown, the oracle's secondaryMaxAge and
    ///         sequencerGracePeriod), WAD fractions (the fee shares, minBacking, cautiousOiFactor, warningBand), the
    ///         insurance floor in whole collateral tokens (the market scales it by the token's decimals), and the
    ///         defaults' own values for the trading fee, the liquidation penalty, the funding rate (per second at full
    ///         skew), the volatility multipliers kIM and kMM, and the maintenance margin's largest rise.
    uint256 internal constant DURATION_FIRST_STEP = 1 hours;
    uint256 internal constant FRACTION_FIRST_STEP = 0.1e18;
    uint256 internal constant FLOOR_FIRST_STEP_TOKENS = 1000;
    uint256 internal constant FEE_FIRST_STEP = 0.001e18;
    uint256 internal constant PENALTY_FIRST_STEP = 0.01e18;
    uint256 internal constant FUNDING_RATE_FIRST_STEP = 1e11;
    uint256 internal constant SIGMA_MULTIPLE_FIRST_STEP = 1e18;
    uint256 internal constant MM_RISE_FIRST_STEP = 0.01e18;

    /// @notice Checks (`checkRisk`) and writes new risk parameters.
    function setRisk(RiskParams storage self, RiskParams memory r) external {
        checkRisk(self, r);
        self.tradingFee = r.tradingFee;
        self.insuranceFeeShare = r.insuranceFeeShare;
        self.liquidationPenalty = r.liquidationPenalty;
        self.keeperRewardShare = r.keeperRewardShare;
        self.maxFundingRate = r.maxFundingRate;
        self.minBacking = r.minBacking;
        self.skewScale = r.skewScale;
        self.maxOpenInterest = r.maxOpenInterest;
        emit IMarket.RiskParamsUpdated(r);
    }

    /// @notice Reverts unless `r` is within bounds and each field moves from `o` by a bounded step (`stepWithin`), so
    ///         that no single proposal can swing the market.
    function checkRisk(RiskParams memory o, RiskParams memory r) internal pure {
        if (
            !stepWithin(o.tradingFee, r.tradingFee, FEE_FIRST_STEP)
                || !stepWithin(o.insuranceFeeShare, r.insuranceFeeShare, FRACTION_FIRST_STEP)
                || !stepWithin(o.liquidationPenalty, r.liquidationPenalty, PENALTY_FIRST_STEP)
                || !stepWithin(o.keeperRewardShare, r.keeperRewardShare, FRACTION_FIRST_STEP)
                || !stepWithin(o.maxFundingRate, r.maxFundingRate, FUNDING_RATE_FIRST_STEP)
                || !stepWithin(o.minBacking, r.minBacking, FRACTION_FIRST_STEP)
                || !stepWithin(o.skewScale, r.skewScale, 0)
                || !stepWithin(o.maxOpenInterest, r.maxOpenInterest, 0)
        ) revert IMarket.MarketStepTooLarge();
        if (
            r.tradingFee > 0.05e18 || r.insuranceFeeShare > WAD || r.liquidationPenalty > 0.2e18
                || r.keeperRewardShare > WAD || r.maxFundingRate > 1e14 || r.minBacking > 10 * WAD
                || r.skewScale == 0 || r.maxOpenInterest == 0
        ) revert IMarket.MarketBadParams();
    }

    /// @notice Reverts unless `p` is within bounds.
    function checkSafety(SafetyParams memory p) internal pure {
        if (
            p.maxHaltDuration < 1 hours || p.maxHaltDuration > 30 days || p.settlementWindow < 1 hours
                || p.settlementWindow > 30 days || p.breakerValidReadings == 0 || p.cautiousImMultiplier < WAD
                || p.cautiousImMultiplier > 5 * WAD || p.cautiousOiFactor > WAD || p.warningBand > WAD
                // The breaker must be able to reset well before the exit opens: no trip may become terminal by itself.
                || 2 * uint256(p.breakerCooldown) > p.maxHaltDuration
        ) revert IMarket.MarketBadParams();
    }

    /// @notice Reverts unless each field of `p` is within a factor of two of `o`'s, or both lie within the field's
    ///         first step: a field at zero is raised a step at a time, never to anything in one change.
    ///         `floorFirstStep` is FLOOR_FIRST_STEP_TOKENS in the collateral's units.
    function checkSafetySteps(SafetyParams memory o, SafetyParams memory p, uint256 floorFirstStep)
        internal
        pure
    {
        if (
            !stepWithin(o.insuranceFloor, p.insuranceFloor, floorFirstStep)
                || !stepWithin(o.maxHaltDuration, p.maxHaltDuration, 0)
                || !stepWithin(o.settlementWindow, p.settlementWindow, 0)
                || !stepWithin(o.breakerCooldown, p.breakerCooldown, DURATION_FIRST_STEP)
                || !stepWithin(o.breakerValidReadings, p.breakerValidReadings, 0)
                || !stepWithin(o.cautiousImMultiplier, p.cautiousImMultiplier, 0)
                || !stepWithin(o.cautiousOiFactor, p.cautiousOiFactor, FRACTION_FIRST_STEP)
                || !stepWithin(o.warningBand, p.warningBand, FRACTION_FIRST_STEP)
        ) revert IMarket.MarketStepTooLarge();
    }

    /// @notice Whether each of the oracle guard's parameters moves from `o` to `p` by a bounded step. Only the fields
    ///         the guard lets be zero have a first step (the others are checked nonzero by the guard).
    function oracleSteps(OracleParams memory o, OracleParams memory p) internal pure returns (bool) {
        return stepWithin(o.maxAge, p.maxAge, 0) && stepWithin(o.divergenceBand, p.divergenceBand, 0)
            && stepWithin(o.jumpBand, p.jumpBand, 0) && stepWithin(o.maxConfirmedJump, p.maxConfirmedJump, 0)
            && stepWithin(o.imFloor, p.imFloor, 0) && stepWithin(o.mmFloor, p.mmFloor, 0)
            && stepWithin(o.kIM, p.kIM, SIGMA_MULTIPLE_FIRST_STEP)
            && stepWithin(o.kMM, p.kMM, SIGMA_MULTIPLE_FIRST_STEP)
            && stepWithin(o.mmMaxStep, p.mmMaxStep, MM_RISE_FIRST_STEP)
            && stepWithin(o.liquidationHorizon, p.liquidationHorizon, 0)
            && stepWithin(o.secondaryMaxAge, p.secondaryMaxAge, DURATION_FIRST_STEP)
            && stepWithin(o.sequencerGracePeriod, p.sequencerGracePeriod, DURATION_FIRST_STEP)
            && stepWithin(o.jumpResetAfter, p.jumpResetAfter, 0) && stepWithin(o.ewmaLambda, p.ewmaLambda, 0);
    }

    /// @notice The step rule: a factor of two either way, or anywhere in [0, firstStep] when both values lie there. A
    ///         field at zero thus rises only within its first step (and one with no first step never leaves zero).
    function stepWithin(uint256 from, uint256 to, uint256 firstStep) internal pure returns (bool) {
        return (to <= 2 * from && 2 * to >= from) || (from <= firstStep && to <= firstStep);
    }
}
