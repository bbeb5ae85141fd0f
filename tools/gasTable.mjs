#!/usr/bin/env node
// Prints the committed gas snapshots (snapshots/*.json, the only home of the figures) as Markdown tables:
// `npm run gas:table`. Entry points one row each; guard overhead side by side, cold and warm.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** A snapshot file as name → gas, with a clear error for a missing or malformed file. */
export function readSnapshot(name, dir = root) {
  const path = `${dir}/snapshots/${name}.json`;
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`gas snapshot ${path}: ${e.message} (run npm run gas:update)`);
  }
  const out = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!/^\d+$/.test(String(value)))
      throw new Error(`gas snapshot ${path}: "${key}" is not a gas figure: ${value}`);
    out[key] = Number(value);
  }
  return out;
}

const fmt = (n) => (n === undefined ? "-" : n.toLocaleString("en-US"));

export function entryPointTable(market, pool) {
  const rows = [...Object.entries(market), ...Object.entries(pool).map(([k, v]) => [`pool.${k}`, v])];
  return ["| entry point | gas |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${fmt(v)} |`)].join("\n");
}

export function overheadTable(cold, warm) {
  const actions = [
    ...new Set(Object.keys(cold).map((k) => k.replace(/: (guarded|unguarded|overhead)$/, ""))),
  ];
  const cells = (s, a) => [
    fmt(s[`${a}: guarded`]),
    fmt(s[`${a}: unguarded`]),
    `**${fmt(s[`${a}: overhead`])}**`,
  ];
  return [
    "| action | cold: guarded | unguarded | **overhead** | warm: guarded | unguarded | **overhead** |",
    "|---|---|---|---|---|---|---|",
    ...actions.map((a) => `| ${a} | ${[...cells(cold, a), ...cells(warm, a)].join(" | ")} |`),
  ].join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    console.log("## Entry points\n");
    console.log(entryPointTable(readSnapshot("market"), readSnapshot("pool")));
    console.log("\n## Guard overhead\n");
    console.log(overheadTable(readSnapshot("guard-overhead-cold"), readSnapshot("guard-overhead-warm")));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
