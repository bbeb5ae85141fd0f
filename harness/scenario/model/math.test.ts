import { describe, expect, it } from "vitest";
import { ceilDiv, floorDiv, lnWad, mulWadUp, sqrtWad, tdiv, WAD } from "./math.js";

describe("model math", () => {
  it("rounds signed division the three ways the contracts do", () => {
    expect([floorDiv(-7n, 2n), ceilDiv(-7n, 2n), tdiv(-7n, 2n)]).toEqual([-4n, -3n, -3n]);
    expect([floorDiv(7n, 2n), ceilDiv(7n, 2n), tdiv(7n, 2n)]).toEqual([3n, 4n, 3n]);
    expect(mulWadUp(1n, 1n)).toBe(1n);
  });

  it("lnWad follows solady's approximation to within a few wei of ln", () => {
    expect(lnWad(WAD)).toBe(0n);
    for (const x of [10n ** 17n, 11n * 10n ** 17n, 2n * WAD, 10n ** 30n]) {
      const exact = Math.log(Number(x) / 1e18);
      expect(Math.abs(Number(lnWad(x)) / 1e18 - exact)).toBeLessThan(1e-12);
    }
  });

  it("sqrtWad rounds down", () => {
    expect(sqrtWad(4n * WAD)).toBe(2n * WAD);
    expect(sqrtWad(2n * WAD)).toBe(1_414_213_562_373_095_048n);
  });
});
