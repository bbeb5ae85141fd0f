import { describe, expect, it } from "vitest";
import { workerArgs, workerCoverageFile, workerRuns } from "./fuzzWorkers.js";

describe("--workers", () => {
  it("passes each worker the command line without the flags it sets itself, in either spelling", () => {
    expect(
      workerArgs([
        "--scenario",
        "lp",
        "--workers",
        "4",
        "--seed=9",
        "--runs",
        "40",
        "--json",
        "--time=10m",
        "--skip-known",
      ]),
    ).toEqual(["--scenario", "lp", "--time=10m", "--skip-known"]);
    expect(workerArgs(["--workers=2", "--seed", "-3", "--max-commands", "5"])).toEqual([
      "--max-commands",
      "5",
    ]);
  });

  it("shares the runs out so that they add up, and gives every worker at least one", () => {
    for (const [runs, workers] of [
      [100, 4],
      [10, 3],
      [7, 7],
      [1_000, 6],
    ] as const) {
      const shares = Array.from({ length: workers }, (_, i) => workerRuns(runs, workers, i));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(runs);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
    expect(Array.from({ length: 3 }, (_, i) => workerRuns(2, 3, i))).toEqual([1, 1, 1]);
  });
});

describe("workers' coverage files", () => {
  it("sit beside the merged one, one per worker, and --coverage is not passed on as given", () => {
    expect(workerCoverageFile(".fuzz/coverage/mixed-seed7.json", 1)).toBe(
      ".fuzz/coverage/mixed-seed7.w1.json",
    );
    expect(workerCoverageFile("cov", 0)).toBe("cov.w0.json");
    expect(
      workerArgs(["--coverage", "a.json", "--runs", "4", "--coverage=b.json", "--scenario", "lp"]),
    ).toEqual(["--scenario", "lp"]);
  });
});
