// The variants' build cache outlives the checkout that filled it: a copy found in the cache must come back
// linked to this checkout, whatever its links pointed at before.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "../chain/foundryBinary.js";
import { brokenVariants, buildVariant, VariantBuildError, variantRoot } from "./variants.js";

describe("variant build cache", () => {
  const made: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bulkhead-variant-cache-"));
    made.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  const variant = brokenVariants[0];

  it("relinks a cached copy whose checkout is gone to this one", async () => {
    const cacheDir = await tempDir();
    const gone = path.join(await tempDir(), "deleted-checkout");
    const root = await variantRoot(variant, repoRoot, cacheDir);
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, ".built"), "cached\n");
    await symlink(path.join(gone, "node_modules"), path.join(root, "node_modules"));
    await symlink(path.join(gone, "lib"), path.join(root, "lib"));
    expect(existsSync(path.join(root, "node_modules", "solc"))).toBe(false);

    expect(await buildVariant({ variant, cacheDir, source: repoRoot })).toBe(root);
    expect(await readlink(path.join(root, "node_modules"))).toBe(path.join(repoRoot, "node_modules"));
    expect(await readlink(path.join(root, "lib"))).toBe(path.join(repoRoot, "lib"));
    // What tools/solc.mjs requires from the copy now resolves.
    expect(existsSync(path.join(root, "node_modules", "solc", "package.json"))).toBe(true);
  });

  it("names the copy by its content, not by where the checkout lives", async () => {
    const cacheDir = await tempDir();
    const a = await variantRoot(variant, repoRoot, cacheDir);
    expect(path.dirname(a)).toBe(cacheDir);
    expect(path.basename(a)).toMatch(new RegExp(`^${variant.name}-[0-9a-f]{12}$`));
    const other = { ...variant, replace: `${variant.replace} ` };
    expect(await variantRoot(other, repoRoot, cacheDir)).not.toBe(a);
  });

  it("refuses a patch whose text is no longer in the source", async () => {
    const stale = { ...variant, find: "this text is in no source file" };
    await expect(variantRoot(stale, repoRoot, await tempDir())).rejects.toThrow(VariantBuildError);
  });
});
