// Where the native Foundry executables live. The npm packages `@foundry-rs/forge` and `@foundry-rs/anvil`
// install a Node wrapper as `node_modules/.bin/<tool>` that spawns the per-platform binary and, in 1.7.1,
// exits 0 whatever the binary returned (foundry-rs/foundry#14781). Anything that gates on forge's exit
// status must run the binary this module finds, never the wrapper.
import { accessSync, constants, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in tools/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The tools this module resolves. */
export const foundryTools = ["forge", "anvil"];

export class FoundryBinaryNotFoundError extends Error {
  name = "FoundryBinaryNotFoundError";
  constructor(tool, detail) {
    super(`${tool} binary not found (${detail}). Run \`npm ci\` to install @foundry-rs/${tool}.`);
    this.tool = tool;
  }
}

// npm's platform naming for the @foundry-rs/<tool>-<platform>-<arch> packages.
const archNames = { x64: "amd64", arm64: "arm64" };

/**
 * The native executable of a Foundry tool, resolved from the per-platform optional dependency the npm
 * wrapper would spawn (resolved from the wrapper package's own location, exactly as it does).
 * @param {"forge" | "anvil"} tool
 * @param {string} [root] the project whose node_modules to search (default: this repository)
 * @returns {string} absolute path of the binary
 */
export function foundryBinary(tool, root = repoRoot) {
  if (!foundryTools.includes(tool)) throw new TypeError(`not a Foundry tool: ${tool}`);
  let wrapperPackage;
  try {
    wrapperPackage = realpathSync(path.join(root, "node_modules", "@foundry-rs", tool, "package.json"));
  } catch {
    throw new FoundryBinaryNotFoundError(tool, `node_modules/@foundry-rs/${tool} is missing in ${root}`);
  }
  const arch = archNames[process.arch] ?? process.arch;
  const exe = process.platform === "win32" ? `${tool}.exe` : tool;
  const platformPackage = `@foundry-rs/${tool}-${process.platform}-${arch}`;
  let binary;
  try {
    binary = createRequire(wrapperPackage).resolve(`${platformPackage}/bin/${exe}`);
  } catch {
    throw new FoundryBinaryNotFoundError(tool, `${platformPackage} is not installed for this platform`);
  }
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new FoundryBinaryNotFoundError(tool, `${binary} is not executable`);
  }
  return binary;
}
