#!/usr/bin/env node
// Points node_modules/.bin/forge and .bin/anvil at the native binaries instead of the npm wrappers, whose
// exit status is always 0 (foundry-rs/foundry#14781): after install, `npx forge test` and the npm scripts
// fail when forge fails. The gate and the harness do not rely on this link; they call foundryBinary().
import { lstatSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { foundryBinary, foundryTools, repoRoot } from "./foundryBinary.mjs";

const binDir = path.join(repoRoot, "node_modules", ".bin");
for (const tool of foundryTools) {
  const link = path.join(binDir, tool);
  const target = path.relative(binDir, foundryBinary(tool));
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === target) continue;
  } catch {
    // No link yet.
  }
  rmSync(link, { force: true });
  symlinkSync(target, link);
}
console.log(`linkFoundryBins: node_modules/.bin/{${foundryTools.join(",")}} run the native binaries`);
