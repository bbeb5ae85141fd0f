// Reads `forge test --json` (forge's machine-readable results; its human summary is for people) and compares
// the gas figures tests record with `vm.snapshotGas*` / `vm.snapshotValue` against the committed
// snapshots/<group>.json. In --json mode forge 1.7.1 neither checks nor writes those files, so the gate does.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * @typedef {{ suite: string, test: string, status: string, reason: string | null,
 *   counterexample: unknown, logs: string[] }} ForgeTestResult
 * @typedef {{ results: ForgeTestResult[], snapshots: Record<string, Record<string, string>> }} ForgeReport
 */

/**
 * Parses forge's JSON report (one object keyed by "path:Contract"). Throws with a clear message on anything
 * else, e.g. when forge printed an error instead of a report.
 * @param {string} stdout
 * @returns {ForgeReport}
 */
export function parseForgeJson(stdout) {
  const start = stdout.indexOf("{");
  if (start < 0) throw new Error("forge printed no JSON report");
  let parsed;
  try {
    parsed = JSON.parse(stdout.slice(start));
  } catch (error) {
    throw new Error(`forge's JSON report does not parse: ${error.message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error("forge's JSON report is not an object of test suites");
  }
  const results = [];
  const snapshots = {};
  for (const [suite, body] of Object.entries(parsed)) {
    const tests = body?.test_results;
    if (tests === null || typeof tests !== "object") throw new Error(`suite ${suite} has no test_results`);
    for (const [test, r] of Object.entries(tests)) {
      results.push({
        suite,
        test,
        status: String(r?.status),
        reason: r?.reason ?? null,
        counterexample: r?.counterexample ?? null,
        logs: Array.isArray(r?.decoded_logs) ? r.decoded_logs : [],
      });
      for (const [group, figures] of Object.entries(r?.gas_snapshots ?? {})) {
        snapshots[group] ??= {};
        const seen = snapshots[group];
        for (const [name, value] of Object.entries(figures)) {
          if (name in seen && seen[name] !== String(value)) {
            throw new Error(`gas snapshot ${group}/${name} recorded twice with different values`);
          }
          seen[name] = String(value);
        }
      }
    }
  }
  return { results, snapshots };
}

/**
 * Counts results the way the gate's summary line does. forge reports "Success", "Failure" or "Skipped".
 * @param {ForgeTestResult[]} results
 */
export function countResults(results) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const r of results) {
    if (r.status === "Success") counts.passed++;
    else if (r.status === "Skipped") counts.skipped++;
    else counts.failed++;
  }
  return counts;
}

/** One line per failed test: where, why, and the counterexample when a fuzzer found one. */
export function describeFailures(results) {
  return results
    .filter((r) => r.status !== "Success" && r.status !== "Skipped")
    .map((r) => {
      const cx = r.counterexample ? ` counterexample: ${JSON.stringify(r.counterexample)}` : "";
      return `FAIL ${r.suite} ${r.test}: ${r.reason ?? r.status}${cx}`;
    });
}

/**
 * Every difference between the figures a run recorded and the committed snapshots/<group>.json files:
 * a moved figure, a new one, or a committed one no test recorded any more.
 * @param {Record<string, Record<string, string>>} recorded
 * @param {string} dir the snapshots folder
 * @returns {string[]} readable differences (empty when they match)
 */
export function diffGasSnapshots(recorded, dir) {
  const committed = {};
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  } catch {
    // No folder: every recorded figure is new.
  }
  for (const file of files) {
    const text = readFileSync(path.join(dir, file), "utf8");
    try {
      committed[file.slice(0, -".json".length)] = JSON.parse(text);
    } catch (error) {
      return [`${path.join(dir, file)} does not parse: ${error.message}`];
    }
  }
  const diffs = [];
  for (const group of new Set([...Object.keys(committed), ...Object.keys(recorded)])) {
    const was = committed[group] ?? {};
    const now = recorded[group] ?? {};
    for (const name of new Set([...Object.keys(was), ...Object.keys(now)])) {
      if (!(name in now)) diffs.push(`${group}/${name}: committed ${was[name]}, no longer recorded`);
      else if (!(name in was)) diffs.push(`${group}/${name}: new figure ${now[name]}, not committed`);
      else if (String(was[name]) !== now[name]) diffs.push(`${group}/${name}: ${was[name]} → ${now[name]}`);
    }
  }
  return diffs;
}
