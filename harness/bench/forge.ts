import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { foundryBinary, repoRoot } from "../chain/foundryBinary.js";

/** One invariant function's campaign, as forge prints it. */
export type ForgeInvariantTest = {
  name: string;
  passed: boolean;
  runs: number;
  calls: number;
  reverts: number;
};

export type ParsedForgeOutput = { tests: ForgeInvariantTest[]; wallSeconds: number | undefined };

export type ForgeInvariantResult = {
  /** "suite": the protocol's own test/invariant suite; "reference": a trivial handler (no suite yet). */
  source: "suite" | "reference";
  note: string;
  command: string;
  tests: ForgeInvariantTest[];
  calls: number;
  wallSeconds: number;
  callsPerSecond: number;
};

export class ForgeBenchError extends Error {
  override name = "ForgeBenchError";
}

export const defaultForgeSeed = "0xb01d";

/**
 * Parses `forge test` text output: `[PASS] invariant_x() (runs: R, calls: C, reverts: V)` per invariant and
 * `Ran N test suite(s) in T (…CPU time)` for the wall time (the campaigns of a run share it, in parallel).
 */
export function parseForgeInvariantOutput(text: string): ParsedForgeOutput {
  const tests: ForgeInvariantTest[] = [];
  const line = /\[(PASS|FAIL)[^\]]*\]\s+(\S+)\s+\(runs: (\d+), calls: (\d+), reverts: (\d+)\)/g;
  for (const m of text.matchAll(line)) {
    tests.push({
      name: m[2] as string,
      passed: m[1] === "PASS",
      runs: Number(m[3]),
      calls: Number(m[4]),
      reverts: Number(m[5]),
    });
  }
  const ran = /Ran \d+ test suites? in ([\d.]+)\s*(ns|µs|us|ms|s)\b/.exec(text);
  return { tests, wallSeconds: ran ? toSeconds(Number(ran[1]), ran[2] as string) : undefined };
}

function toSeconds(value: number, unit: string): number {
  const scale: Record<string, number> = { ns: 1e-9, µs: 1e-6, us: 1e-6, ms: 1e-3, s: 1 };
  return value * (scale[unit] ?? 1);
}

/** True when the project has Solidity files under test/invariant/. */
export function hasInvariantSuite(root: string = repoRoot): boolean {
  const dir = path.join(root, "test", "invariant");
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true }).some((entry) => String(entry).endsWith(".sol"));
}

export type RunForgeInvariantsParameters = {
  root?: string | undefined;
  seed?: string | undefined;
};

/**
 * Runs forge's invariant runner with a fixed seed and measures its calls per second: on the protocol's
 * own suite (test/invariant/**) when there is one, otherwise on a trivial reference handler compiled in a
 * temporary project (what TOOLCHAIN.md's ~22,000 calls/s figure measures), and says which.
 */
export async function runForgeInvariants(
  parameters: RunForgeInvariantsParameters = {},
): Promise<ForgeInvariantResult> {
  const root = parameters.root ?? repoRoot;
  const seed = parameters.seed ?? defaultForgeSeed;
  const suite = hasInvariantSuite(root);
  const cwd = suite ? root : referenceProject();
  const args = ["test", "--match-path", "test/invariant/**", "--fuzz-seed", seed];
  const result = await execa(foundryBinary("forge"), args, {
    cwd,
    reject: false,
    all: true,
    env: { NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  const output = result.all ?? "";
  const parsed = parseForgeInvariantOutput(output);
  const command = `forge ${args.map((a) => (a.includes("*") ? `'${a}'` : a)).join(" ")}`;
  if (parsed.tests.length === 0 || parsed.wallSeconds === undefined) {
    const tail = output.trim().split("\n").slice(-12).join("\n");
    throw new ForgeBenchError(`${command} (in ${cwd}) reported no invariant campaigns:\n${tail}`);
  }
  const calls = parsed.tests.reduce((sum, t) => sum + t.calls, 0);
  return {
    source: suite ? "suite" : "reference",
    note: suite
      ? `the protocol's invariant suite (${parsed.tests.length} invariants)`
      : "no invariant suite on this branch (test/invariant/ is empty): measured a trivial reference handler instead",
    command,
    tests: parsed.tests,
    calls,
    wallSeconds: parsed.wallSeconds,
    callsPerSecond: calls / parsed.wallSeconds,
  };
}

/**
 * A throwaway Foundry project with one trivial handler, using this repository's forge-std and compiler
 * wrapper. Kept in the temp folder between runs so that only the first bench compiles it.
 */
function referenceProject(): string {
  const dir = path.join(tmpdir(), "bulkhead-bench-forge-reference");
  mkdirSync(path.join(dir, "test", "invariant"), { recursive: true });
  mkdirSync(path.join(dir, "src"), { recursive: true });
  const lib = path.join(repoRoot, "lib");
  writeIfChanged(
    path.join(dir, "foundry.toml"),
    [
      "[profile.default]",
      'src = "src"',
      'test = "test"',
      'out = "out"',
      `libs = ["${lib}"]`,
      `solc = "${path.join(repoRoot, "tools", "solc.mjs")}"`,
      "offline = true",
      `remappings = ["forge-std/=${path.join(lib, "forge-std")}/"]`,
      "[profile.default.invariant]",
      "runs = 48", // the project's default profile: 48 runs x depth 64
      "depth = 64",
      "",
    ].join("\n"),
  );
  writeIfChanged(
    path.join(dir, "test", "invariant", "Reference.t.sol"),
    `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

contract Handler {
    uint256 public total;

    function add(uint256 x) external {
        total += x % 1000;
    }
}

contract ReferenceInvariant is Test {
    Handler internal handler;

    function setUp() public {
        handler = new Handler();
        targetContract(address(handler));
    }

    function invariant_bounded() public view {
        assertLe(handler.total(), 1e30);
    }
}
`,
  );
  return dir;
}

function writeIfChanged(file: string, text: string): void {
  // Rewriting an unchanged source would make forge recompile it.
  if (existsSync(file) && readFileSync(file, "utf8") === text) return;
  writeFileSync(file, text);
}
