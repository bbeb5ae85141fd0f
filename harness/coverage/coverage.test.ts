import { describe, expect, it } from "vitest";
import { BehaviourCoverage, type CoverageDimensions } from "./coverage.js";
import { formatCoverage, formatMetrics } from "./format.js";
import { formatWeights, parseWeights, Steering, steeredWeights } from "./steering.js";

const dims: CoverageDimensions = {
  modes: ["Normal", "Halted"],
  actions: ["modify", "withdraw"],
  outcomes: ["ok", "reverted"],
  oracleClasses: ["Valid", "Stale"],
  errors: ["MarketNotAllowed", "MarketPriceLimit"],
  promises: ["a", "b"],
};

function sample(): BehaviourCoverage {
  const c = new BehaviourCoverage(dims);
  c.runs = 1;
  c.recordCall("open");
  c.recordTx({ command: "open", mode: "Normal", action: "modify", outcome: "ok", oracleClass: "Valid" });
  c.recordCall("open");
  c.recordTx({
    command: "open",
    mode: "Halted",
    action: "modify",
    outcome: "reverted",
    oracleClass: "Valid",
    error: "MarketNotAllowed",
  });
  c.recordCall("griefer");
  c.recordTx({
    command: "griefer",
    mode: "Normal",
    action: "modify",
    outcome: "tripped",
    oracleClass: "Stale",
  });
  c.recordTransition("griefer", "Normal", "Halted", "OracleBreaker");
  c.recordPromise("a");
  return c;
}

describe("behaviour coverage", () => {
  it("counts cells per axis against the declared universe, and says what was never seen", () => {
    const s = sample().summary();
    expect(s.modeActionOutcome).toMatchObject({ seen: 2, total: 8, extra: 1 }); // "tripped" is not declared here
    expect(s.modeActionOutcome.unseen).toContain("Halted × withdraw × ok");
    expect(s.oracleAction).toMatchObject({ seen: 2, total: 4, extra: 0 });
    expect(s.errors).toMatchObject({ seen: 1, total: 2, unseen: ["MarketPriceLimit"] });
    expect(s.promises).toMatchObject({ seen: 1, total: 2, unseen: ["b"] });
    expect(s.transitions).toBe(1);
  });

  it("keeps per-command metrics like forge's show_metrics", () => {
    const c = sample();
    expect(c.commands.get("open")).toEqual({
      calls: 2,
      txs: 2,
      ok: 1,
      reverts: { MarketNotAllowed: 1 },
      trips: 0,
      invariantTrips: 0,
    });
    expect(c.commands.get("griefer")).toMatchObject({ calls: 1, txs: 1, ok: 0, trips: 1 });
    const table = formatMetrics(c).join("\n");
    expect(table).toMatch(/^open\s+2\s+2\s+1\s+1\s+0\s+MarketNotAllowed 1$/m);
    expect(formatCoverage(c)[0]).toContain("mode×action×outcome 2/8 (+1 undeclared)");
  });

  it("merges runs (and JSON from other workers) by adding counts; JSON round-trips", () => {
    const merged = sample().merge(sample());
    expect(merged.runs).toBe(2);
    expect(merged.hits("Normal × modify × ok")).toBe(2);
    expect(merged.commands.get("open")?.reverts).toEqual({ MarketNotAllowed: 2 });
    const json = JSON.parse(JSON.stringify(merged.toJSON()));
    expect(BehaviourCoverage.fromJSON(dims, json).toJSON()).toEqual(merged.toJSON());
    expect(json.producedBy.griefer).toEqual([
      "Normal × modify × tripped",
      "Normal → Halted (OracleBreaker)",
      "Stale × modify",
    ]);
  });
});

describe("steering", () => {
  it("boosts a command by the rare cells it reached, capped; commands with only common cells keep their weight", () => {
    const c = sample();
    for (let i = 0; i < 5; i++) {
      c.recordTx({ command: "open", mode: "Normal", action: "modify", outcome: "ok", oracleClass: "Valid" });
    }
    // open: Normal×modify×ok and Valid×modify are common (hit ≥ 3 times), Halted×modify×reverted is rare.
    // griefer: three rare cells (its tripped cell, Stale×modify, the transition).
    expect(steeredWeights({ open: 4, griefer: 2, close: 1 }, c)).toEqual({ open: 8, griefer: 8, close: 1 });
    expect(steeredWeights({ griefer: 2 }, c, { maxBoost: 1 })).toEqual({ griefer: 4 });
  });

  it("changes weights only at epoch ends, and never once frozen or fixed", () => {
    const c = sample();
    const s = new Steering({ open: 1, griefer: 1 }, { epochRuns: 2 });
    s.afterRun(c);
    expect(s.current).toEqual({ open: 1, griefer: 1 });
    s.afterRun(c);
    expect(s.current).toEqual({ open: 4, griefer: 4 });
    s.frozen = true;
    c.recordTx({ command: "open", mode: "Halted", action: "withdraw", outcome: "ok", oracleClass: "Stale" });
    s.afterRun(c);
    s.afterRun(c);
    expect(s.current).toEqual({ open: 4, griefer: 4 });
    const fixed = Steering.fixed({ open: 7 });
    fixed.afterRun(c);
    fixed.afterRun(c);
    expect(fixed.current).toEqual({ open: 7 });
  });

  it("weights travel as name:weight lists, and bad ones are refused clearly", () => {
    expect(parseWeights(formatWeights({ open: 8, close: 2 }))).toEqual({ open: 8, close: 2 });
    expect(() => parseWeights("open:8,close")).toThrow(/bad weight "close"/);
    expect(() => parseWeights("open:-1")).toThrow(/expected name:integer/);
  });
});
