import { describe, expect, it } from "vitest";
import { parseForgeInvariantOutput } from "./forge.js";

// Shapes as forge 1.7 prints them (NO_COLOR).
const output = `Compiling 1 files with Solc 0.8.30
Ran 2 tests for test/invariant/Market.t.sol:MarketInvariants
[PASS] invariant_conservation() (runs: 48, calls: 3072, reverts: 12)
[FAIL: assertion failed] invariant_openInterest() (runs: 3, calls: 150, reverts: 0)

╭----------+----------+-------+---------+----------╮
| Contract | Selector | Calls | Reverts | Discards |
╰----------+----------+-------+---------+----------╯

Suite result: FAILED. 1 passed; 1 failed; 0 skipped; finished in 1.21s (2.30s CPU time)

Ran 1 test suite in 1.25s (1.21s CPU time): 1 tests passed, 1 failed, 0 skipped (2 total tests)`;

describe("parseForgeInvariantOutput", () => {
  it("reads every campaign and the run's wall time", () => {
    expect(parseForgeInvariantOutput(output)).toEqual({
      tests: [
        { name: "invariant_conservation()", passed: true, runs: 48, calls: 3072, reverts: 12 },
        { name: "invariant_openInterest()", passed: false, runs: 3, calls: 150, reverts: 0 },
      ],
      wallSeconds: 1.25,
    });
  });

  it.each([
    ["Ran 3 test suites in 173.39ms (166.00ms CPU time)", 0.17339],
    ["Ran 1 test suite in 950.10µs (900µs CPU time)", 0.0009501],
    ["Ran 1 test suite in 75.02s (140.1s CPU time)", 75.02],
  ])("converts %s", (line, seconds) => {
    expect(parseForgeInvariantOutput(line).wallSeconds).toBeCloseTo(seconds, 9);
  });

  it("finds nothing in output without invariant campaigns", () => {
    expect(parseForgeInvariantOutput("Warning: no tests match the provided pattern")).toEqual({
      tests: [],
      wallSeconds: undefined,
    });
  });
});
