// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, RiskParams, SafetyParams} from "../interfaces/IMarket.sol";

/// @title MarketParams
/// @notice The bounds of a market's governance-set parameters. External pure functions, delegatecalled from the
///         market, so that the checks do not count toward its code size.
library MarketParams {
    uint256 internal constant WAD = 1e18;
    /// @notice How far a safety parameter that may be zero may move within [0, step] in one change (beyond it, a
    ///         factor of two): breakerCooldown in seconds, cautiousOiFactor and warningBand as WAD fractions, and the
    ///         insurance floor in whole collateral tokens (the market scales it by the token's decimals).
    uint256 internal constant COOLDOWN_FIRST_STEP = 1 hours;
    uint256 internal constant FRACTION_FIRST_STEP = 0.1e18;
    uint256 internal constant FLOOR_FIRST_STEP_TOKENS = 1000;

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

    /// @notice Reverts unless `r` is within bounds and each field moves by at most a factor of two from `o`, so that
    ///         no single proposal can swing the market.
    function checkRisk(RiskParams memory o, RiskParams memory r) internal pure {
        if (
            !step(o.tradingFee, r.tradingFee) || !step(o.insuranceFeeShare, r.insuranceFeeShare)
                || !step(o.liquidationPenalty, r.liquidationPenalty)
                || !step(o.keeperRewardShare, r.keeperRewardShare)
                || !step(o.maxFundingRate, r.maxFundingRate) || !step(o.minBacking, r.minBacking)
                || !step(o.skewScale, r.skewScale) || !step(o.maxOpenInterest, r.maxOpenInterest)
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
                || !stepWithin(o.breakerCooldown, p.breakerCooldown, COOLDOWN_FIRST_STEP)
                || !stepWithin(o.breakerValidReadings, p.breakerValidReadings, 0)
                || !stepWithin(o.cautiousImMultiplier, p.cautiousImMultiplier, 0)
                || !stepWithin(o.cautiousOiFactor, p.cautiousOiFactor, FRACTION_FIRST_STEP)
                || !stepWithin(o.warningBand, p.warningBand, FRACTION_FIRST_STEP)
        ) revert IMarket.MarketStepTooLarge();
    }

    /// @dev A factor of two either way, or anywhere in [0, firstStep] when both values lie there.
    function stepWithin(uint256 from, uint256 to, uint256 firstStep) internal pure returns (bool) {
        return (to <= 2 * from && 2 * to >= from) || (from <= firstStep && to <= firstStep);
    }

    /// @dev At most a factor of two either way; a parameter at zero may be set to anything.
    function step(uint256 from, uint256 to) internal pure returns (bool) {
        return from == 0 || (to <= 2 * from && 2 * to >= from);
    }
}
