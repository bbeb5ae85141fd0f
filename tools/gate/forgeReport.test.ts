import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { countResults, describeFailures, diffGasSnapshots, parseForgeJson } from "./forgeReport.mjs";

const result = (status: string, extra: Record<string, unknown> = {}) => ({
  status,
  reason: status === "Failure" ? "assertion failed: 1 != 2" : null,
  counterexample: null,
  decoded_logs: [],
  ...extra,
});

const report = JSON.stringify({
  "test/A.t.sol:ATest": {
    duration: "1ms",
    test_results: {
      "test_ok()": result("Success", { gas_snapshots: { market: { close: "100" } } }),
      "test_bad()": result("Failure", { counterexample: { calldata: "0x01" } }),
      "test_skip()": result("Skipped"),
    },
  },
  "test/B.t.sol:BTest": {
    test_results: { "test_gas()": result("Success", { gas_snapshots: { pool: { deposit: "7" } } }) },
  },
});

describe("forge JSON report", () => {
  test("counts every status and collects the gas figures", () => {
    const parsed = parseForgeJson(`Compiling 1 files\n${report}`);
    expect(countResults(parsed.results)).toEqual({ passed: 2, failed: 1, skipped: 1 });
    expect(parsed.snapshots).toEqual({ market: { close: "100" }, pool: { deposit: "7" } });
    expect(describeFailures(parsed.results)).toEqual([
      'FAIL test/A.t.sol:ATest test_bad(): assertion failed: 1 != 2 counterexample: {"calldata":"0x01"}',
    ]);
  });

  test("an unknown status counts as a failure", () => {
    const parsed = parseForgeJson(JSON.stringify({ "t:T": { test_results: { "x()": result("Panicked") } } }));
    expect(countResults(parsed.results).failed).toBe(1);
  });

  test("anything but a report is a clear error", () => {
    expect(() => parseForgeJson("Error: Compiler run failed")).toThrow(/no JSON report/);
    expect(() => parseForgeJson("{ not json")).toThrow(/does not parse/);
    expect(() => parseForgeJson("[1]")).toThrow(/no JSON report|not an object/);
    expect(() => parseForgeJson('{"s": {}}')).toThrow(/no test_results/);
  });

  test("the same figure recorded twice with different values is refused", () => {
    const twice = JSON.stringify({
      "t:T": {
        test_results: {
          "a()": result("Success", { gas_snapshots: { g: { x: "1" } } }),
          "b()": result("Success", { gas_snapshots: { g: { x: "2" } } }),
        },
      },
    });
    expect(() => parseForgeJson(twice)).toThrow(/recorded twice/);
  });
});

describe("gas snapshot comparison", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "bulkhead-snapshots-"));
  writeFileSync(path.join(dir, "market.json"), JSON.stringify({ close: "100", open: "5" }));

  test("equal figures give no difference", () => {
    expect(diffGasSnapshots({ market: { close: "100", open: "5" } }, dir)).toEqual([]);
  });

  test("a moved, a new and a vanished figure are each reported", () => {
    expect(diffGasSnapshots({ market: { close: "101", open: "5", reduce: "9" }, pool: {} }, dir)).toEqual([
      "market/close: 100 → 101",
      "market/reduce: new figure 9, not committed",
    ]);
    expect(diffGasSnapshots({ market: { close: "100" } }, dir)).toEqual([
      "market/open: committed 5, no longer recorded",
    ]);
  });

  test("a malformed snapshot file is named", () => {
    const bad = mkdtempSync(path.join(tmpdir(), "bulkhead-snapshots-"));
    writeFileSync(path.join(bad, "pool.json"), "{");
    expect(diffGasSnapshots({}, bad)[0]).toMatch(/pool\.json does not parse/);
  });
});
