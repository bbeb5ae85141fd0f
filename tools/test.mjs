#!/usr/bin/env node
// `npm test`: the merge gate. Runs the stages below in order and stops at the first that fails, printing
// "=== FAILED at stage: <name>" and exiting 1; ends with one line "N passed, N failed, N skipped" summed over
// the test runners. Every forge call goes to the native binary (the npm wrapper always exits 0), and forge's
// results are read from `forge test --json`, never from its human summary.
//
//   node tools/test.mjs                     every stage
//   node tools/test.mjs --only fmt,build    some stages (ids below)
//   node tools/test.mjs --list              the stages
//   node tools/test.mjs --only forge -- --match-path test/unit/Lens/Snapshot.t.sol
//                                           arguments after -- go to the selected stages' test runner
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { foundryBinary, repoRoot } from "./foundryBinary.mjs";
import { countResults, describeFailures, diffGasSnapshots, parseForgeJson } from "./gate/forgeReport.mjs";

const bin = (name) => path.join(repoRoot, "node_modules", ".bin", name);
const totals = { passed: 0, failed: 0, skipped: 0 };
const corpusTest = "harness/runner/corpus.test.ts";
const gasTests = "test/gas/**";

class StageFailure extends Error {}

/** The code size every shipped contract keeps under EIP-170's 24,576 bytes (issue 8: room for fixes). */
const MIN_HEADROOM = 4096;

/** Runs a command with its output streamed; returns its result without throwing. */
async function run(cmd, args, { quiet = false, env = {} } = {}) {
  console.log(`$ ${path.relative(repoRoot, cmd) || cmd} ${args.join(" ")}`);
  const child = execa(cmd, args, {
    cwd: repoRoot,
    reject: false,
    all: !quiet,
    env: { FORCE_COLOR: "0", ...env },
  });
  if (quiet) child.stderr?.pipe(process.stderr);
  else child.all?.pipe(process.stdout);
  const result = await child;
  if (result.exitCode === undefined) throw new StageFailure(`could not run ${cmd}: ${result.message}`);
  return result;
}

/** Runs a command; a non-zero exit fails the stage. */
async function mustPass(cmd, args, options) {
  const result = await run(cmd, args, options);
  if (result.exitCode !== 0) throw new StageFailure(`exit ${result.exitCode}`);
  return result;
}

/** `forge test --json` with the given filters: counts the results, prints failures with a traced re-run. */
async function forgeTests(filters, extra) {
  const forge = foundryBinary("forge");
  const result = await run(forge, ["test", "--json", ...filters, ...extra], { quiet: true });
  let report;
  try {
    report = parseForgeJson(String(result.stdout));
  } catch (error) {
    throw new StageFailure(`${error.message} (forge exit ${result.exitCode})`);
  }
  const counts = countResults(report.results);
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
  const suites = new Set(report.results.map((r) => r.suite)).size;
  console.log(
    `forge: ${suites} suites, ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
  );
  const failures = describeFailures(report.results);
  for (const line of failures) console.error(line);
  // The JSON carries no traces: re-run the first failures in forge's own words, with traces.
  for (const r of report.results.filter((x) => x.status === "Failure").slice(0, 3)) {
    const [file, contract] = r.suite.split(":");
    const name = r.test.replace(/\(.*$/, "");
    await run(forge, [
      "test",
      "--match-path",
      file,
      "--match-contract",
      `^${contract}$`,
      "--match-test",
      `^${name}\\(`,
      "-vvv",
    ]);
  }
  if (failures.length > 0) throw new StageFailure(`${failures.length} forge test(s) failed`);
  if (result.exitCode !== 0) throw new StageFailure(`forge exit ${result.exitCode}`);
  if (report.results.length === 0) throw new StageFailure("forge ran no tests");
  return report;
}

/** A vitest run whose JSON report adds to the totals. */
async function vitest(args) {
  const dir = mkdtempSync(path.join(tmpdir(), "bulkhead-vitest-"));
  const file = path.join(dir, "report.json");
  try {
    const result = await run(bin("vitest"), [
      "run",
      ...args,
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${file}`,
    ]);
    if (existsSync(file)) {
      const r = JSON.parse(readFileSync(file, "utf8"));
      totals.passed += r.numPassedTests ?? 0;
      totals.failed += r.numFailedTests ?? 0;
      totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
      if ((r.numTotalTests ?? 0) === 0) throw new StageFailure("vitest ran no tests");
    }
    if (result.exitCode !== 0) throw new StageFailure(`vitest exit ${result.exitCode}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const stages = [
  {
    id: "toolchain",
    title: "toolchain",
    // `npx forge` and the npm scripts must run the native forge, which fails when forge fails.
    run: async () => {
      const probe = await execa(bin("forge"), ["no-such-subcommand"], { reject: false });
      if (probe.exitCode === 0) {
        throw new StageFailure(
          "node_modules/.bin/forge exits 0 on an error (the npm wrapper): run `npm ci` or `node tools/linkFoundryBins.mjs`",
        );
      }
      await mustPass(foundryBinary("forge"), ["--version"]);
    },
  },
  { id: "fmt", title: "solidity format", run: () => mustPass(foundryBinary("forge"), ["fmt", "--check"]) },
  { id: "lint", title: "typescript lint", run: () => mustPass(bin("biome"), ["check"]) },
  { id: "build", title: "build", run: () => mustPass(foundryBinary("forge"), ["build"]) },
  {
    id: "sizes",
    title: "contract sizes",
    // EIP-170 applies to what ships (src/), not to test-only variants of it. Every contract keeps MIN_HEADROOM
    // under the limit, so that a fix never has to wait for a split.
    run: async () => {
      const result = await mustPass(
        foundryBinary("forge"),
        ["build", "--sizes", "--json", "--skip", "test", "--skip", "test/**", "--skip", "script"],
        { quiet: true },
      );
      const sizes = JSON.parse(String(result.stdout));
      const tight = Object.entries(sizes).filter(([, s]) => s.runtime_margin < MIN_HEADROOM);
      for (const [name, s] of tight) {
        console.error(
          `sizes: ${name} is ${s.runtime_size} bytes, ${s.runtime_margin} under EIP-170's 24,576`,
        );
      }
      if (tight.length > 0)
        throw new StageFailure(
          `less than ${MIN_HEADROOM} bytes of headroom: ${tight.map(([n]) => n).join(", ")}`,
        );
      console.log(
        `sizes: every contract has at least ${MIN_HEADROOM} bytes under EIP-170 (Market: ${sizes.Market?.runtime_margin})`,
      );
    },
  },
  { id: "abis", title: "typed ABIs", run: () => mustPass(bin("wagmi"), ["generate"]) },
  { id: "typecheck", title: "typecheck", run: () => mustPass(bin("tsc"), ["--noEmit"]) },
  {
    id: "forge",
    title: "forge tests",
    extra: true,
    run: (extra) => forgeTests(["--no-match-path", gasTests], extra),
  },
  {
    id: "gas",
    title: "gas snapshot",
    extra: true,
    run: async (extra) => {
      const report = await forgeTests(["--match-path", gasTests], extra);
      const diffs = diffGasSnapshots(report.snapshots, path.join(repoRoot, "snapshots"));
      if (diffs.length === 0) return console.log("gas: every figure matches snapshots/*.json");
      for (const d of diffs) console.error(`gas: ${d}`);
      throw new StageFailure(
        `${diffs.length} gas figure(s) differ from snapshots/*.json; if intended: npm run gas:update and commit`,
      );
    },
  },
  // The committed failure corpus replays before any new fuzzing: a known regression fails the gate first.
  { id: "corpus", title: "failure corpus", run: () => vitest([corpusTest]) },
  {
    id: "vitest",
    title: "vitest",
    extra: true,
    run: (extra) => vitest(extra.length ? extra : ["--exclude", corpusTest]),
  },
];

function finish(code) {
  console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(code);
}

const split = process.argv.indexOf("--", 2);
const extra = split < 0 ? [] : process.argv.slice(split + 1);
let options;
try {
  options = parseArgs({
    args: process.argv.slice(2, split < 0 ? undefined : split),
    options: { only: { type: "string" }, list: { type: "boolean" } },
  }).values;
} catch (error) {
  console.error(
    `${error.message}\nusage: node tools/test.mjs [--list] [--only <id,...>] [-- <test runner args>]`,
  );
  process.exit(2);
}
if (options.list) {
  for (const s of stages) console.log(`${s.id.padEnd(10)} ${s.title}`);
  process.exit(0);
}
const only = options.only?.split(",").map((s) => s.trim());
const unknown = only?.filter((id) => !stages.some((s) => s.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown stage(s): ${unknown.join(", ")}; stages: ${stages.map((s) => s.id).join(", ")}`);
  process.exit(2);
}
if (extra.length > 0 && !stages.some((s) => s.extra && (!only || only.includes(s.id)))) {
  console.error("arguments after -- need a stage that runs tests (--only forge, gas or vitest)");
  process.exit(2);
}

for (const stage of stages.filter((s) => !only || only.includes(s.id))) {
  console.log(`\n=== ${stage.title}`);
  const started = Date.now();
  try {
    await stage.run(extra);
  } catch (error) {
    const why = error instanceof StageFailure ? error.message : (error?.stack ?? String(error));
    console.error(`\n=== FAILED at stage: ${stage.title} (${why})`);
    if (totals.failed === 0) totals.failed = 1;
    finish(1);
  }
  console.log(`=== ${stage.title}: ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
finish(0);
