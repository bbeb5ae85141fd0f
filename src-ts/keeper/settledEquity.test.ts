import { describe, expect, it } from "vitest";
import { ceilDiv, floorDiv, settledEquity } from "./settledEquity.js";

describe("directed division", () => {
  it.each([
    [7n, 2n, 3n, 4n],
    [-7n, 2n, -4n, -3n],
    [6n, 3n, 2n, 2n],
    [-6n, 3n, -2n, -2n],
    [0n, 5n, 0n, 0n],
  ])("%d / %d floors to %d and ceils to %d", (a, b, floor, ceil) => {
    expect(floorDiv(a, b)).toBe(floor);
    expect(ceilDiv(a, b)).toBe(ceil);
  });
});

describe("settledEquity", () => {
  const wad = 10n ** 18n;
  it("is margin + PnL at the snapshot price − funding owed, rounded against the trader", () => {
    // 10 long opened at 2,000 (20,000 collateral), settled at 1,700: −3,000 PnL on 2,080 margin.
    const equity = settledEquity({
      account: { margin: 2_080_000_000n, size: 10n * wad, openNotional: 20_000_000_000n, fundingIndex: 0n },
      settlement: { price: 1_700n * wad, fundingIndex: 0n },
      collateralDecimals: 6,
    });
    expect(equity).toBe(-920_000_000n);
  });

  it("charges funding owed, rounded up", () => {
    // size 1 × index change 1.5e-12 per WAD of price... owed = ceil(1e18 × 1.5e12 / 1e30) = ceil(1.5) = 2.
    const equity = settledEquity({
      account: { margin: 100n, size: wad, openNotional: 2_000_000_000n, fundingIndex: 0n },
      settlement: { price: 2_000n * wad, fundingIndex: 1_500_000_000_000n },
      collateralDecimals: 6,
    });
    expect(equity).toBe(98n);
  });
});
