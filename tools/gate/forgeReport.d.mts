/** One test of a `forge test --json` report. */
export type ForgeTestResult = {
  suite: string;
  test: string;
  /** forge's status: "Success", "Failure" or "Skipped". */
  status: string;
  reason: string | null;
  counterexample: unknown;
  logs: string[];
};
/** The tests of a report and the gas figures they recorded, by snapshot group. */
export type ForgeReport = {
  results: ForgeTestResult[];
  snapshots: Record<string, Record<string, string>>;
};
/** Parses forge's JSON report; throws a readable error on anything else. */
export declare function parseForgeJson(stdout: string): ForgeReport;
/** Passed, failed (any status but Success and Skipped) and skipped counts. */
export declare function countResults(results: readonly ForgeTestResult[]): {
  passed: number;
  failed: number;
  skipped: number;
};
/** One readable line per failed test. */
export declare function describeFailures(results: readonly ForgeTestResult[]): string[];
/** Every difference between recorded figures and the committed snapshots/<group>.json files in `dir`. */
export declare function diffGasSnapshots(
  recorded: Record<string, Record<string, string>>,
  dir: string,
): string[];
