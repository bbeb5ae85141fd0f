import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../chain/foundryBinary.js";
import { workerSeed } from "./options.js";

const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
const run = (cli: "fuzz" | "repro", args: string[]) =>
  execa(tsx, [path.join(repoRoot, "harness/cli", `${cli}.ts`), ...args], { cwd: repoRoot, reject: false });
const dir = mkdtempSync(path.join(tmpdir(), "bulkhead-cli-test-"));
const toyHarness = "harness/runner/testing/toyCapHarness.ts";

/** A CLI's message for a bad input: one clear line on stderr, never a stack trace. */
function missing(): never {
  throw new Error("expected a value");
}

function expectCleanError(result: { exitCode?: number; stderr: unknown }, code: number, message: RegExp) {
  expect(result.exitCode).toBe(code);
  expect(String(result.stderr)).toMatch(message);
  expect(String(result.stderr)).not.toMatch(/^\s+at /m);
}

function expectGone(pid: number) {
  expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
}

describe("npm run repro: bad files", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, content);
    return f;
  };

  // Every kind of bad file is covered by artifact.test.ts; here, that the CLI prints them cleanly.
  it("exits 2 with a clear message for a missing, non-JSON or foreign file", async () => {
    const results = await Promise.all([
      run("repro", [path.join(dir, "nope.json")]),
      run("repro", [file("broken.json", "{ half")]),
      run("repro", [path.join(repoRoot, "package.json")]),
    ]);
    expectCleanError(
      results[0] ?? missing(),
      2,
      /^repro: cannot read failure artifact .*nope\.json: no such file/,
    );
    expectCleanError(
      results[1] ?? missing(),
      2,
      /^repro: .*broken\.json is not a failure artifact: not JSON/,
    );
    expectCleanError(
      results[2] ?? missing(),
      2,
      /^repro: .*package\.json is not a Bulkhead failure artifact/,
    );
  }, 60_000);

  it("npm run fuzz exits 2 on a bad flag, with the usage", async () => {
    const result = await run("fuzz", ["--scenario", "moon"]);
    expectCleanError(
      result,
      2,
      /^fuzz: --scenario must be one of oracle, cascade, mixed[^"]*, got "moon"\n\nusage: npm run fuzz/,
    );
  }, 30_000);
});

describe("npm run fuzz, then npm run repro (toy-cap harness)", () => {
  it("finds, shrinks, writes the artifact, prints the replay command that reproduces it; no node survives", async () => {
    const out = path.join(dir, "failures");
    const fuzz = await run("fuzz", [
      "--harness",
      toyHarness,
      "--seed",
      "42",
      "--runs",
      "30",
      "--max-commands",
      "8",
      "--out",
      out,
    ]);
    const stdout = String(fuzz.stdout);
    expect(fuzz.exitCode, stdout + String(fuzz.stderr)).toBe(1);
    expect(stdout).toMatch(
      /^\[\s*\d+\.\ds\] \| runs \d+ \| actions \d+ \([\d.]+\/s\) \| modes Normal \| worst health/m,
    );
    expect(stdout).toMatch(
      /FAILED after \d+ runs, shrunk in \d+ steps to 2 commands:\n[A-Z ]+\b.*\ntoy-margin-cap violated at step 1/,
    );
    const artifact = /^artifact: (.+)$/m.exec(stdout)?.[1];
    expect(artifact).toBeDefined();
    expect(JSON.parse(readFileSync(artifact ?? missing(), "utf8"))).toMatchObject({
      format: "bulkhead-failure",
      seed: 42,
    });
    // The HTML report of the failure, beside the artifact.
    const report = /^report: {3}(.+)$/m.exec(stdout)?.[1];
    expect(report).toBe((artifact ?? missing()).replace(/\.json$/, ".html"));
    expect(readFileSync(report ?? missing(), "utf8")).toMatch(
      /^<!doctype html>[\s\S]*toy-margin-cap violated at step 1/,
    );
    const replay = /^replay: {3}npm run repro -- (.+)$/m.exec(stdout)?.[1];
    expect(replay).toBe(`${artifact} --harness ${toyHarness}`);
    expectGone(Number(/^fuzz: anvil pid (\d+)/m.exec(stdout)?.[1]));

    const repro = await run("repro", (replay ?? missing()).split(" "));
    expect(repro.exitCode, String(repro.stdout) + String(repro.stderr)).toBe(1);
    expect(String(repro.stdout)).toMatch(
      /REPRODUCED: the failure is still there\.\n[A-Z ]+\b.*\ntoy-margin-cap violated at step 1/,
    );
    expectGone(Number(/^repro: anvil pid (\d+)/m.exec(String(repro.stdout))?.[1]));
  }, 90_000);
});

describe("npm run fuzz: workers, --json and Ctrl-C (stand-in harness, no toy check)", () => {
  // The stand-in's real checks on the real protocol: these campaigns pass, so only the interruption decides the exit.
  const passing = ["--harness", "harness/runner/testing/standInHarness.ts", "--max-commands", "3"];

  it("--workers 2 --json: derived seeds, runs shared out, one merged JSON summary on stdout; no node survives", async () => {
    const result = await run("fuzz", [...passing, "--workers", "2", "--runs", "5", "--seed", "7", "--json"]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const summary = JSON.parse(String(result.stdout));
    expect(summary).toMatchObject({ status: "passed", seed: 7, runs: 5, interrupted: false });
    expect(summary.workers.map((w: { seed: number }) => w.seed)).toEqual([7, workerSeed(7, 1)]);
    expect(summary.workers.map((w: { runs: number }) => w.runs)).toEqual([3, 2]);
    const stderr = String(result.stderr);
    expect(stderr).toMatch(new RegExp(`^fuzz: 2 workers, scenario mixed, seeds 7, ${workerSeed(7, 1)}`, "m"));
    for (const pid of stderr.matchAll(/^\[w\d\] fuzz: anvil pid (\d+)/gm)) expectGone(Number(pid[1]));
  }, 180_000);

  it("Ctrl-C stops starting runs, prints the summary and the seed, exits 130; no node survives", async () => {
    const child = execa(
      tsx,
      [path.join(repoRoot, "harness/cli/fuzz.ts"), ...passing, "--runs", "1000000", "--seed", "11", "--json"],
      { cwd: repoRoot, reject: false },
    );
    let seen = "";
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        seen += String(chunk);
        if (/\| runs \d+ \|/.test(seen)) resolve();
      });
      child.once("exit", () => reject(new Error(`fuzz exited before its first progress line:\n${seen}`)));
    });
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    const stderr = String(result.stderr);
    expect(stderr).toMatch(/fuzz: interrupted; finishing the current run/);
    expect(stderr).toMatch(/^\d+ runs \(0 while shrinking\), .*; scenario mixed, seed 11$/m);
    expect(stderr).toMatch(/^re-run: {3}npm run fuzz -- --scenario mixed --seed 11 /m);
    expect(JSON.parse(String(result.stdout))).toMatchObject({
      status: "passed",
      seed: 11,
      interrupted: true,
    });
    expectGone(Number(/^fuzz: anvil pid (\d+)/m.exec(stderr)?.[1]));
  }, 120_000);
});

describe("npm run fuzz --scenario incident:<name> --json", () => {
  // Whether a variation breaks a bound is the incident suite's business; here, that the summary says what happened.
  it("the summary carries each incident's playbook outcome, its runs and any failure's artifact", async () => {
    const result = await run("fuzz", ["--scenario", "incident:bzx", "--runs", "1", "--seed", "3", "--json"]);
    const summary = JSON.parse(String(result.stdout));
    expect(summary).toMatchObject({ scenario: "incident:bzx", seed: 3, interrupted: false });
    expect(summary.status).toBe(result.exitCode === 0 ? "passed" : "failed");
    expect(summary.runs).toBeGreaterThanOrEqual(1);
    expect(summary.incidents).toHaveLength(1);
    const [bzx] = summary.incidents;
    expect(bzx.name).toBe("bzx");
    expect(bzx.runs).toBe(summary.runs);
    expect(bzx.playbook.attackerPnl).toMatch(/^-?\d+$/);
    expect(bzx.playbook.lpPnl.length).toBeGreaterThan(0);
    expect(bzx.worstAttackerPnl).toMatch(/^-?\d+$/);
    if (summary.status === "failed") {
      expect(bzx.failure.invariant).toMatch(/^incident-|^[a-z-]+$/);
      expect(readFileSync(path.join(repoRoot, bzx.failure.artifact), "utf8")).toMatch(
        /"scenario": "incident:bzx"/,
      );
    } else {
      expect(bzx.failure).toBeNull();
    }
  }, 180_000);
});
