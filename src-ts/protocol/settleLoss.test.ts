import { describe, expect, it } from "vitest";
import { type LoserView, settleableLosers, settleableLoss } from "./settleLoss.js";

const account = (size: bigint, margin: bigint, equity: bigint, liquidatable = false): LoserView => ({
  state: { size, margin },
  equity,
  liquidatable,
});

describe("settleLoss's losers", () => {
  it("takes an open, solvent, not liquidatable account below its margin, for its loss", () => {
    expect(settleableLoss(account(10n, 1_000n, 700n))).toBe(300n);
    expect(settleableLoss(account(-10n, 1_000n, 0n))).toBe(1_000n);
  });

  it("leaves winners, flat accounts, the insolvent and the liquidatable", () => {
    expect(settleableLoss(account(10n, 1_000n, 1_000n))).toBe(0n);
    expect(settleableLoss(account(10n, 1_000n, 1_200n))).toBe(0n);
    expect(settleableLoss(account(0n, 1_000n, 700n))).toBe(0n);
    expect(settleableLoss(account(10n, 1_000n, -1n))).toBe(0n);
    expect(settleableLoss(account(10n, 1_000n, 700n, true))).toBe(0n);
  });

  it("orders the losers by loss, largest first, equal losses as given", () => {
    const a = account(1n, 1_000n, 900n);
    const b = account(1n, 1_000n, 500n);
    const c = account(1n, 1_000n, 1_100n);
    const d = account(-1n, 2_000n, 1_900n);
    expect(settleableLosers([a, b, c, d])).toEqual([
      { account: b, loss: 500n },
      { account: a, loss: 100n },
      { account: d, loss: 100n },
    ]);
  });
});
