/**
 * `src/libraries/MarketParams.sol`'s step rule, the one rule of every step-bounded parameter (risk, safety and the
 * oracle guard's): a factor of two either way per change, and a field that may be zero moves within [0, its first
 * step]. Fields that are never zero have no first step (0n).
 */

/** `MarketParams`' first steps: seconds, WAD fractions, whole collateral tokens, and the defaults' own values. */
export const FIRST_STEP = {
  duration: 3_600n,
  fraction: 10n ** 17n,
  floorTokens: 1_000n,
  fee: 10n ** 15n,
  penalty: 10n ** 16n,
  fundingRate: 10n ** 11n,
  sigmaMultiple: 10n ** 18n,
  mmRise: 10n ** 16n,
} as const;

/** `MarketParams.stepWithin`: a factor of two either way, or anywhere in [0, firstStep] when both lie there. */
export function stepWithin(from: bigint, to: bigint, firstStep: bigint): boolean {
  return (to <= 2n * from && 2n * to >= from) || (from <= firstStep && to <= firstStep);
}
