/**
 * EVM integer arithmetic on bigint, as the contracts compute it.
 *
 * - Solidity 0.8 checked arithmetic: `sadd`/`ssub`/`smul` (int256) and `uadd`/`usub`/`umul` (uint256)
 *   throw `Panic(0x11)` when the exact result leaves the type's range; division by zero is `Panic(0x12)`.
 * - Division: Solidity's `/` truncates toward zero (`truncDiv`); `floorDiv`/`ceilDiv` mirror
 *   src/libraries/SignedMath.sol.
 * - Fixed point: `mulWad`, `mulWadUp`, `divWad`, `divWadUp`, `dist`, `sqrt`, `sqrtWad`, `lnWad`, `expWad`, `soladyMulDiv` as in solady's
 *   FixedPointMathLib (same rounding, same custom errors); `mulDiv` as in OpenZeppelin's Math (ERC-4626).
 *
 * `lnWad` and `expWad` are bit-exact emulations of solady's assembly (256-bit wrapping words, `sar`, `sdiv`), checked
 * against solady's own test vectors; see math.test.ts.
 */

export const WAD = 10n ** 18n;
export const TWO_256 = 1n << 256n;
export const UINT256_MAX = TWO_256 - 1n;
export const INT256_MAX = (1n << 255n) - 1n;
export const INT256_MIN = -(1n << 255n);

/** A revert the model predicts: `errorName` and `args` as viem decodes them from the chain's revert data. */
export class EvmRevert extends Error {
  override name = "EvmRevert";
  readonly errorName: string;
  readonly args: readonly unknown[];
  constructor(errorName: string, args: readonly unknown[] = []) {
    super(`${errorName}(${args.map(String).join(", ")})`);
    this.errorName = errorName;
    this.args = args;
  }
}

/** Solidity panic codes (the argument of `Panic(uint256)`). */
export const PanicCode = { arithmetic: 0x11n, divisionByZero: 0x12n } as const;

export function panic(code: bigint): never {
  throw new EvmRevert("Panic", [code]);
}

/* CHECKED ARITHMETIC */

export function int256(x: bigint): bigint {
  if (x > INT256_MAX || x < INT256_MIN) panic(PanicCode.arithmetic);
  return x;
}

export function uint256(x: bigint): bigint {
  if (x < 0n || x > UINT256_MAX) panic(PanicCode.arithmetic);
  return x;
}

export const sadd = (a: bigint, b: bigint): bigint => int256(a + b);
export const ssub = (a: bigint, b: bigint): bigint => int256(a - b);
export const smul = (a: bigint, b: bigint): bigint => int256(a * b);
export const uadd = (a: bigint, b: bigint): bigint => uint256(a + b);
export const usub = (a: bigint, b: bigint): bigint => uint256(a - b);
export const umul = (a: bigint, b: bigint): bigint => uint256(a * b);
/** `-x` on int256 (reverts for type(int256).min). */
export const sneg = (x: bigint): bigint => int256(-x);

/** `int256(x)` for a uint256 x: an explicit conversion, which wraps rather than reverts. */
export function toInt256Wrapping(x: bigint): bigint {
  const w = wrap256(x);
  return w > INT256_MAX ? w - TWO_256 : w;
}

/** `uint256(x)` for an int256 x: an explicit conversion, which wraps rather than reverts. */
export function toUint256Wrapping(x: bigint): bigint {
  return wrap256(x);
}

function wrap256(x: bigint): bigint {
  const r = x % TWO_256;
  return r < 0n ? r + TWO_256 : r;
}

/* DIVISION */

/** Solidity `x / d` (signed or unsigned): rounds toward zero. `type(int256).min / -1` overflows. */
export function truncDiv(x: bigint, d: bigint): bigint {
  if (d === 0n) panic(PanicCode.divisionByZero);
  if (x === INT256_MIN && d === -1n) panic(PanicCode.arithmetic);
  return x / d; // bigint division truncates toward zero, like the EVM's sdiv/div
}

/** SignedMath.floorDiv: rounds toward negative infinity. */
export function floorDiv(x: bigint, d: bigint): bigint {
  let q = truncDiv(x, d);
  if (x % d !== 0n && x < 0n) q -= 1n;
  return q;
}

/** SignedMath.ceilDiv: rounds toward positive infinity. */
export function ceilDiv(x: bigint, d: bigint): bigint {
  let q = truncDiv(x, d);
  if (x % d !== 0n && x > 0n) q += 1n;
  return q;
}

export const abs = (x: bigint): bigint => (x < 0n ? -x : x);
export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/* SOLADY FixedPointMathLib */

/** `(x * y) / WAD` rounded down; reverts `MulWadFailed()` on overflow. */
export function mulWad(x: bigint, y: bigint): bigint {
  const z = x * y;
  if (z > UINT256_MAX) throw new EvmRevert("MulWadFailed");
  return z / WAD;
}

/** `(x * y) / WAD` rounded up; reverts `MulWadFailed()` on overflow. */
export function mulWadUp(x: bigint, y: bigint): bigint {
  const z = x * y;
  if (z > UINT256_MAX) throw new EvmRevert("MulWadFailed");
  return z / WAD + (z % WAD !== 0n ? 1n : 0n);
}

/** `(x * WAD) / y` rounded down; reverts `DivWadFailed()` when y is 0 or x * WAD overflows. */
export function divWad(x: bigint, y: bigint): bigint {
  if (y === 0n || x > UINT256_MAX / WAD) throw new EvmRevert("DivWadFailed");
  return (x * WAD) / y;
}

/** `(x * WAD) / y` rounded up; reverts `DivWadFailed()` when y is 0 or x * WAD overflows. */
export function divWadUp(x: bigint, y: bigint): bigint {
  if (y === 0n || x > UINT256_MAX / WAD) throw new EvmRevert("DivWadFailed");
  const z = x * WAD;
  return z / y + (z % y !== 0n ? 1n : 0n);
}

/** `|x - y|`. */
export const dist = (x: bigint, y: bigint): bigint => (x > y ? x - y : y - x);

/** floor(sqrt(x)) — solady's `sqrt` returns exactly the integer square root. */
export function sqrt(x: bigint): bigint {
  if (x < 0n) throw new RangeError("sqrt of a negative number");
  if (x < 2n) return x;
  // Newton's method from an over-estimate converges monotonically to floor(sqrt(x)).
  let z = 1n << BigInt((x.toString(2).length + 1) >> 1);
  for (;;) {
    const next = (z + x / z) >> 1n;
    if (next >= z) return z;
    z = next;
  }
}

/** solady `sqrtWad`: sqrt(x) in WAD, rounded down (both of its branches, emulated). */
export function sqrtWad(x: bigint): bigint {
  if (x <= UINT256_MAX / WAD) return sqrt(x * WAD);
  // x > 2^256 / 1e18: one Newton step from an estimate, then a final round-down (unchecked in solady).
  let z = (1n + sqrt(x)) * 10n ** 9n;
  z = wrap256(((x * WAD) / z + z) >> 1n);
  const mm = (z * z) % x; // mulmod(z, z, x)
  if (999999999999999999n > wrap256(mm - 1n)) z = wrap256(z - 1n);
  return z;
}

/* lnWad: solady's assembly, word for word on 256-bit words */

const sar = (shift: bigint, v: bigint): bigint => wrap256(signed(v) >> shift);
const signed = (v: bigint): bigint => (v > INT256_MAX ? v - TWO_256 : v);
const add = (a: bigint, b: bigint): bigint => wrap256(a + b);
const sub = (a: bigint, b: bigint): bigint => wrap256(a - b);
const mul = (a: bigint, b: bigint): bigint => wrap256(a * b);
const shl = (shift: bigint, v: bigint): bigint => wrap256(v << shift);
const shr = (shift: bigint, v: bigint): bigint => (shift >= 256n ? 0n : v >> shift);
const lt = (a: bigint, b: bigint): bigint => (a < b ? 1n : 0n);
const byteAt = (i: bigint, w: bigint): bigint => (i >= 32n ? 0n : (w >> (8n * (31n - i))) & 0xffn);
const sdiv = (a: bigint, b: bigint): bigint => {
  if (b === 0n) return 0n;
  const sa = signed(a);
  const sb = signed(b);
  if (sa === INT256_MIN && sb === -1n) return a;
  return wrap256(sa / sb);
};

/** solady `lnWad`: ln(x / 1e18) * 1e18 for x > 0; reverts `LnWadUndefined()` otherwise. */
export function lnWad(xIn: bigint): bigint {
  if (xIn <= 0n || xIn > INT256_MAX) throw new EvmRevert("LnWadUndefined");
  let x = xIn;
  let r = shl(7n, lt(0xffffffffffffffffffffffffffffffffn, x));
  r |= shl(6n, lt(0xffffffffffffffffn, shr(r, x)));
  r |= shl(5n, lt(0xffffffffn, shr(r, x)));
  r |= shl(4n, lt(0xffffn, shr(r, x)));
  r |= shl(3n, lt(0xffn, shr(r, x)));
  r ^= byteAt(
    0x1fn & shr(shr(r, x), 0x8421084210842108cc6318c6db6d54ben),
    0xf8f9f9faf9fdfafbf9fdfcfdfafbfcfef9fafdfafcfcfbfefafafcfbffffffffn,
  );
  x = shr(159n, shl(r, x));

  let p = sub(
    sar(
      96n,
      mul(
        add(
          43456485725739037958740375743393n,
          sar(
            96n,
            mul(
              add(
                24828157081833163892658089445524n,
                sar(96n, mul(add(3273285459638523848632254066296n, x), x)),
              ),
              x,
            ),
          ),
        ),
        x,
      ),
    ),
    11111509109440967052023855526967n,
  );
  p = sub(sar(96n, mul(p, x)), 45023709667254063763336534515857n);
  p = sub(sar(96n, mul(p, x)), 14706773417378608786704636184526n);
  p = sub(mul(p, x), shl(96n, 795164235651350426258249787498n));

  let q = add(5573035233440673466300451813936n, x);
  q = add(71694874799317883764090561454958n, sar(96n, mul(x, q)));
  q = add(283447036172924575727196451306956n, sar(96n, mul(x, q)));
  q = add(401686690394027663651624208769553n, sar(96n, mul(x, q)));
  q = add(204048457590392012362485061816622n, sar(96n, mul(x, q)));
  q = add(31853899698501571402653359427138n, sar(96n, mul(x, q)));
  q = add(909429971244387300277376558375n, sar(96n, mul(x, q)));

  p = sdiv(p, q);
  p = mul(1677202110996718588342820967067443963516166n, p);
  p = add(mul(16597577552685614221487285958193947469193820559219878177908093499208371n, sub(159n, r)), p);
  p = add(600920179829731861736702779321621459595472258049074101567377883020018308n, p);
  return signed(sar(174n, p));
}

/**
 * solady `expWad`: exp(x / 1e18) * 1e18; 0 at or below about -41.4e18, `ExpOverflow()` at or above about 135.3e18.
 * The same signed 256-bit steps as solady's unchecked block (`/` truncates, `>>` on int256 is arithmetic).
 */
export function expWad(xIn: bigint): bigint {
  if (xIn <= -41446531673892822313n) return 0n;
  if (xIn >= 135305999368893231589n) throw new EvmRevert("ExpOverflow");
  const i = (v: bigint): bigint => signed(wrap256(v));
  let x = i(i(xIn << 78n) / 5n ** 18n);
  const k = i(i(i(x << 96n) / 54916777467707473351141471128n) + 2n ** 95n) >> 96n;
  x = i(x - i(k * 54916777467707473351141471128n));
  let y = i(x + 1346386616545796478920950773328n);
  y = i((i(y * x) >> 96n) + 57155421227552351082224309758442n);
  let p = i(i(y + x) - 94201549194550492254356042504812n);
  p = i((i(p * y) >> 96n) + 28719021644029726153956944680412240n);
  p = i(i(p * x) + (4385272521454847904659076985693276n << 96n));
  let q = i(x - 2855989394907223263936484059900n);
  q = i((i(q * x) >> 96n) + 50020603652535783019961831881945n);
  q = i((i(q * x) >> 96n) - 533845033583426703283633433725380n);
  q = i((i(q * x) >> 96n) + 3604857256930695427073651918091429n);
  q = i((i(q * x) >> 96n) - 14423608567350463180887372962807573n);
  q = i((i(q * x) >> 96n) + 26449188498355588339934803723976023n);
  const r = signed(sdiv(wrap256(p), wrap256(q)));
  return signed(shr(195n - k, wrap256(wrap256(r) * 3822833074963236453042738258902158003155416615667n)));
}

/* OPENZEPPELIN Math */

export type Rounding = "floor" | "ceil";

/** OpenZeppelin `Math.mulDiv(x, y, d, rounding)`: full precision; panics on d == 0 or a result above uint256. */
export function mulDiv(x: bigint, y: bigint, d: bigint, rounding: Rounding): bigint {
  if (d === 0n) panic(PanicCode.divisionByZero);
  const p = x * y;
  const q = p / d;
  if (q > UINT256_MAX) panic(PanicCode.arithmetic);
  return rounding === "ceil" && p % d !== 0n ? uadd(q, 1n) : q;
}

/** solady `mulDiv(x, y, d)`: floor(x * y / d); reverts `MulDivFailed()` when d is 0 or x * y overflows. */
export function soladyMulDiv(x: bigint, y: bigint, d: bigint): bigint {
  const p = x * y;
  if (d === 0n || p > UINT256_MAX) throw new EvmRevert("MulDivFailed");
  return p / d;
}
