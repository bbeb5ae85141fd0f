import { encodeErrorResult } from "viem";
import { describe, expect, it } from "vitest";
import { marketAbi } from "../generated/abis.js";
import { decodeRevert, formatRevert } from "./errors.js";
import { timelockAbi } from "./governanceAbis.js";

describe("decodeRevert / formatRevert", () => {
  it("names the market's errors with enum arguments by name", () => {
    const data = encodeErrorResult({ abi: marketAbi, errorName: "MarketNotAllowed", args: [4, 3] });
    const decoded = decodeRevert(data);
    expect(decoded).toEqual({ error: "MarketNotAllowed", args: [4, 3] });
    expect(formatRevert(decoded)).toBe("MarketNotAllowed(Liquidate, Halted)");
  });

  it("knows the timelock's errors and solady's assembly errors", () => {
    const late = encodeErrorResult({
      abi: timelockAbi,
      errorName: "TimelockInsufficientDelay",
      args: [1n, 2n],
    });
    expect(formatRevert(decodeRevert(late))).toBe("TimelockInsufficientDelay(1, 2)");
    expect(decodeRevert("0xbac65e5b").error).toBe("MulWadFailed");
  });

  it("says so for an empty revert and for a selector no ABI declares", () => {
    expect(decodeRevert("0x")).toEqual({ error: "EmptyRevert", args: [] });
    expect(decodeRevert(undefined).error).toBe("EmptyRevert");
    expect(decodeRevert("0x12345678").error).toBe("Unknown(0x12345678)");
  });
});
