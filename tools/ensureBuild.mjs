// Builds only when something changed: the CLIs (fuzz, repro, keeper, bench) call this after parsing their
// arguments, so `--help` and usage errors never wait for a compile, and a run on an unchanged tree starts at
// once. `forge build` runs when a Solidity source or the Foundry configuration is newer than the last build
// this module saw succeed; the typed ABIs are regenerated when any artifact is newer than them.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { foundryBinary, repoRoot } from "./foundryBinary.mjs";

/** Folders forge compiles (foundry.toml's src, test and script) and the files that change what it builds. */
const sourceDirs = ["src", "test", "script"];
const configFiles = ["foundry.toml", "remappings.txt", "tools/solc.mjs"];
/** Written after a build succeeded; its mtime is the build's time (forge leaves its own cache untouched on a no-op). */
const stampFile = path.join("cache", "ensure-build.stamp");
const bindingsFile = path.join("src-ts", "generated", "abis.ts");

export class BuildError extends Error {
  name = "BuildError";
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestSource(root) {
  let newest = 0;
  for (const dir of sourceDirs) {
    const full = path.join(root, dir);
    if (!existsSync(full)) continue;
    for (const entry of readdirSync(full, { withFileTypes: true, recursive: true })) {
      if (entry.isFile() && entry.name.endsWith(".sol")) {
        newest = Math.max(newest, mtime(path.join(entry.parentPath, entry.name)) ?? 0);
      }
    }
  }
  for (const file of configFiles) newest = Math.max(newest, mtime(path.join(root, file)) ?? 0);
  return newest;
}

function newestArtifact(outDir) {
  let newest = 0;
  if (!existsSync(outDir)) return newest;
  for (const folder of readdirSync(outDir)) {
    if (!folder.endsWith(".sol")) continue;
    for (const file of readdirSync(path.join(outDir, folder))) {
      newest = Math.max(newest, mtime(path.join(outDir, folder, file)) ?? 0);
    }
  }
  return newest;
}

/**
 * Whether `forge build` must run in `root`: no build yet, or a source or configuration file newer than the
 * last successful build.
 * @param {string} [root]
 */
export function buildIsStale(root = repoRoot) {
  const built = mtime(path.join(root, stampFile));
  if (built === undefined || !existsSync(path.join(root, "out"))) return true;
  return newestSource(root) > built;
}

/** Whether the typed ABIs are missing or older than the newest artifact in out/. */
export function bindingsAreStale(root = repoRoot) {
  const generated = mtime(path.join(root, bindingsFile));
  return generated === undefined || generated < newestArtifact(path.join(root, "out"));
}

function run(command, args, root, what) {
  // Its output goes to stderr: stdout belongs to the calling tool (e.g. `fuzz --json`).
  const result = spawnSync(command, args, { cwd: root, stdio: ["ignore", 2, 2] });
  if (result.error) throw new BuildError(`${what} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new BuildError(`${what} failed (exit ${result.status ?? result.signal})`);
}

/**
 * Runs `forge build` and regenerates the typed ABIs only when needed.
 * @param {{ root?: string, bindings?: boolean, log?: (line: string) => void }} [options]
 *   root: the Foundry project (default this repository); bindings: also keep src-ts/generated/abis.ts
 *   current (default: only for this repository); log: where progress lines go (default stderr).
 * @returns {{ built: boolean, bindings: boolean }} what was done
 */
export function ensureBuild(options = {}) {
  const root = options.root ?? repoRoot;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const done = { built: false, bindings: false };
  if (buildIsStale(root)) {
    log(`build: Solidity sources changed since the last build; running forge build in ${root}`);
    const started = Date.now();
    // Taken before compiling, so a source edited during the build is seen as newer next time.
    const startedAt = new Date();
    run(foundryBinary("forge"), ["build"], root, "forge build");
    mkdirSync(path.join(root, "cache"), { recursive: true });
    writeFileSync(path.join(root, stampFile), "");
    utimesSync(path.join(root, stampFile), startedAt, startedAt);
    log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    done.built = true;
  }
  if ((options.bindings ?? root === repoRoot) && bindingsAreStale(root)) {
    log("build: artifacts are newer than src-ts/generated/abis.ts; regenerating the typed ABIs (wagmi)");
    regenerateBindings(root);
    done.bindings = true;
  }
  return done;
}

/** Regenerates src-ts/generated/abis.ts from out/ (`npm run bindings`). */
export function regenerateBindings(root = repoRoot) {
  run(
    path.join(repoRoot, "node_modules", ".bin", "wagmi"),
    ["generate"],
    root,
    "wagmi generate (npm run bindings)",
  );
  // wagmi rewrites the file even when nothing changed; its mtime is what says it is current.
  const now = new Date();
  utimesSync(path.join(root, bindingsFile), now, now);
}

// As a script (the npm pre-hooks of the tools that do not parse arguments first): build if needed.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    ensureBuild();
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
