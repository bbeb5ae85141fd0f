import { describe, expect, it } from "vitest";
import { lpLossBound } from "./outcome.js";

describe("an honest LP's loss bound in an incident", () => {
  const pool = 2_000_000n;
  const lp = 500_000n;

  it("is the incident's own bound when the honest traders did not win", () => {
    expect(lpLossBound(500n, lp, pool, 0n)).toBe(500n);
    // Their losses are the pool's gain, never credited against what the attacker took.
    expect(lpLossBound(500n, lp, pool, -40_000n)).toBe(500n);
  });

  it("widens by the LP's pro-rata share of the honest traders' gain, and no more", () => {
    expect(lpLossBound(500n, lp, pool, 40_000n)).toBe(500n + 10_000n);
    expect(lpLossBound(500n, lp, pool, 40_000n)).toBeLessThan(500n + 40_000n);
  });

  it("gives nothing to share out of an empty pool", () => {
    expect(lpLossBound(0n, 0n, 0n, 40_000n)).toBe(0n);
  });
});
