import { readdirSync } from "node:fs";
import path from "node:path";
import { defaultOutDir } from "./artifacts.js";

/**
 * Fails the whole vitest run up front, with the fix, when there is no Foundry build: otherwise every
 * suite that deploys would fail on its own with a less obvious error.
 */
export default function requireBuild(): void {
  let compiled: string[] = [];
  try {
    compiled = readdirSync(defaultOutDir).filter((entry) => entry.endsWith(".sol"));
  } catch {
    // Missing directory: reported below.
  }
  if (compiled.length === 0) {
    throw new Error(
      `No Foundry build at ${path.relative(process.cwd(), defaultOutDir) || defaultOutDir}/. ` +
        "Run `npm run build` (forge build) before the TypeScript tests.",
    );
  }
}
