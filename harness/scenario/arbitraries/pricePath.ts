import * as fc from "fast-check";

/**
 * GBM-like price paths: per block, a log-return of drift + sigma * z (z roughly standard normal, as a sum
 * of uniforms) plus, now and then, a jump. Regimes set drift and volatility. Moves are basis points per
 * block (12 s), generated as integers so that the same seed gives the same answers, bit for bit.
 */
export const regimes = {
  calm: { drift: 0, sigma: 30 },
  volatile: { drift: 0, sigma: 250 },
  crash: { drift: -400, sigma: 150 },
  rally: { drift: 300, sigma: 150 },
} as const;

export type Regime = keyof typeof regimes;

// Irwin-Hall: the sum of three uniforms on [-1, 1] has variance 1 and a bell shape; z in hundredths.
const z100 = fc
  .tuple(
    fc.integer({ min: -173, max: 173 }),
    fc.integer({ min: -173, max: 173 }),
    fc.integer({ min: -173, max: 173 }),
  )
  .map(([a, b, c]) => a + b + c);

const jump = fc.oneof(
  { weight: 12, arbitrary: fc.constant(0) },
  fc.integer({ min: 500, max: 3_000 }).chain((m) => fc.constantFrom(m, -m)),
);

export type PricePath = { regime: Regime; moves: number[] };

export function pricePathArb(
  length: { min: number; max: number } = { min: 1, max: 6 },
): fc.Arbitrary<PricePath> {
  return fc
    .record({
      regime: fc.constantFrom(...(Object.keys(regimes) as Regime[])),
      steps: fc.array(fc.tuple(z100, jump), { minLength: length.min, maxLength: length.max }),
    })
    .map(({ regime, steps }) => {
      const { drift, sigma } = regimes[regime];
      const moves = steps.map(([z, j]) => clampMove(drift + Math.round((sigma * z) / 100) + j));
      return { regime, moves };
    });
}

/** A move never takes more than 95% off (answers stay positive). */
export const clampMove = (bps: number): number => Math.max(-9_500, Math.min(20_000, bps));

/** The secondary feed's deviation from the primary: mostly inside the 2% divergence band. */
export const noiseArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -120, max: 120 }) },
  fc.integer({ min: 150, max: 400 }).chain((m) => fc.constantFrom(m, -m)),
);

/** A correlated crash: k per-block drops (basis points, positive = down). */
export const crashDropsArb = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 100, max: 900 }) },
    fc.integer({ min: 900, max: 2_000 }),
  ),
  { minLength: 2, maxLength: 8 },
);
