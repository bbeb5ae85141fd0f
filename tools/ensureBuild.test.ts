import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bindingsAreStale, buildIsStale } from "./ensureBuild.mjs";

const root = mkdtempSync(path.join(tmpdir(), "bulkhead-ensure-build-"));
const at = (file: string, seconds: number) => {
  const full = path.join(root, file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, "");
  utimesSync(full, seconds, seconds);
};

describe("ensureBuild's staleness rules", () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("builds when there was no build, or a source or the configuration is newer than the last one", () => {
    at("src/Market.sol", 1_000);
    at("test/Market.t.sol", 1_000);
    expect(buildIsStale(root)).toBe(true);
    at("out/Market.sol/Market.json", 2_000);
    at("cache/ensure-build.stamp", 2_000);
    expect(buildIsStale(root)).toBe(false);
    at("src/libraries/Deep.sol", 3_000);
    expect(buildIsStale(root)).toBe(true);
    at("cache/ensure-build.stamp", 3_000);
    expect(buildIsStale(root)).toBe(false);
    at("foundry.toml", 4_000);
    expect(buildIsStale(root)).toBe(true);
    at("cache/ensure-build.stamp", 4_000);
    at("README.md", 5_000);
    expect(buildIsStale(root)).toBe(false);
    rmSync(path.join(root, "out"), { recursive: true });
    expect(buildIsStale(root)).toBe(true);
  });

  it("regenerates the typed ABIs when they are missing or older than an artifact", () => {
    at("out/Market.sol/Market.json", 2_000);
    expect(bindingsAreStale(root)).toBe(true);
    at("src-ts/generated/abis.ts", 2_500);
    expect(bindingsAreStale(root)).toBe(false);
    at("out/OracleGuard.sol/OracleGuard.json", 2_600);
    expect(bindingsAreStale(root)).toBe(true);
  });
});
