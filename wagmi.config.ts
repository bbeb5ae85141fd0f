import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "@wagmi/cli";
import { foundry } from "@wagmi/cli/plugins";

// Typed ABIs, generated from Foundry's out/ (never hand-written) into src-ts/generated/, which the keeper (a product)
// and the harness both may import. Run after `forge build`: `npm run bindings`. We do not let the plugin run forge: the build is the build step's job, and a second
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

// The protocol's enums and halt-flag bits, generated from their one home in Solidity so that the harness never
// keeps a hand copy: enum members number from 0 in declaration order, as the ABI encodes them.
const enumFiles = ["src/interfaces/IMarket.sol", "src/interfaces/IOracleGuard.sol"];
const haltFlagsFile = "src/libraries/HaltFlags.sol";

function solidityEnums(text: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [, name, body] of text.matchAll(/\benum\s+(\w+)\s*\{([^}]*)\}/g)) {
    const members = (body ?? "")
      .split("\n")
      .map((line) => line.replace(/\/\/.*$/, ""))
      .join(" ")
      .split(",")
      .map((member) => member.trim())
      .filter((member) => member.length > 0);
    out[name as string] = Object.fromEntries(members.map((member, i) => [member, i]));
  }
  return out;
}

function solidityConstants() {
  return {
    name: "Solidity constants",
    async run() {
      const enums = Object.assign({}, ...enumFiles.map((file) => solidityEnums(readFileSync(file, "utf8"))));
      const flags = Object.fromEntries(
        [...readFileSync(haltFlagsFile, "utf8").matchAll(/uint8 internal constant (\w+) = (\d+);/g)].map(
          ([, name, value]) => [name, Number(value)],
        ),
      );
      if (Object.keys(flags).length === 0)
        throw new Error(`bindings: no halt flags found in ${haltFlagsFile}`);
      return {
        content: [
          `/** Enums of ${enumFiles.join(", ")}, by declaration order. */`,
          `export const solidityEnums = ${JSON.stringify(enums)} as const;`,
          `/** ${haltFlagsFile}: the bits of IMarket.haltFlags(). */`,
          `export const haltFlags = ${JSON.stringify(flags)} as const;`,
        ].join("\n"),
      };
    },
  };
}

export default defineConfig({
  out: "src-ts/generated/abis.ts",
  plugins: [
    foundry({
      project: ".",
      artifacts: "out",
      forge: { build: false, rebuild: false },
      include: sources.map((file) => `${path.basename(file)}/*.json`),
      exclude: ["build-info/**"],
    }),
    solidityConstants(),
  ],
});
