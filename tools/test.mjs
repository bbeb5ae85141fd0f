#!/usr/bin/env node
// `npm test`: the merge gate. Builds the contracts, runs every forge suite (unit, integration, invariant,
// gas), checks the committed gas snapshot, regenerates the typed ABIs and runs the vitest suites.
// Stops at the first failing stage and ends with one line "N passed, N failed" summed over the runners.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const totals = { passed: 0, failed: 0, skipped: 0 };

function finish(code) {
  console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(code);
}

async function stage(title, cmd, args, { parse, requireSummary = false } = {}) {
  console.log(`\n=== ${title}: ${path.basename(cmd)} ${args.join(" ")}`);
  const started = Date.now();
  const child = execa(cmd, args, { cwd: root, reject: false, all: true, env: { FORCE_COLOR: "0" } });
  child.all.pipe(process.stdout);
  const result = await child;
  const before = totals.passed + totals.failed;
  parse?.(result.all ?? "");
  let code = result.exitCode;
  // Forge exits 0 when compilation fails: a stage that must report tests and reported none fails the gate.
  if (requireSummary && code === 0 && totals.passed + totals.failed === before) {
    console.error(`=== ${title}: no test results were reported; treating as a failure`);
    code = 1;
  }
  console.log(`=== ${title}: ${code === 0 ? "ok" : `failed (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (code !== 0) {
    if (code === undefined) console.error(`could not run ${cmd}: ${result.message}`);
    totals.failed += totals.failed === 0 ? 1 : 0;
    finish(1);
  }
}

if (!existsSync(bin("forge"))) {
  console.error("forge is not installed: run `npm install` first");
  process.exit(1);
}

// Forge prints "Ran N test suites in …: X tests passed, Y failed, Z skipped (T total tests)".
const forgeSummary = (out) => {
  const m = out.match(/(\d+) tests passed, (\d+) failed, (\d+) skipped/g);
  if (!m) return;
  const [, p, f, s] = m.at(-1).match(/(\d+) tests passed, (\d+) failed, (\d+) skipped/);
  totals.passed += Number(p);
  totals.failed += Number(f);
  totals.skipped += Number(s);
};

await stage("build", bin("forge"), ["build"]);
// The EIP-170 size check applies to what ships (src/), not to test-only variants of it.
await stage("contract sizes", bin("forge"), ["build", "--sizes", "--skip", "test", "--skip", "test/**", "--skip", "script"]);
await stage("forge tests", bin("forge"), ["test"], { parse: forgeSummary, requireSummary: true });
if (existsSync(path.join(root, ".gas-snapshot"))) {
  await stage("gas snapshot", bin("forge"), ["snapshot", "--check", "--match-path", "test/gas/**"]);
}
// A vitest stage whose JSON report adds to the totals.
async function vitestStage(title, args) {
  const dir = mkdtempSync(path.join(tmpdir(), "bulkhead-vitest-"));
  const report = path.join(dir, "report.json");
  await stage(title, bin("vitest"), ["run", ...args, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], {
    parse: () => {
      if (!existsSync(report)) return;
      const r = JSON.parse(readFileSync(report, "utf8"));
      totals.passed += r.numPassedTests ?? 0;
      totals.failed += r.numFailedTests ?? 0;
      totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

if (existsSync(path.join(root, "vitest.config.ts"))) {
  if (existsSync(path.join(root, "wagmi.config.ts"))) await stage("typed ABIs", bin("wagmi"), ["generate"]);
  // The committed failure corpus replays first: a known regression fails the gate before any new fuzzing.
  const corpus = "harness/runner/corpus.test.ts";
  const hasCorpus = existsSync(path.join(root, corpus));
  if (hasCorpus) await vitestStage("failure corpus", [corpus]);
  await vitestStage("vitest", hasCorpus ? ["--exclude", corpus] : []);
}
finish(totals.failed === 0 ? 0 : 1);
