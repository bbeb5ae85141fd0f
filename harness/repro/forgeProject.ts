/**
 * Runs generated Foundry tests against a project (the repository or a patched copy) without touching it: a
 * scratch copy of what a build needs (sources, scripts, mocks, config; lib/ and node_modules linked, the
 * project's out/ and cache/ as a seed so only what changed compiles) with the tests in test/regressions/.
 */
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { foundryBinary, repoRoot } from "../chain/foundryBinary.js";
import type { ForgeTest } from "./forgeTest.js";

const copied = ["src", "script", "test/mocks", "foundry.toml", "remappings.txt", "tools/solc.mjs"];
const linked = ["lib", "node_modules"];

export type ForgeTestResult = { status: "Success" | "Failure" | string; reason: string | null };

export type RunForgeTestsReturnType = {
  exitCode: number;
  /** Per test contract name: its single test's status and failure reason. */
  results: Map<string, ForgeTestResult>;
  output: string;
};

/**
 * A scratch copy of a Foundry project that builds and deploys like it (its build as a seed). The caller
 * removes it (`rm -r`).
 */
export async function scratchProject(root: string = repoRoot): Promise<string> {
  const work = await mkdtemp(path.join(tmpdir(), "bulkhead-forge-repro-"));
  for (const entry of copied) {
    await mkdir(path.dirname(path.join(work, entry)), { recursive: true });
    await cp(path.join(root, entry), path.join(work, entry), { recursive: true });
  }
  for (const entry of linked) await symlink(path.join(root, entry), path.join(work, entry));
  for (const seed of ["out", "cache"]) {
    await cp(path.join(root, seed), path.join(work, seed), { recursive: true }).catch(() => undefined);
  }
  return work;
}

/** Writes the tests into a scratch copy of `root` and runs `forge test` on them (binary, real exit status). */
export async function runForgeTests(parameters: {
  root?: string | undefined;
  tests: readonly ForgeTest[];
}): Promise<RunForgeTestsReturnType> {
  const work = await scratchProject(parameters.root ?? repoRoot);
  try {
    await mkdir(path.join(work, "test", "regressions"), { recursive: true });
    for (const test of parameters.tests) {
      await writeFile(path.join(work, "test", "regressions", test.fileName), test.source);
    }
    const result = await execa(
      foundryBinary("forge"),
      ["test", "--match-path", "test/regressions/*", "--json"],
      { cwd: work, reject: false, all: true, timeout: 540_000 },
    );
    const output = String(result.all ?? "");
    return { exitCode: result.exitCode ?? -1, results: parseResults(String(result.stdout)), output };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function parseResults(stdout: string): Map<string, ForgeTestResult> {
  const results = new Map<string, ForgeTestResult>();
  const start = stdout.indexOf("{");
  if (start < 0) return results;
  let json: Record<string, { test_results?: Record<string, { status: string; reason: string | null }> }>;
  try {
    json = JSON.parse(stdout.slice(start));
  } catch {
    return results;
  }
  for (const [suite, value] of Object.entries(json)) {
    const contract = suite.split(":").pop() as string;
    for (const test of Object.values(value.test_results ?? {})) {
      results.set(contract, { status: test.status, reason: test.reason });
    }
  }
  return results;
}
