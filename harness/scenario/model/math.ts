// Exact bigint ports of the fixed-point helpers the contracts use (solady FixedPointMathLib, the project's
// SignedMath, Solidity's truncating signed division), so the model rounds exactly as the chain does.

export const WAD = 10n ** 18n;
const MAX_UINT256 = (1n << 256n) - 1n;

/** Thrown where the EVM would panic (arithmetic over/underflow, division by zero). */
export class ModelPanic extends Error {
  override name = "ModelPanic";
}

/** Solidity's signed `/`: truncates toward zero (BigInt division does the same). */
export function tdiv(x: bigint, d: bigint): bigint {
  if (d === 0n) throw new ModelPanic("division by zero");
  return x / d;
}

/** SignedMath.floorDiv: rounds toward negative infinity; `d` > 0. */
export function floorDiv(x: bigint, d: bigint): bigint {
  const q = x / d;
  return x % d !== 0n && x < 0n ? q - 1n : q;
}

/** SignedMath.ceilDiv: rounds toward positive infinity; `d` > 0. */
export function ceilDiv(x: bigint, d: bigint): bigint {
  const q = x / d;
  return x % d !== 0n && x > 0n ? q + 1n : q;
}

export const abs = (x: bigint): bigint => (x < 0n ? -x : x);
export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const dist = (a: bigint, b: bigint): bigint => (a > b ? a - b : b - a);

/** A uint256 subtraction: the EVM panics below zero (checked arithmetic). */
export function usub(a: bigint, b: bigint): bigint {
  if (b > a) throw new ModelPanic(`uint underflow ${a} - ${b}`);
  return a - b;
}

export const mulWad = (x: bigint, y: bigint): bigint => (x * y) / WAD;
export const mulWadUp = (x: bigint, y: bigint): bigint => (x * y + WAD - 1n) / WAD;
export const divWad = (x: bigint, y: bigint): bigint => {
  if (y === 0n) throw new ModelPanic("divWad by zero");
  return (x * WAD) / y;
};
export const mulDiv = (x: bigint, y: bigint, d: bigint): bigint => {
  if (d === 0n) throw new ModelPanic("mulDiv by zero");
  return (x * y) / d;
};
export const mulDivUp = (x: bigint, y: bigint, d: bigint): bigint => {
  if (d === 0n) throw new ModelPanic("mulDiv by zero");
  return (x * y + d - 1n) / d;
};

/** Integer square root, rounded down (solady `sqrt`). */
export function sqrt(x: bigint): bigint {
  if (x < 2n) return x;
  let z = BigInt(Math.floor(Math.sqrt(Number(x))));
  // Newton steps from a float guess, then fix up to the exact floor.
  for (;;) {
    const next = (z + x / z) >> 1n;
    if (next >= z) break;
    z = next;
  }
  while (z * z > x) z -= 1n;
  while ((z + 1n) * (z + 1n) <= x) z += 1n;
  return z;
}

/** solady sqrtWad, for the inputs the guard produces (x * 1e18 fits in 256 bits). */
export function sqrtWad(x: bigint): bigint {
  if (x > MAX_UINT256 / WAD) throw new ModelPanic("sqrtWad: input beyond the modelled range");
  return sqrt(x * WAD);
}

/**
 * solady lnWad, step for step: the (8, 8) rational approximation in 2**96 fixed point. BigInt `>>` is
 * an arithmetic shift (floor), matching `sar`; BigInt `/` truncates, matching `sdiv`. No intermediate
 * leaves the int256 range for positive inputs, so no wrap-around needs modelling.
 */
export function lnWad(input: bigint): bigint {
  if (input <= 0n) throw new ModelPanic("LnWadUndefined");
  const log2 = BigInt(input.toString(2).length - 1);
  const r = 255n - log2;
  const x = (input << r) >> 159n;
  let p =
    ((43456485725739037958740375743393n +
      (((24828157081833163892658089445524n + (((3273285459638523848632254066296n + x) * x) >> 96n)) * x) >>
        96n)) *
      x) >>
    96n;
  p -= 11111509109440967052023855526967n;
  p = ((p * x) >> 96n) - 45023709667254063763336534515857n;
  p = ((p * x) >> 96n) - 14706773417378608786704636184526n;
  p = p * x - (795164235651350426258249787498n << 96n);
  let q = 5573035233440673466300451813936n + x;
  q = 71694874799317883764090561454958n + ((x * q) >> 96n);
  q = 283447036172924575727196451306956n + ((x * q) >> 96n);
  q = 401686690394027663651624208769553n + ((x * q) >> 96n);
  q = 204048457590392012362485061816622n + ((x * q) >> 96n);
  q = 31853899698501571402653359427138n + ((x * q) >> 96n);
  q = 909429971244387300277376558375n + ((x * q) >> 96n);
  p = p / q;
  p = 1677202110996718588342820967067443963516166n * p;
  p = 16597577552685614221487285958193947469193820559219878177908093499208371n * (159n - r) + p;
  p = 600920179829731861736702779321621459595472258049074101567377883020018308n + p;
  return p >> 174n;
}
