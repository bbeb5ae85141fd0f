import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import * as defaults from "./defaults.js";

/** script/Defaults.sol, read as text: the TypeScript copy must not drift from it. */
const source = readFileSync(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../script/Defaults.sol"),
  "utf8",
);

/** A Solidity numeric literal (underscores, `e` exponents, decimals like 0.02e18) as a bigint. */
function literal(text: string): bigint {
  const clean = text.replace(/_/g, "").trim();
  const m = clean.match(/^(\d+)(?:\.(\d+))?(?:e(\d+))?$/);
  if (!m) throw new Error(`not a literal: ${text}`);
  const [, whole = "", fraction = "", exponent = "0"] = m;
  return (BigInt(whole + fraction) * 10n ** BigInt(exponent)) / 10n ** BigInt(fraction.length);
}

function constant(name: string): bigint {
  const m = source.match(new RegExp(`\\b${name}\\s*=\\s*([0-9_.e]+)`));
  if (!m?.[1]) throw new Error(`${name} not found in Defaults.sol`);
  return literal(m[1]);
}

const units: Record<string, bigint> = { minutes: 60n, hours: 3_600n, days: 86_400n };

function structFields(fn: string): Record<string, bigint> {
  const body = source.slice(source.indexOf(`function ${fn}`));
  const block = body.slice(body.indexOf("({") + 2, body.indexOf("})"));
  const out: Record<string, bigint> = {};
  for (const m of block.matchAll(/(\w+):\s*([0-9_.e]+)(?:\s+(minutes|hours|days))?/g)) {
    if (m[1] && m[2]) out[m[1]] = literal(m[2]) * (m[3] ? (units[m[3]] ?? 1n) : 1n);
  }
  return out;
}

describe("defaults.ts mirrors script/Defaults.sol", () => {
  test("constants", () => {
    expect(BigInt(defaults.COLLATERAL_DECIMALS)).toBe(constant("COLLATERAL_DECIMALS"));
    expect(BigInt(defaults.FEED_DECIMALS)).toBe(constant("FEED_DECIMALS"));
    expect(defaults.INITIAL_ANSWER).toBe(constant("INITIAL_ANSWER"));
    expect(defaults.MIN_ANSWER).toBe(constant("MIN_ANSWER"));
    expect(defaults.MAX_ANSWER).toBe(constant("MAX_ANSWER"));
    expect(defaults.INITIAL_VARIANCE).toBe(constant("INITIAL_VARIANCE"));
    expect(defaults.MAX_OUTFLOW).toBe(constant("MAX_OUTFLOW"));
    expect(source).toMatch(/OUTFLOW_WINDOW = 1 days;/);
    expect(defaults.OUTFLOW_WINDOW).toBe(86_400n);
  });

  test("safety parameters (with Solidity's time units)", () => {
    const fields = structFields("safetyParams");
    const asBig = (o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, BigInt(v)]));
    expect(asBig(defaults.defaultSafetyParams())).toEqual(fields);
    expect(defaults.timelockDelay()).toBe((fields.maxHaltDuration ?? 0n) + (fields.settlementWindow ?? 0n));
  });

  test("oracle and risk parameters, field by field", () => {
    const asBig = (o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, BigInt(v)]));
    expect(asBig(defaults.defaultOracleParams())).toEqual(structFields("oracleParams"));
    expect(asBig(defaults.defaultRiskParams())).toEqual(structFields("riskParams"));
  });
});
