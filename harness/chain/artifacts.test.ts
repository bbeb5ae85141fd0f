import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ArtifactError, loadArtifact } from "./artifacts.js";

const validArtifact = JSON.stringify({
  abi: [{ type: "function", name: "ping", inputs: [], outputs: [], stateMutability: "nonpayable" }],
  bytecode: { object: "0x6080", linkReferences: {} },
});

/** A throwaway out/ directory: { "File.sol/Contract.json": contents }. */
function fakeOut(files: Record<string, string>): string {
  const outDir = mkdtempSync(path.join(tmpdir(), "bulkhead-out-"));
  for (const [relative, contents] of Object.entries(files)) {
    mkdirSync(path.join(outDir, path.dirname(relative)), { recursive: true });
    writeFileSync(path.join(outDir, relative), contents);
  }
  return outDir;
}

async function loadError(parameters: Parameters<typeof loadArtifact>[0]): Promise<ArtifactError> {
  const error = await loadArtifact(parameters).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArtifactError);
  return error as ArtifactError;
}

describe("loadArtifact", () => {
  test("reads abi and creation bytecode from the real build", async () => {
    const artifact = await loadArtifact({ contract: "MockERC20" });
    expect(artifact.sourceFile).toBe("MockERC20.sol");
    expect(artifact.abi.some((item) => item.type === "function" && item.name === "mint")).toBe(true);
    expect(artifact.bytecode).toMatch(/^0x[0-9a-f]{100,}$/);
  });

  test("no build at all says to run forge build", async () => {
    const error = await loadError({
      contract: "Market",
      outDir: path.join(tmpdir(), "bulkhead-does-not-exist"),
    });
    expect(error.kind).toBe("missing-build");
    expect(error.message).toMatch(/forge build.*npm run build/);
  });

  test("an out/ without compiled contracts is a missing build too", async () => {
    const error = await loadError({ contract: "Market", outDir: fakeOut({ "build-info/x.json": "{}" }) });
    expect(error.kind).toBe("missing-build");
  });

  test("malformed JSON names the file", async () => {
    const outDir = fakeOut({ "Market.sol/Market.json": '{"abi": [' });
    const error = await loadError({ contract: "Market", outDir });
    expect(error.kind).toBe("malformed");
    expect(error.message).toContain(path.join(outDir, "Market.sol/Market.json"));
    expect(error.message).toMatch(/not valid JSON/);
  });

  test.each([
    ["no abi", { bytecode: { object: "0x00" } }, /"abi"/],
    ["no bytecode", { abi: [] }, /"bytecode.object"/],
    ["non-hex bytecode", { abi: [], bytecode: { object: "0xZZ" } }, /not hex/],
    ["not an object", [1, 2], /"abi"/],
  ])("JSON that is not an artifact (%s) is malformed", async (_, json, reason) => {
    const error = await loadError({
      contract: "Market",
      outDir: fakeOut({ "Market.sol/Market.json": JSON.stringify(json) }),
    });
    expect(error.kind).toBe("malformed");
    expect(error.message).toMatch(reason);
  });

  test("a missing contract is reported with where it was looked for", async () => {
    const error = await loadError({
      contract: "Market",
      outDir: fakeOut({ "Other.sol/Other.json": validArtifact }),
    });
    expect(error.kind).toBe("missing-contract");
    expect(error.message).toMatch(/Market\.sol\/Market\.json/);
  });

  test("a contract declared in a differently named file is found, unless the file was given", async () => {
    const outDir = fakeOut({ "Views.sol/Lens.json": validArtifact });
    expect((await loadArtifact({ contract: "Lens", outDir })).sourceFile).toBe("Views.sol");
    const error = await loadError({ contract: "Lens", file: "Lens.sol", outDir });
    expect(error.kind).toBe("missing-contract");
    expect(error.message).toMatch(/found in: Views\.sol/);
  });

  test("a contract name in two files must be disambiguated", async () => {
    const outDir = fakeOut({ "A.sol/Lens.json": validArtifact, "B.sol/Lens.json": validArtifact });
    const error = await loadError({ contract: "Lens", outDir });
    expect(error.kind).toBe("ambiguous-contract");
    expect((await loadArtifact({ contract: "Lens", file: "B.sol", outDir })).sourceFile).toBe("B.sol");
  });
});
