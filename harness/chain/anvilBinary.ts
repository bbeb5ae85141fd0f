import { accessSync, constants, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root: this file lives in harness/chain/. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export class AnvilBinaryNotFoundError extends Error {
  override name = "AnvilBinaryNotFoundError";
  constructor(detail: string) {
    super(`anvil binary not found (${detail}). Run \`npm install\` to install @foundry-rs/anvil.`);
  }
}

// npm's platform naming for @foundry-rs/<tool>-<platform>-<arch> packages.
const archNames: Partial<Record<NodeJS.Architecture, string>> = { x64: "amd64", arm64: "arm64" };

/**
 * Resolves the native anvil executable behind `node_modules/.bin/anvil`.
 *
 * `.bin/anvil` is a Node wrapper (`@foundry-rs/anvil/bin.mjs`) that spawns the real binary from the
 * per-platform optional dependency. We run that binary directly: one process per node instead of two,
 * and the pid we track is the pid that holds the port, so killing it (even with SIGKILL) cannot orphan a
 * native anvil behind a dead wrapper.
 */
export function resolveAnvilBinary(root: string = repoRoot): string {
  const wrapper = path.join(
    root,
    "node_modules",
    ".bin",
    process.platform === "win32" ? "anvil.cmd" : "anvil",
  );
  let wrapperPath: string;
  try {
    wrapperPath = realpathSync(wrapper);
  } catch {
    throw new AnvilBinaryNotFoundError(`${path.relative(root, wrapper)} is missing`);
  }
  const arch = archNames[process.arch];
  const binaryName = process.platform === "win32" ? "anvil.exe" : "anvil";
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${arch ?? process.arch}`;
  let binary: string;
  try {
    // Resolve from the wrapper's own location, exactly as the wrapper does.
    binary = createRequire(wrapperPath).resolve(`${platformPackage}/bin/${binaryName}`);
  } catch {
    throw new AnvilBinaryNotFoundError(`${platformPackage} is not installed for this platform`);
  }
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new AnvilBinaryNotFoundError(`${binary} is not executable`);
  }
  return binary;
}
