import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { defaultOutDir } from "./artifacts.js";
import { repoRoot } from "./foundryBinary.js";

const bindingsFile = path.join(repoRoot, "harness/generated/abis.ts");

/**
 * Regenerates the typed ABIs (`npm run bindings`) when they are missing or older than the Foundry
 * build, so tests never type-check or run against the ABI of an earlier build. Runs after
 * requireBuild.globalSetup.ts.
 */
export default async function freshBindings(): Promise<void> {
  const generatedAt = mtime(bindingsFile);
  if (generatedAt !== undefined && generatedAt >= newestArtifact(defaultOutDir)) return;
  const result = await execa("wagmi", ["generate"], {
    cwd: repoRoot,
    preferLocal: true,
    reject: false,
    all: true,
  });
  if (result.exitCode !== 0) {
    throw new Error(`Generating typed bindings failed (npm run bindings):\n${result.all}`);
  }
}

function mtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestArtifact(outDir: string): number {
  let newest = 0;
  for (const folder of readdirSync(outDir)) {
    if (!folder.endsWith(".sol")) continue;
    for (const file of readdirSync(path.join(outDir, folder))) {
      newest = Math.max(newest, mtime(path.join(outDir, folder, file)) ?? 0);
    }
  }
  return newest;
}
