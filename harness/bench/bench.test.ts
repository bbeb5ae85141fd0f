import { describe, expect, it } from "vitest";
import { runBench } from "./runBench.js";
import { formatBenchTable } from "./table.js";

describe("bench", () => {
  it("times the fast modes end to end on a real node and tabulates them", async () => {
    const report = await runBench({ actions: 20, runLength: 10, modes: ["fast", "block-10"], forge: false });
    expect(report.rows.map((r) => [r.id, r.actions, r.error])).toEqual([
      ["fast", 20, undefined],
      ["block-10", 20, undefined],
    ]);
    for (const row of report.rows) expect(row.actionsPerSecond).toBeGreaterThan(0);
    const table = formatBenchTable(report);
    expect(table).toMatch(/^mode\s+actions\s+seconds\s+actions\/s\s+× forge/);
    expect(table).toContain("runs of 10 from the baseline");
  }, 60_000);

  it("refuses an unknown mode before starting anything", async () => {
    await expect(runBench({ actions: 1, modes: ["warp-drive"], forge: false })).rejects.toThrow(
      /unknown mode warp-drive/,
    );
  });
});
