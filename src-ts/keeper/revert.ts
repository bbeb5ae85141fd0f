import { type Abi, BaseError, ContractFunctionRevertedError, type Hex } from "viem";
import { marketAbi, oracleGuardAbi } from "../generated/abis.js";
import { decodeRevert, formatRevert } from "../protocol/errors.js";

/** The market's ABI plus the oracle guard's errors, which can bubble out of a market call. */
export const keeperAbi = [
  ...marketAbi,
  ...oracleGuardAbi.filter((item) => item.type === "error"),
] as const satisfies Abi;

export const modeNames = ["Normal", "Cautious", "ReduceOnly", "Halted", "Settlement"] as const;

export type DecodedRevert = {
  /** The custom error's name, or undefined when the revert carried no data the system's ABIs know. */
  name: string | undefined;
  /** Readable, e.g. `MarketOracleNotValid(TooVolatile)` or `execution reverted (0x1234abcd)`. */
  text: string;
  raw: Hex | undefined;
};

export type RevertOfReturnType = DecodedRevert | undefined;

/**
 * The revert inside a viem error (simulateContract, estimateGas), named by the protocol's one decoder;
 * undefined if the error was not a revert.
 */
export function revertOf(error: unknown): RevertOfReturnType {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  const raw = reverted.raw;
  const decoded = raw && raw !== "0x" ? decodeRevert(raw) : undefined;
  if (!decoded || decoded.error.startsWith("Unknown(")) {
    const what = reverted.signature ?? raw ?? reverted.reason ?? "no data";
    return { name: undefined, text: `execution reverted (${what})`, raw };
  }
  return { name: decoded.error, text: formatRevert(decoded), raw };
}
