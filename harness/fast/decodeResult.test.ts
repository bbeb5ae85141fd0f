import { decodeFunctionResult, encodeFunctionResult, parseAbi } from "viem";
import { describe, expect, it } from "vitest";
import { createResultDecoder } from "./decodeResult.js";

const abi = parseAbi([
  "struct Inner { int256 signed; uint8 small; bool flag; address who; bytes4 selector; }",
  "struct Row { address account; Inner inner; uint256 big; int48 medium; }",
  "function table() view returns (Inner head, Row[] rows, uint64 tail)",
  "function one() view returns (uint256)",
  "function text() view returns (string)",
]);

const inner = (n: number) => ({
  signed: -(10n ** 30n) * BigInt(n + 1),
  small: 200 + n,
  flag: n % 2 === 0,
  who: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const,
  selector: "0xdeadbeef" as const,
});

describe("createResultDecoder", () => {
  it("decodes static tuples and arrays of them exactly as viem does", () => {
    const result = [
      inner(0),
      [0, 1, 2].map((n) => ({
        account: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" as const,
        inner: inner(n),
        big: 2n ** 255n + BigInt(n),
        medium: -140_737_488_355_328 + n,
      })),
      2n ** 64n - 1n,
    ] as const;
    const data = encodeFunctionResult({ abi, functionName: "table", result });
    const decoded = createResultDecoder({ abi, functionName: "table" })(data);
    expect(decoded).toStrictEqual(decodeFunctionResult({ abi, functionName: "table", data }));
    expect(decoded[1][2]?.inner.signed).toBe(-3n * 10n ** 30n);
  });

  it("returns a lone output unwrapped, and an empty array for no rows", () => {
    const data = encodeFunctionResult({ abi, functionName: "one", result: 7n });
    expect(createResultDecoder({ abi, functionName: "one" })(data)).toBe(7n);
    const empty = encodeFunctionResult({ abi, functionName: "table", result: [inner(1), [], 0n] });
    expect(createResultDecoder({ abi, functionName: "table" })(empty)[1]).toEqual([]);
  });

  it("falls back to viem for dynamic types it does not compile", () => {
    const data = encodeFunctionResult({ abi, functionName: "text", result: "hello" });
    expect(createResultDecoder({ abi, functionName: "text" })(data)).toBe("hello");
  });
});
