// The gate must be able to fail. In a temporary copy of the repository (the tree itself is never touched),
// each stage of `npm test` is run once on a harmless probe (it must pass) and once on a probe that breaks
// exactly what the stage guards (it must exit non-zero and name the stage).
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { repoRoot } from "../foundryBinary.mjs";

let copy = "";

/** Tracked and new (not ignored) files as they are in the working tree, plus the build, its cache and ABIs. */
function copyRepository(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "bulkhead-gate-"));
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
    cwd: repoRoot,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && existsSync(path.join(repoRoot, f)));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(repoRoot, file), path.join(dir, file), { verbatimSymlinks: true });
  }
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
  cpSync(path.join(repoRoot, "lib"), path.join(dir, "lib"), { recursive: true, verbatimSymlinks: true });
  for (const built of ["out", "cache", "src-ts/generated"]) {
    if (existsSync(path.join(repoRoot, built))) {
      cpSync(path.join(repoRoot, built), path.join(dir, built), { recursive: true });
    }
  }
  return dir;
}

async function gate(stage: string, extra: readonly string[] = []) {
  const args = ["tools/test.mjs", "--only", stage, ...(extra.length ? ["--", ...extra] : [])];
  const result = await execa("node", args, {
    cwd: copy,
    reject: false,
    all: true,
    env: { FORCE_COLOR: "0" },
  });
  return { code: result.exitCode, output: String(result.all) };
}

/** Writes a probe file into the copy; returns the function that removes it again. */
function probe(file: string, text: string): () => void {
  const target = path.join(copy, file);
  const before = existsSync(target) ? readFileSync(target) : undefined;
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
  return () => (before === undefined ? rmSync(target) : writeFileSync(target, before));
}

const solidityTest = (assertion: string) => `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

contract GateProbeTest is Test {
    function test_probe() external pure {
        ${assertion}
    }
}
`;

const blobContract = (bytes: number) => `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

contract GateProbeBlob {
    function blob() external pure returns (bytes memory) {
        return hex"${"ab".repeat(bytes)}";
    }
}
`;

type Case = {
  stage: string;
  title: string;
  /** What breaks the stage: a file written into the copy, or an edit of one. */
  file: string;
  good: string | ((original: string) => string);
  bad: string | ((original: string) => string);
  extra?: readonly string[];
};

const cases: Case[] = [
  {
    stage: "fmt",
    title: "solidity format",
    file: "src/GateProbe.sol",
    good: "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\n\ncontract GateProbe {}\n",
    bad: "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\ncontract GateProbe{ function f( ) external pure returns(uint256){return 1;} }\n",
  },
  {
    stage: "lint",
    title: "typescript lint",
    file: "harness/gateProbe.ts",
    good: "export function probe(): number {\n  return 1;\n}\n",
    bad: "export function probe(): number {\n  debugger;\n  return 1;\n}\n",
  },
  {
    stage: "build",
    title: "build",
    file: "test/GateProbe.t.sol",
    good: "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\n\ncontract GateProbe {}\n",
    bad: "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\n\ncontract GateProbe {\n",
  },
  {
    stage: "sizes",
    title: "contract sizes",
    file: "src/GateProbeBlob.sol",
    good: blobContract(1_000),
    bad: blobContract(25_000),
  },
  {
    stage: "typecheck",
    title: "typecheck",
    file: "harness/gateProbe.ts",
    good: "export const probe: number = 1;\n",
    bad: 'export const probe: number = "one";\n',
  },
  {
    stage: "forge",
    title: "forge tests",
    file: "test/GateProbe.t.sol",
    good: solidityTest("assertEq(uint256(1), 1);"),
    bad: solidityTest("assertEq(uint256(1), 2);"),
    extra: ["--match-path", "test/GateProbe.t.sol"],
  },
  {
    stage: "gas",
    title: "gas snapshot",
    file: "snapshots/market.json",
    good: (original) => original,
    bad: (original) => original.replace(/"close": "(\d+)"/, (_, gas) => `"close": "${Number(gas) - 100}"`),
  },
  {
    stage: "vitest",
    title: "vitest",
    file: "harness/gateProbe.test.ts",
    good: 'import { expect, test } from "vitest";\n\ntest("probe", () => {\n  expect(1 + 1).toBe(2);\n});\n',
    bad: 'import { expect, test } from "vitest";\n\ntest("probe", () => {\n  expect(1 + 1).toBe(3);\n});\n',
    extra: ["harness/gateProbe.test.ts"],
  },
];

describe("the gate fails when it should (npm test, stage by stage, in a copy)", () => {
  beforeAll(() => {
    copy = copyRepository();
  }, 120_000);
  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  test.each(cases)(
    "$title: passes a harmless probe, fails a breaking one",
    async (c) => {
      const original = existsSync(path.join(copy, c.file))
        ? readFileSync(path.join(copy, c.file), "utf8")
        : "";
      const text = (v: Case["good"]) => (typeof v === "string" ? v : v(original));
      expect(text(c.bad), "the breaking probe must differ from the harmless one").not.toBe(text(c.good));

      let restore = probe(c.file, text(c.good));
      try {
        const passed = await gate(c.stage, c.extra);
        expect(
          passed.code,
          `harmless probe failed the ${c.title} stage:\n${passed.output.slice(-3000)}`,
        ).toBe(0);
      } finally {
        restore();
      }
      restore = probe(c.file, text(c.bad));
      try {
        const failed = await gate(c.stage, c.extra);
        expect(
          failed.code,
          `breaking probe passed the ${c.title} stage:\n${failed.output.slice(-3000)}`,
        ).toBe(1);
        expect(failed.output).toContain(`=== FAILED at stage: ${c.title}`);
      } finally {
        restore();
      }
    },
    600_000,
  );

  test("refuses an unknown stage with exit 2", async () => {
    const result = await gate("no-such-stage");
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/unknown stage\(s\): no-such-stage/);
  });
});
