/**
 * Deliberately broken copies of the protocol, to prove the harness catches real bugs. Each variant is a
 * string patch applied to a temporary copy of the Foundry project (src, script, test/mocks, foundry.toml,
 * remappings.txt, tools/solc.mjs; lib/ and node_modules symlinked), built there with forge and deployed
 * with deploySystem({ root }). The broken code never exists in src/.
 *
 * Builds are cached in the OS temp folder under a hash of the patch and every copied file, so a rerun
 * with unchanged sources reuses them and any change to the sources rebuilds. The hash does not cover
 * where the project lives, so a cached copy made from another checkout (since deleted) is reused with its
 * links pointed at this one.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import {
  cp,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { foundryBinary, repoRoot } from "../chain/foundryBinary.js";

export type BrokenVariant = {
  /** Names the copy and its artifacts. */
  name: string;
  /** What is wrong, as a reviewer would put it. */
  bug: string;
  file: string;
  /** Must occur exactly once in `file`; replaced by `replace`. */
  find: string;
  replace: string;
};

export const brokenVariants = [
  {
    name: "fee-insurance-twice",
    bug: "the trading fee's insurance share is also left in the pool's share: it is credited twice",
    file: "src/libraries/MarketAccounting.sol",
    find: "agg.insurance += toInsurance;\n        agg.poolCash += int256(fee - toInsurance);",
    replace: "agg.insurance += toInsurance;\n        agg.poolCash += int256(fee);",
  },
  {
    name: "keeper-reward-not-deducted",
    bug: "a liquidation pays the keeper's reward but only deducts the insurance part from the margin",
    file: "src/libraries/MarketAccounting.sol",
    find: "creditMargin(agg, a, -int256(reward + toInsurance));",
    replace: "creditMargin(agg, a, -int256(toInsurance));",
  },
  {
    name: "funding-sign-flipped",
    bug: "the funding index moves against the rate: longs are paid when the market is net long",
    file: "src/Market.sol",
    find: "return _agg.fundingIndex + fundingRate() * int256(price) / int256(WAD) * int256(dt);",
    replace: "return _agg.fundingIndex - fundingRate() * int256(price) / int256(WAD) * int256(dt);",
  },
  {
    name: "maintenance-uses-initial-margin",
    bug: "liquidation tests equity against the initial margin ratio instead of the maintenance ratio",
    file: "src/libraries/MarketLiquidation.sol",
    find: "(, uint256 mm) = oracle.marginRatios();\n            int256 equity = A.equity(a, price, valueDivisor) - owed;",
    replace:
      "(uint256 mm,) = oracle.marginRatios();\n            int256 equity = A.equity(a, price, valueDivisor) - owed;",
  },
] as const satisfies readonly BrokenVariant[];

export type BrokenVariantName = (typeof brokenVariants)[number]["name"];

export class VariantBuildError extends Error {
  override name = "VariantBuildError";
}

// What a copy needs to build and deploy; the rest (lib/, node_modules) is linked.
const copied = ["src", "script", "test/mocks", "foundry.toml", "remappings.txt", "tools/solc.mjs"];
const linked = ["lib", "node_modules"];

export type BuildVariantParameters = {
  variant: BrokenVariant;
  /** Where the cached copies live (default <os tmp>/bulkhead-variants). */
  cacheDir?: string | undefined;
  /** The project to copy (default this repository). */
  source?: string | undefined;
};

/** Returns the root of a built copy of the project with the variant's patch applied. */
export async function buildVariant(parameters: BuildVariantParameters): Promise<string> {
  const { variant } = parameters;
  const source = path.resolve(parameters.source ?? repoRoot);
  const cacheDir = parameters.cacheDir ?? path.join(tmpdir(), "bulkhead-variants");
  const root = await variantRoot(variant, source, cacheDir);
  if (existsSync(path.join(root, ".built"))) {
    await linkSource(root, source);
    return root;
  }
  return build(variant, source, root);
}

/**
 * Where the variant's copy lives: named by a hash of the patch and every copied file. Throws if the patch
 * no longer applies exactly once.
 */
export async function variantRoot(variant: BrokenVariant, source: string, cacheDir: string): Promise<string> {
  const original = await readFile(path.join(source, variant.file), "utf8");
  const occurrences = original.split(variant.find).length - 1;
  if (occurrences !== 1) {
    throw new VariantBuildError(
      `variant ${variant.name}: the patch's text occurs ${occurrences} times in ${variant.file} (expected once); ` +
        "the source changed: update the variant",
    );
  }
  const hash = createHash("sha256").update(JSON.stringify(variant));
  for (const entry of copied) await hashTree(path.join(source, entry), entry, hash);
  return path.join(cacheDir, `${variant.name}-${hash.digest("hex").slice(0, 12)}`);
}

/**
 * Points a copy's lib/ and node_modules at `source`, replacing links to anywhere else (a checkout that no
 * longer exists leaves them dangling, and forge's compiler wrapper then cannot load solc). Each link is
 * replaced by a rename, so a concurrent reader sees the old link or the new one, never none.
 */
export async function linkSource(root: string, source: string): Promise<void> {
  for (const entry of linked) {
    const link = path.join(root, entry);
    const target = path.join(source, entry);
    const current = await readlink(link).catch(() => undefined);
    if (current === target) continue;
    const fresh = `${link}.${process.pid}.link`;
    await rm(fresh, { force: true });
    await symlink(target, fresh);
    await rename(fresh, link);
  }
}

async function build(variant: BrokenVariant, source: string, root: string): Promise<string> {
  const original = await readFile(path.join(source, variant.file), "utf8");
  // Built in a private folder, then renamed into place: a concurrent or interrupted build never leaves a
  // half-built copy under the final name.
  const work = `${root}.${process.pid}.tmp`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    for (const entry of copied) {
      await mkdir(path.dirname(path.join(work, entry)), { recursive: true });
      await cp(path.join(source, entry), path.join(work, entry), { recursive: true });
    }
    for (const entry of linked) await symlink(path.join(source, entry), path.join(work, entry));
    await writeFile(path.join(work, variant.file), original.replace(variant.find, variant.replace));
    const forge = foundryBinary("forge", source);
    // Seeded with the project's own build, forge recompiles only what the patch touches (its cache keys
    // files by content hash, with paths relative to the root). Should that build be unusable (mid-write
    // by a concurrent `forge build`), a clean build follows.
    const build = () => execa(forge, ["build"], { cwd: work, reject: false, all: true });
    let result = (await seedBuild(source, work)) ? await build() : undefined;
    if (result?.exitCode !== 0) {
      await rm(path.join(work, "out"), { recursive: true, force: true });
      await rm(path.join(work, "cache"), { recursive: true, force: true });
      result = await build();
    }
    if (result.exitCode !== 0) {
      throw new VariantBuildError(
        `variant ${variant.name}: forge build failed in ${work}:\n${String(result.all).trim().split("\n").slice(-20).join("\n")}`,
      );
    }
    await writeFile(path.join(work, ".built"), `${new Date().toISOString()}\n`);
    // The final name only ever appears complete (renamed with .built inside). If another process got there
    // first (two test files building the same variant), keep theirs.
    try {
      await rename(work, root);
    } catch (error) {
      if (!existsSync(path.join(root, ".built"))) throw error;
      await rm(work, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  return root;
}

async function seedBuild(source: string, work: string): Promise<boolean> {
  try {
    await cp(path.join(source, "out"), path.join(work, "out"), { recursive: true });
    await cp(path.join(source, "cache"), path.join(work, "cache"), { recursive: true });
    return true;
  } catch {
    return false;
  }
}

async function hashTree(file: string, relative: string, hash: ReturnType<typeof createHash>): Promise<void> {
  if ((await stat(file)).isDirectory()) {
    for (const entry of (await readdir(file)).sort()) {
      await hashTree(path.join(file, entry), `${relative}/${entry}`, hash);
    }
    return;
  }
  hash.update(`\0${relative}\0`).update(await readFile(file));
}
