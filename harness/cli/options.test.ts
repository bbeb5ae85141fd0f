import { describe, expect, it } from "vitest";
import { parseDuration, parseFuzzArgs, parseReproArgs, UsageError, workerSeed } from "./options.js";

const env = {};
const fuzz = (argv: string[], e: Record<string, string> = env) => parseFuzzArgs(argv, e, () => 0.5);

describe("parseFuzzArgs", () => {
  it("has defaults, a random seed it reports as random, and flags over FUZZ_* variables", () => {
    expect(fuzz([])).toMatchObject({
      scenario: "mixed",
      runs: 100,
      seed: 2 ** 30,
      randomSeed: true,
      maxCommands: 30,
    });
    expect(
      fuzz([], { FUZZ_RUNS: "7", FUZZ_SEED: "42", FUZZ_PATH: "3:1", FUZZ_REPLAY_PATH: "AB:C" }),
    ).toMatchObject({
      runs: 7,
      seed: 42,
      randomSeed: false,
      path: "3:1",
      replayPath: "AB:C",
    });
    expect(fuzz(["--runs", "9", "--seed=-5"], { FUZZ_RUNS: "7", FUZZ_SEED: "42" })).toMatchObject({
      runs: 9,
      seed: -5,
    });
    expect(fuzz(["--scenario", "cascade", "--max-commands", "12"])).toMatchObject({
      scenario: "cascade",
      maxCommands: 12,
    });
  });

  it("takes --workers and --json, refuses workers for a one-case replay", () => {
    expect(fuzz([])).toMatchObject({ workers: 1, json: false });
    expect(fuzz(["--workers", "3", "--json"])).toMatchObject({ workers: 3, json: true });
    expect(() => fuzz(["--workers", "0"])).toThrow(/--workers must be a whole number from 1 to 64, got "0"/);
    expect(() => fuzz(["--seed", "1", "--path", "2:0", "--workers", "2"])).toThrow(
      /--path replays one case on one node: drop --workers/,
    );
  });

  it("derives worker seeds: the given one first, then distinct, repeatable, non-negative 31-bit seeds", () => {
    for (const seed of [0, 42, -5, 2 ** 31 - 1]) {
      const seeds = Array.from({ length: 16 }, (_, i) => workerSeed(seed, i));
      expect(seeds[0]).toBe(seed);
      expect(new Set(seeds).size).toBe(16);
      for (const s of seeds.slice(1)) expect(s >= 0 && s < 2 ** 31 && Number.isInteger(s)).toBe(true);
      expect(Array.from({ length: 16 }, (_, i) => workerSeed(seed, i))).toEqual(seeds);
    }
  });

  it("runs without limit under --time alone, bounded when --runs is given too", () => {
    expect(fuzz(["--time", "10m"])).toMatchObject({ timeBudgetMs: 600_000, runs: 2 ** 31 - 1 });
    expect(fuzz(["--time", "90s", "--runs", "5"])).toMatchObject({ timeBudgetMs: 90_000, runs: 5 });
    expect(fuzz(["--time", "1h"], { FUZZ_RUNS: "5" })).toMatchObject({ runs: 2 ** 31 - 1 });
  });

  it.each([
    [["--rusn", "3"], /Unknown option '--rusn'/],
    [["--runs"], /--runs.*argument missing/],
    [["--runs", "0"], /--runs must be a whole number from 1/],
    [["--runs", "1e3"], /--runs must be a whole number/],
    [["--seed", "abc"], /--seed must be a 32-bit integer/],
    [["--seed", "-5"], /use '--seed=-XYZ'/],
    [["--seed", "4294967296"], /--seed must be a 32-bit integer/],
    [["--scenario", "moon"], /--scenario must be one of oracle, cascade, mixed/],
    [["--time", "10 minutes"], /--time must be a duration like 90s/],
    [["--time", "0s"], /longer than zero/],
    [["--path", "a:b", "--seed", "1"], /--path must look like 12:0:3/],
    [["--path", "1:2"], /--path needs the --seed/],
    [["extra"], /Unexpected argument 'extra'/],
  ])("refuses %j with a clear message", (argv, message) => {
    expect(() => fuzz(argv)).toThrow(UsageError);
    expect(() => fuzz(argv)).toThrow(message);
  });

  it("parses durations", () => {
    expect(parseDuration("--time", "1500ms")).toBe(1500);
    expect(parseDuration("--time", "2.5m")).toBe(150_000);
    expect(parseDuration("--time", "30")).toBe(30_000);
  });
});

describe("parseReproArgs", () => {
  it("takes exactly one artifact", () => {
    expect(parseReproArgs(["a.json"])).toMatchObject({ artifact: "a.json", root: undefined });
    expect(() => parseReproArgs([])).toThrow(/give the artifact file/);
    expect(() => parseReproArgs(["a.json", "b.json"])).toThrow(/one artifact file, got 2/);
    expect(() => parseReproArgs(["a.json", "--seed", "1"])).toThrow(/Unknown option '--seed'/);
  });
});

describe("fuzz options: coverage and steering", () => {
  const parse = (argv: string[], env: Record<string, string> = {}) => {
    const o = parseFuzzArgs(argv, env, () => 0.5);
    if (o.help) throw new Error("unexpected help");
    return o;
  };
  it("steers by default and writes coverage beside the campaign, named after scenario and seed", () => {
    expect(parse(["--seed", "9", "--scenario", "lp"])).toMatchObject({
      steer: true,
      coverageFile: ".fuzz/coverage/lp-seed9.json",
    });
    expect(parse(["--coverage", "x.json"]).coverageFile).toBe("x.json");
  });
  it("--no-steer, --steer weights, FUZZ_STEER (empty: unsteered); contradictions and bad weights refused", () => {
    expect(parse(["--no-steer"]).steer).toBe(false);
    expect(parse(["--steer", "open:8,close:2"]).steer).toEqual({ open: 8, close: 2 });
    expect(parse([], { FUZZ_STEER: "open:3" }).steer).toEqual({ open: 3 });
    expect(parse([], { FUZZ_STEER: "" }).steer).toBe(false);
    expect(() => parse(["--no-steer", "--steer", "open:1"])).toThrow(/contradict/);
    expect(() => parse(["--steer", "open=1"])).toThrow(/--steer: bad weight "open=1"/);
  });
});
