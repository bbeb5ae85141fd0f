import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "@wagmi/cli";
import { foundry } from "@wagmi/cli/plugins";

// Typed ABIs for the harness, generated from Foundry's out/ (never hand-written). Run after `forge build`:
// `npm run bindings`. We do not let the plugin run forge: the build is the build step's job, and a second
// compile here would race the other engineers' builds on the same out/.

// Bindings cover the protocol (everything under src/) and the test doubles the harness deploys
// (test/mocks/). Forge names artifact folders by source file name, so select those folders.
const sourceRoots = ["src", "test/mocks"];

function solidityFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".sol") && !/\.(t|s)\.sol$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

const sources = sourceRoots.flatMap(solidityFiles);
const missing = sources.filter((file) => !existsSync(path.join("out", path.basename(file))));
if (missing.length > 0) {
  console.warn(`bindings: no artifacts in out/ for ${missing.join(", ")}; run \`npm run build\` first`);
}

export default defineConfig({
  out: "harness/generated/abis.ts",
  plugins: [
    foundry({
      project: ".",
      artifacts: "out",
      forge: { build: false, rebuild: false },
      include: sources.map((file) => `${path.basename(file)}/*.json`),
      exclude: ["build-info/**"],
    }),
  ],
});
