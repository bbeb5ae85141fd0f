#!/usr/bin/env node
// Populates lib/ the way Foundry expects it, from packages npm installed (forge install needs GitHub,
// which this project never reaches). Each entry is a symlink into node_modules; nothing is copied.
import { existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const links = {
  "forge-std": "node_modules/forge-std/lib/forge-std",
  "openzeppelin-contracts": "node_modules/@openzeppelin/contracts",
  "openzeppelin-contracts-upgradeable": "node_modules/@openzeppelin/contracts-upgradeable",
  solady: "node_modules/solady",
  "safe-smart-account": "node_modules/@safe-global/safe-smart-account",
};

mkdirSync(path.join(root, "lib"), { recursive: true });
let failed = false;
for (const [name, target] of Object.entries(links)) {
  const abs = path.join(root, target);
  const link = path.join(root, "lib", name);
  if (!existsSync(abs)) {
    console.error(`setup-lib: ${target} is missing; run npm ci first`);
    failed = true;
    continue;
  }
  const rel = path.relative(path.dirname(link), abs);
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === rel) continue;
    rmSync(link, { recursive: true, force: true });
  } catch {}
  symlinkSync(rel, link, "dir");
}
if (failed) process.exit(1);
console.log(`setup-lib: lib/ linked to ${Object.keys(links).length} packages from node_modules`);
