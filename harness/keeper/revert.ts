import { type Abi, BaseError, ContractFunctionRevertedError, type Hex } from "viem";
import { marketAbi, oracleGuardAbi } from "../generated/abis.js";

/** The market's ABI plus the oracle guard's errors, which can bubble out of a market call. */
export const keeperAbi = [
  ...marketAbi,
  ...oracleGuardAbi.filter((item) => item.type === "error"),
] as const satisfies Abi;

export const modeNames = ["Normal", "Cautious", "ReduceOnly", "Halted", "Settlement"] as const;
export const oracleClassNames = [
  "Valid",
  "Stale",
  "NonPositive",
  "AtBounds",
  "Diverged",
  "TooVolatile",
  "SequencerDown",
  "GracePeriod",
] as const;
const actionNames = ["Deposit", "Withdraw", "Increase", "Reduce", "Liquidate", "LpDeposit", "LpWithdraw"];

export type DecodedRevert = {
  /** The custom error's name, or undefined when the revert carried no data the ABI knows. */
  name: string | undefined;
  /** Readable, e.g. `MarketOracleNotValid(TooVolatile)` or `execution reverted (0x1234abcd)`. */
  text: string;
  raw: Hex | undefined;
};

export type DecodeRevertReturnType = DecodedRevert | undefined;

/** Extracts the revert from a viem error (simulateContract, estimateGas); undefined if it was not a revert. */
export function decodeRevert(error: unknown): DecodeRevertReturnType {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  const name = reverted.data?.errorName;
  if (name === undefined) {
    const what = reverted.signature ?? reverted.raw ?? reverted.reason ?? "no data";
    return { name: undefined, text: `execution reverted (${what})`, raw: reverted.raw };
  }
  const args = (reverted.data?.args ?? []) as readonly unknown[];
  return {
    name,
    text: `${name}(${args.map((a, i) => formatArg(name, i, a)).join(", ")})`,
    raw: reverted.raw,
  };
}

// Enum arguments read better by name: `MarketNotAllowed(Liquidate, Halted)` rather than `(4, 3)`.
const enumArgs: Record<string, readonly (readonly string[])[]> = {
  MarketOracleNotValid: [oracleClassNames],
  MarketBreakerTripped: [oracleClassNames],
  OracleGuardInitialReadingInvalid: [oracleClassNames],
  MarketNotAllowed: [actionNames, modeNames],
  MarketNotTighter: [modeNames, modeNames],
};

function formatArg(error: string, index: number, value: unknown): string {
  const names = enumArgs[error]?.[index];
  if (names && typeof value === "number") return names[value] ?? String(value);
  return typeof value === "bigint" ? value.toString() : String(value);
}
