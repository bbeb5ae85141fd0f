import { encodeFunctionData as viemEncodeFunctionData } from "viem";
import { describe, expect, it } from "vitest";
import { lensAbi, marketAbi } from "../../src-ts/generated/abis.js";
import { encodeFunctionData } from "./encodeCall.js";

describe("encodeFunctionData (selectors hashed once)", () => {
  const cases = [
    { abi: marketAbi, functionName: "deposit", args: [123n] },
    { abi: marketAbi, functionName: "settlementPaid" },
    { abi: marketAbi, functionName: "accountOf", args: ["0x00000000000000000000000000000000000000aa"] },
    {
      abi: lensAbi,
      functionName: "snapshot",
      args: ["0x00000000000000000000000000000000000000bb", ["0x00000000000000000000000000000000000000cc"]],
    },
  ] as const;

  it("encodes exactly as viem does, the first time and from the cache", () => {
    for (const c of cases) {
      const expected = viemEncodeFunctionData(c as never);
      expect(encodeFunctionData(c as never)).toBe(expected);
      expect(encodeFunctionData(c as never)).toBe(expected);
    }
  });

  it("refuses an unknown function as viem does", () => {
    expect(() => encodeFunctionData({ abi: marketAbi, functionName: "nope" } as never)).toThrow(/nope/);
  });
});
