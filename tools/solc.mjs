#!/usr/bin/env node
// A solc-compatible command over solcjs (WebAssembly), so forge compiles offline.
// Forge only needs two things from a compiler binary: `--version` in native solc's format,
// and `--standard-json` on stdin. Everything else is refused with a clear message.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const solc = require("solc");
const args = process.argv.slice(2);

if (args.includes("--version") || args.includes("-v")) {
  // solcjs reports e.g. "0.8.30+commit.73712a01.Emscripten.clang"; forge parses "Version: x.y.z+commit.hash".
  const full = solc.version().replace(/\.Emscripten\.clang$/, "");
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${full}.Linux.g++\n`);
  process.exit(0);
}

if (!args.includes("--standard-json")) {
  process.stderr.write(
    `tools/solc.mjs: only --version and --standard-json are supported (got: ${args.join(" ")})\n`,
  );
  process.exit(2);
}

function optionValues(name) {
  const out = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && args[i + 1]) out.push(args[++i]);
    else if (args[i].startsWith(`${name}=`)) out.push(args[i].slice(name.length + 1));
  }
  return out;
}
const roots = [...optionValues("--base-path"), ...optionValues("--include-path"), process.cwd()];

// Forge inlines sources, so this callback is a fallback for any import it did not inline.
function findImports(importPath) {
  for (const root of roots) {
    try {
      return { contents: readFileSync(path.resolve(root, importPath), "utf8") };
    } catch {}
  }
  return { error: `File not found: ${importPath}` };
}

const input = readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
