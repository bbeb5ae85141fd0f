import { describe, expect, it } from "vitest";
import { parseDuration, parseKeeperArgs, UsageError } from "./args.js";

const market = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const lens = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const base = ["--rpc", "ws://127.0.0.1:8545", "--market", market, "--lens", lens];

describe("parseKeeperArgs", () => {
  it("reads a full command line", () => {
    const key = `0x${"ab".repeat(32)}`;
    const parsed = parseKeeperArgs([
      ...base,
      "--private-key",
      key,
      "--interval",
      "500ms",
      "--once",
      "--max-liquidations",
      "3",
      "--from-block",
      "7",
      "--json",
    ]);
    expect(parsed).toEqual({
      help: false,
      rpc: "ws://127.0.0.1:8545",
      market,
      lens,
      signer: { kind: "privateKey", key },
      intervalMs: 500,
      once: true,
      dryRun: false,
      maxLiquidationsPerTick: 3,
      fromBlock: 7n,
      json: true,
    });
  });

  it("defaults to a 2 s interval and checksums addresses", () => {
    const parsed = parseKeeperArgs([...base, "--account", market.toLowerCase()]);
    expect(parsed).toMatchObject({
      intervalMs: 2_000,
      once: false,
      signer: { kind: "account", address: market },
    });
  });

  it("needs no signer in a dry run", () => {
    expect(parseKeeperArgs([...base, "--dry-run"])).toMatchObject({ dryRun: true, signer: undefined });
  });

  it.each([
    [[], "--rpc is required"],
    [["--rpc", "localhost:8545", "--market", market, "--lens", lens], "not an http(s):// or ws(s):// URL"],
    [["--rpc", "http://x", "--market", "0x12", "--lens", lens], "--market 0x12 is not an address"],
    [base, "pass --private-key KEY or --account ADDR"],
    [[...base, "--private-key", "0x12"], "--private-key must be 32 bytes"],
    [[...base, "--account", market, "--private-key", `0x${"1".repeat(64)}`], "not both"],
    [[...base, "--dry-run", "--interval", "soon"], "--interval soon is not a duration"],
    [[...base, "--dry-run", "--max-liquidations", "0"], "--max-liquidations must be at least 1"],
    [[...base, "--dry-run", "--from-block", "1.5"], "--from-block 1.5 is not a non-negative integer"],
    [[...base, "--dry-run", "--frobnicate"], "Unknown option '--frobnicate'"],
    [[...base, "--dry-run", "extra"], "Unexpected argument 'extra'"],
  ])("rejects %j", (argv, message) => {
    expect(() => parseKeeperArgs(argv)).toThrow(UsageError);
    expect(() => parseKeeperArgs(argv)).toThrow(message);
  });

  it("answers --help before validating anything", () => {
    expect(parseKeeperArgs(["--help"])).toEqual({ help: true });
  });
});

describe("parseDuration", () => {
  it.each([
    ["2s", 2_000],
    ["1.5s", 1_500],
    ["250ms", 250],
    ["1m", 60_000],
    ["3", 3_000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it("refuses zero", () => {
    expect(() => parseDuration("0s")).toThrow(/too short/);
  });
});
