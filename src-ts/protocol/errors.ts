/**
 * The one home of revert decoding: names revert data against every error the deployed system can raise
 * (the market, pool, guard, mocks, the timelock, and the errors solady raises in assembly), and formats a
 * decoded error for people, with enum arguments by name.
 */
import { type Abi, decodeAbiParameters, type Hex, parseAbi, toFunctionSelector } from "viem";
import { formatAbiItem } from "viem/utils";
import {
  liquidityPoolAbi,
  marketAbi,
  mockAggregatorAbi,
  mockErc20Abi,
  oracleGuardAbi,
  solidityEnums,
} from "../generated/abis.js";
import { timelockAbi } from "./governanceAbis.js";

// Errors raised in assembly (solady's SafeTransferLib and FixedPointMathLib) never appear in a contract's ABI.
const assemblyErrors = parseAbi([
  "error TransferFromFailed()",
  "error TransferFailed()",
  "error MulWadFailed()",
  "error DivWadFailed()",
  "error MulDivFailed()",
  "error LnWadUndefined()",
]);

/** Every error the system can revert with, each once. */
export const systemErrorsAbi: Abi = dedupe([
  ...marketAbi,
  ...liquidityPoolAbi,
  ...oracleGuardAbi,
  ...mockErc20Abi,
  ...mockAggregatorAbi,
  ...timelockAbi,
  ...assemblyErrors,
]);

type AbiError = Extract<Abi[number], { type: "error" }>;

// Error(string) (require messages, the Safe's GS codes) and Panic(uint256), which no ABI lists either.
const builtinErrors = parseAbi(["error Error(string message)", "error Panic(uint256 code)"]);

// Hashed once: looking an error up by hashing every signature per revert cost a sixth of the engine's CPU.
const errorsBySelector = new Map<Hex, AbiError>(
  [...systemErrorsAbi, ...builtinErrors]
    .filter((item): item is AbiError => item.type === "error")
    .map((item) => [toFunctionSelector(formatAbiItem(item)), item]),
);

export type DecodedError = { error: string; args: readonly unknown[] };

/**
 * Names revert data: a custom error of the system, Error(string) (the Safe's GS codes), or Panic;
 * "EmptyRevert" for a revert without data, "Unknown(0x12345678)" for a selector no ABI declares.
 */
export function decodeRevert(data: Hex | undefined): DecodedError {
  if (!data || data === "0x") return { error: "EmptyRevert", args: [] };
  const item = errorsBySelector.get(data.slice(0, 10).toLowerCase() as Hex);
  try {
    if (item) return { error: item.name, args: decodeAbiParameters(item.inputs, `0x${data.slice(10)}`) };
  } catch {
    // Data too short for the error's arguments: unknown, as below.
  }
  return { error: `Unknown(${data.slice(0, 10)})`, args: [data] };
}

const enumNames = (e: Record<string, number>): readonly string[] =>
  Object.entries(e)
    .sort(([, a], [, b]) => a - b)
    .map(([name]) => name);

// Enum arguments read better by name: `MarketNotAllowed(Liquidate, Halted)` rather than `(4, 3)`.
const modes = enumNames(solidityEnums.Mode);
const oracleClasses = enumNames(solidityEnums.OracleClass);
const actions = enumNames(solidityEnums.Action);
const enumArgs: Record<string, readonly (readonly string[])[]> = {
  MarketOracleNotValid: [oracleClasses],
  MarketBreakerTripped: [oracleClasses],
  OracleGuardInitialReadingInvalid: [oracleClasses],
  MarketNotAllowed: [actions, modes],
  MarketNotTighter: [modes, modes],
};

/** `MarketOracleNotValid(TooVolatile)`: a decoded error as people read it. */
export function formatRevert({ error, args }: DecodedError): string {
  const text = args.map((value, i) => {
    const names = enumArgs[error]?.[i];
    if (names && typeof value === "number") return names[value] ?? String(value);
    return typeof value === "bigint" ? value.toString() : String(value);
  });
  return `${error}(${text.join(", ")})`;
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
