/**
 * script/Defaults.sol, in TypeScript: the parameters of a local system. defaults.test.ts reads the Solidity
 * file and fails if the two drift apart.
 */
import type { OracleParams, RiskParams, SafetyParams } from "./types.js";

export const COLLATERAL_DECIMALS = 6;
export const FEED_DECIMALS = 8;
export const INITIAL_ANSWER = 2000n * 10n ** 8n;
export const MIN_ANSWER = 1n * 10n ** 8n;
export const MAX_ANSWER = 1_000_000n * 10n ** 8n;
export const INITIAL_VARIANCE = 20_294_266_869n;
/** The LP outflow limiter: at most 25% of pool equity may leave, net, per day. */
export const OUTFLOW_WINDOW = 86_400n;
export const MAX_OUTFLOW = 25n * 10n ** 16n;

/** What SystemDeployer sets right after deploying the market (setSafetyParams). */
export function defaultSafetyParams(): SafetyParams {
  return {
    insuranceFloor: 1000n * 10n ** 6n,
    maxHaltDuration: 3 * 86_400,
    settlementWindow: 86_400,
    breakerCooldown: 15 * 60,
    breakerValidReadings: 3,
    cautiousImMultiplier: 15n * 10n ** 17n,
    cautiousOiFactor: 5n * 10n ** 17n,
    warningBand: 25n * 10n ** 16n,
  };
}

/** What Market's constructor sets before anyone calls setSafetyParams (src/Market.sol). */
export function constructorSafetyParams(): SafetyParams {
  return { ...defaultSafetyParams(), insuranceFloor: 0n };
}

/** The timelock's delay: the exit window (maxHaltDuration + settlementWindow). */
export function timelockDelay(): bigint {
  const p = defaultSafetyParams();
  return BigInt(p.maxHaltDuration + p.settlementWindow);
}

export function defaultOracleParams(): OracleParams {
  return {
    maxAge: 3600,
    secondaryMaxAge: 3600,
    sequencerGracePeriod: 3600,
    jumpResetAfter: 3600,
    liquidationHorizon: 3600,
    divergenceBand: 2n * 10n ** 16n,
    jumpBand: 10n ** 17n,
    maxConfirmedJump: 5n * 10n ** 17n,
    ewmaLambda: 94n * 10n ** 16n,
    imFloor: 10n ** 17n,
    mmFloor: 5n * 10n ** 16n,
    kIM: 3n * 10n ** 18n,
    kMM: 15n * 10n ** 17n,
    mmMaxStep: 10n ** 16n,
  };
}

export function defaultRiskParams(): RiskParams {
  return {
    tradingFee: 10n ** 15n,
    insuranceFeeShare: 2n * 10n ** 17n,
    liquidationPenalty: 2n * 10n ** 16n,
    keeperRewardShare: 25n * 10n ** 16n,
    maxFundingRate: 10n ** 11n,
    minBacking: 5n * 10n ** 17n,
    skewScale: 1000n * 10n ** 18n,
    maxOpenInterest: 1000n * 10n ** 18n,
  };
}
