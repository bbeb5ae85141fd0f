// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RiskParams, SafetyParams} from "../src/interfaces/IMarket.sol";
import {OracleParams} from "../src/interfaces/IOracleGuard.sol";

/// @notice The default parameters of a local system (an ETH-like underlying, a 6-decimal stablecoin). The README
///         explains each one; tests, the deploy script and the harness all start from these.
library Defaults {
    uint8 internal constant COLLATERAL_DECIMALS = 6;
    uint8 internal constant FEED_DECIMALS = 8;
    int256 internal constant INITIAL_ANSWER = 2000e8; // 2,000 collateral per unit of underlying
    int256 internal constant MIN_ANSWER = 1e8; // the aggregator's clamp
    int256 internal constant MAX_ANSWER = 1_000_000e8;
    /// @dev 80% annualised volatility as variance per second: 0.64 / 31,536,000 ≈ 2.03e-8.
    uint256 internal constant INITIAL_VARIANCE = 20_294_266_869;

    /// @dev LP outflow limiter: at most 25% of pool equity may leave, net, per day.
    uint256 internal constant OUTFLOW_WINDOW = 1 days;
    uint256 internal constant MAX_OUTFLOW = 0.25e18;
    /// @dev The premium atomic trades pay on top of the trading fee (Market.immediacyFee): the primary feed's deviation
    ///      threshold (0.5 % for ETH/USD) less the 0.1 % trading fee, so that trading atomically at a round already
    ///      published earns from a round seen coming only the part of its move beyond 0.6 % (README, "Trading on stale
    ///      or foreseeable rounds"). Next-price orders pay the trading fee alone.
    uint256 internal constant IMMEDIACY_FEE = 0.004e18;
    /// @dev Guardian Safe: 2 of 3 by default.
    uint256 internal constant SAFE_THRESHOLD = 2;

    function safetyParams() internal pure returns (SafetyParams memory) {
        return SafetyParams({
            insuranceFloor: 1000e6,
            maxHaltDuration: 3 days,
            settlementWindow: 1 days,
            breakerCooldown: 15 minutes,
            breakerValidReadings: 3,
            cautiousImMultiplier: 1.5e18,
            cautiousOiFactor: 0.5e18,
            warningBand: 0.25e18
        });
    }

    /// @dev The timelock's delay equals the exit window: a market halted right after a proposal can be settled
    ///      and claimed from before the proposal can execute.
    function timelockDelay() internal pure returns (uint256) {
        SafetyParams memory p = safetyParams();
        return uint256(p.maxHaltDuration) + p.settlementWindow;
    }

    function oracleParams() internal pure returns (OracleParams memory) {
        return OracleParams({
            maxAge: 3600,
            secondaryMaxAge: 3600,
            sequencerGracePeriod: 3600,
            jumpResetAfter: 3600,
            liquidationHorizon: 3600,
            divergenceBand: 0.02e18,
            jumpBand: 0.1e18,
            maxConfirmedJump: 0.5e18, // see the README's oracle guard section
            ewmaLambda: 0.94e18,
            imFloor: 0.1e18,
            mmFloor: 0.05e18,
            kIM: 3e18,
            kMM: 1.5e18,
            mmMaxStep: 0.01e18
        });
    }

    function riskParams() internal pure returns (RiskParams memory) {
        return RiskParams({
            tradingFee: 0.001e18,
            insuranceFeeShare: 0.2e18,
            liquidationPenalty: 0.02e18,
            keeperRewardShare: 0.25e18,
            maxFundingRate: 1e11, // 1e-7 per second at full skew, about 0.86% a day
            minBacking: 0.5e18,
            skewScale: 1000e18,
            maxOpenInterest: 1000e18
        });
    }
}
