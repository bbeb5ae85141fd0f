import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { entryPointTable, overheadTable, readSnapshot } from "./gasTable.mjs";

describe("gas tables from the committed snapshots", () => {
  it("prints every figure of the real snapshots", () => {
    const market = readSnapshot("market");
    const table = entryPointTable(market, readSnapshot("pool"));
    for (const [name, gas] of Object.entries(market)) {
      expect(table).toContain(`| ${name} | ${(gas as number).toLocaleString("en-US")} |`);
    }
  });

  it("puts cold and warm overhead of an action on one row", () => {
    const cold = { "open: guarded": 10, "open: unguarded": 7, "open: overhead": 3 };
    const warm = { "open: guarded": 5, "open: unguarded": 4, "open: overhead": 1 };
    expect(overheadTable(cold, warm)).toContain("| open | 10 | 7 | **3** | 5 | 4 | **1** |");
  });

  it("names the file and the bad entry of a malformed snapshot", () => {
    const dir = mkdtempSync(join(tmpdir(), "gas-"));
    mkdirSync(join(dir, "snapshots"));
    writeFileSync(join(dir, "snapshots", "market.json"), JSON.stringify({ open: "lots" }));
    expect(() => readSnapshot("market", dir)).toThrow(/market\.json: "open" is not a gas figure/);
    expect(() => readSnapshot("pool", dir)).toThrow(/pool\.json.*npm run gas:update/);
  });
});
