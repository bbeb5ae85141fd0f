import { type Abi, decodeErrorResult, type Hex, parseAbi } from "viem";
import {
  liquidityPoolAbi,
  marketAbi,
  mockAggregatorAbi,
  mockErc20Abi,
  oracleGuardAbi,
} from "../../generated/abis.js";
import { timelockAbi } from "./governanceAbis.js";

// Errors raised in assembly (solady SafeTransferLib) never appear in a contract's ABI; declared here.
const assemblyErrors = parseAbi([
  "error TransferFromFailed()",
  "error TransferFailed()",
  "error MulDivFailed()",
  "error LnWadUndefined()",
]);

const errorAbi = dedupe([
  ...marketAbi,
  ...liquidityPoolAbi,
  ...oracleGuardAbi,
  ...mockErc20Abi,
  ...mockAggregatorAbi,
  ...timelockAbi,
  ...assemblyErrors,
]);

export type DecodedError = { error: string; args: readonly unknown[] };

/** Names revert data: a custom error of the system, Error(string) (the Safe's GS codes), or Panic. */
export function decodeRevert(data: Hex | undefined): DecodedError {
  if (!data || data === "0x") return { error: "EmptyRevert", args: [] };
  try {
    const decoded = decodeErrorResult({ abi: errorAbi, data });
    return { error: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return { error: `Unknown(${data.slice(0, 10)})`, args: [data] };
  }
}

function dedupe(items: readonly Abi[number][]): Abi {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (item.type !== "error") return false;
    const key = `${item.name}(${item.inputs.map((i) => i.type).join(",")})`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
