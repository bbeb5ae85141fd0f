import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { fuzz } from "./fixtures.js";
import {
  ceilDiv,
  dist,
  divWad,
  divWadUp,
  EvmRevert,
  expWad,
  floorDiv,
  INT256_MAX,
  INT256_MIN,
  lnWad,
  mulDiv,
  mulWad,
  mulWadUp,
  sadd,
  smul,
  sqrt,
  sqrtWad,
  toInt256Wrapping,
  toUint256Wrapping,
  truncDiv,
  UINT256_MAX,
  uadd,
  usub,
  WAD,
} from "./math.js";

function revertOf(fn: () => unknown): { name: string; args: readonly unknown[] } | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof EvmRevert) return { name: error.errorName, args: error.args };
    throw error;
  }
  return undefined;
}

describe("signed division", () => {
  test("truncDiv rounds toward zero, floorDiv down, ceilDiv up", () => {
    const cases: [bigint, bigint, bigint, bigint, bigint][] = [
      // x, d, trunc, floor, ceil
      [7n, 2n, 3n, 3n, 4n],
      [-7n, 2n, -3n, -4n, -3n],
      [6n, 2n, 3n, 3n, 3n],
      [-6n, 2n, -3n, -3n, -3n],
      [0n, 5n, 0n, 0n, 0n],
      [1n, 10n ** 18n, 0n, 0n, 1n],
      [-1n, 10n ** 18n, 0n, -1n, 0n],
    ];
    for (const [x, d, t, f, c] of cases) {
      expect(truncDiv(x, d), `trunc ${x}/${d}`).toBe(t);
      expect(floorDiv(x, d), `floor ${x}/${d}`).toBe(f);
      expect(ceilDiv(x, d), `ceil ${x}/${d}`).toBe(c);
    }
  });

  test("a negative divisor truncates like the EVM's sdiv", () => {
    expect(truncDiv(7n, -2n)).toBe(-3n);
    expect(truncDiv(-7n, -2n)).toBe(3n);
  });

  test("division by zero and int256.min / -1 panic", () => {
    expect(revertOf(() => truncDiv(1n, 0n))).toEqual({ name: "Panic", args: [0x12n] });
    expect(revertOf(() => floorDiv(1n, 0n))).toEqual({ name: "Panic", args: [0x12n] });
    expect(revertOf(() => truncDiv(INT256_MIN, -1n))).toEqual({ name: "Panic", args: [0x11n] });
  });

  test.prop(
    [fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), fc.bigInt({ min: 1n, max: 10n ** 30n })],
    fuzz,
  )("floor <= exact <= ceil, within one", (x, d) => {
    const f = floorDiv(x, d);
    const c = ceilDiv(x, d);
    expect(f * d <= x).toBe(true);
    expect(c * d >= x).toBe(true);
    expect(c - f).toBe(x % d === 0n ? 0n : 1n);
  });
});

describe("checked arithmetic and conversions", () => {
  test("overflow panics with 0x11", () => {
    expect(revertOf(() => sadd(INT256_MAX, 1n))).toEqual({ name: "Panic", args: [0x11n] });
    expect(revertOf(() => smul(INT256_MIN, -1n))).toEqual({ name: "Panic", args: [0x11n] });
    expect(revertOf(() => uadd(UINT256_MAX, 1n))).toEqual({ name: "Panic", args: [0x11n] });
    expect(revertOf(() => usub(0n, 1n))).toEqual({ name: "Panic", args: [0x11n] });
  });

  test("explicit int/uint conversions wrap", () => {
    expect(toInt256Wrapping(UINT256_MAX)).toBe(-1n);
    expect(toInt256Wrapping(1n << 255n)).toBe(INT256_MIN);
    expect(toUint256Wrapping(-1n)).toBe(UINT256_MAX);
    expect(toUint256Wrapping(5n)).toBe(5n);
  });
});

describe("solady FixedPointMathLib", () => {
  test("mulWad rounds down, mulWadUp up", () => {
    expect(mulWad(3n, WAD / 2n)).toBe(1n);
    expect(mulWadUp(3n, WAD / 2n)).toBe(2n);
    expect(mulWadUp(4n, WAD / 2n)).toBe(2n);
    expect(mulWad(0n, UINT256_MAX)).toBe(0n);
    expect(revertOf(() => mulWad(UINT256_MAX, 2n))?.name).toBe("MulWadFailed");
    expect(revertOf(() => mulWadUp(UINT256_MAX, 2n))?.name).toBe("MulWadFailed");
  });

  test("divWad rounds down, divWadUp up; zero divisor and overflow revert", () => {
    expect(divWad(1n, 3n)).toBe(333333333333333333n);
    expect(divWadUp(1n, 3n)).toBe(333333333333333334n);
    expect(revertOf(() => divWad(1n, 0n))?.name).toBe("DivWadFailed");
    expect(revertOf(() => divWad(UINT256_MAX / WAD + 1n, 1n))?.name).toBe("DivWadFailed");
  });

  test("dist", () => {
    expect(dist(5n, 46n)).toBe(41n);
    expect(dist(46n, 5n)).toBe(41n);
  });

  // solady test/FixedPointMathLib.t.sol: testSqrt, testSqrtWad.
  test("sqrt and sqrtWad match solady's test vectors", () => {
    expect([0n, 1n, 2704n, 110889n, 32239684n].map(sqrt)).toEqual([0n, 1n, 52n, 333n, 5678n]);
    for (let i = 100n; i < 200n; i++) expect(sqrt(i * i)).toBe(i);
    const vectors: [bigint, bigint][] = [
      [0n, 0n],
      [1n, 10n ** 9n],
      [2n, 1414213562n],
      [4n, 2000000000n],
      [8n, 2828427124n],
      [10n ** 18n, 10n ** 18n],
      [4n * 10n ** 18n, 2n * 10n ** 18n],
      [2n ** 8n - 1n, 15968719422n],
      [2n ** 32n - 1n, 65535999992370n],
      [2n ** 64n - 1n, 4294967295999999999n],
      [2n ** 128n - 1n, 18446744073709551615999999999n],
      [UINT256_MAX, 340282366920938463463374607431768211455999999999n],
    ];
    for (const [x, z] of vectors) expect(sqrtWad(x), `sqrtWad(${x})`).toBe(z);
  });

  test.prop([fc.bigInt({ min: 0n, max: 2n ** 200n })], fuzz)("sqrt is the integer square root", (x) => {
    const z = sqrt(x);
    expect(z * z <= x && (z + 1n) * (z + 1n) > x).toBe(true);
  });

  // solady test/FixedPointMathLib.t.sol: testLnWad, testLnWadSmall, testLnWadBig.
  test("lnWad matches solady's test vectors bit for bit", () => {
    const vectors: [bigint, bigint][] = [
      [10n ** 18n, 0n],
      [2718281828459045235n, 999999999999999999n],
      [11723640096265400935n, 2461607324344817918n],
      [1n, -41446531673892822313n],
      [42n, -37708862055609454007n],
      [10n ** 4n, -32236191301916639577n],
      [10n ** 9n, -20723265836946411157n],
      [2n ** 255n - 1n, 135305999368893231589n],
      [2n ** 170n, 76388489021297880288n],
      [2n ** 128n, 47276307437780177293n],
    ];
    for (const [x, r] of vectors) expect(lnWad(x), `lnWad(${x})`).toBe(r);
    expect(revertOf(() => lnWad(0n))?.name).toBe("LnWadUndefined");
    expect(revertOf(() => lnWad(-1n))?.name).toBe("LnWadUndefined");
  });

  test.prop([fc.bigInt({ min: 10n ** 15n, max: 10n ** 21n })], fuzz)("lnWad agrees with Math.log", (x) => {
    const exact = Math.log(Number(x) / 1e18) * 1e18;
    expect(Math.abs(Number(lnWad(x)) - exact)).toBeLessThanOrEqual(Math.max(1e3, Math.abs(exact) * 1e-13));
  });
});

describe("solady expWad", () => {
  // solady test/FixedPointMathLib.t.sol: testExpWad.
  test("expWad matches solady's test vectors bit for bit", () => {
    const vectors: [bigint, bigint][] = [
      [-42139678854452767551n, 0n],
      [-3n * WAD, 49787068367863942n],
      [-2n * WAD, 135335283236612691n],
      [-WAD, 367879441171442321n],
      [-5n * 10n ** 17n, 606530659712633423n],
      [-3n * 10n ** 17n, 740818220681717866n],
      [0n, WAD],
      [3n * 10n ** 17n, 1349858807576003103n],
      [5n * 10n ** 17n, 1648721270700128146n],
      [WAD, 2718281828459045235n],
      [2n * WAD, 7389056098930650227n],
      [3n * WAD, 20085536923187667741n],
      [10n * WAD, 22026465794806716516980n],
      [50n * WAD, 5184705528587072464148529318587763226117n],
      [100n * WAD, 26881171418161354484134666106240937146178367581647816351662017n],
    ];
    for (const [x, r] of vectors) expect(expWad(x), `expWad(${x})`).toBe(r);
    expect(revertOf(() => expWad(135305999368893231589n))?.name).toBe("ExpOverflow");
    expect(expWad(135305999368893231588n)).toBeGreaterThan(0n);
  });

  test.prop([fc.bigInt({ min: -40n * WAD, max: 40n * WAD })], fuzz)("expWad agrees with Math.exp", (x) => {
    const exact = Math.exp(Number(x) / 1e18) * 1e18;
    expect(Math.abs(Number(expWad(x)) - exact)).toBeLessThanOrEqual(Math.max(1e3, exact * 1e-13));
  });

  test("expWad(lnWad(x)) returns x to within a few wei", () => {
    for (const x of [94n * 10n ** 16n, 5n * 10n ** 17n, WAD, 3n * WAD]) {
      const back = expWad(lnWad(x));
      expect(back > x ? back - x : x - back).toBeLessThanOrEqual(10n);
    }
  });
});

describe("OpenZeppelin Math.mulDiv", () => {
  test("rounding and reverts", () => {
    expect(mulDiv(10n, 10n, 3n, "floor")).toBe(33n);
    expect(mulDiv(10n, 10n, 3n, "ceil")).toBe(34n);
    expect(mulDiv(9n, 10n, 3n, "ceil")).toBe(30n);
    expect(mulDiv(UINT256_MAX, UINT256_MAX, UINT256_MAX, "floor")).toBe(UINT256_MAX);
    expect(revertOf(() => mulDiv(1n, 1n, 0n, "floor"))).toEqual({ name: "Panic", args: [0x12n] });
    expect(revertOf(() => mulDiv(UINT256_MAX, 2n, 1n, "floor"))).toEqual({ name: "Panic", args: [0x11n] });
  });
});
