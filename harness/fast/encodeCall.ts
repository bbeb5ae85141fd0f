/**
 * viem's encodeFunctionData with each function's selector hashed once per ABI. viem formats and keccak-hashes
 * the function's signature on every call; on the engine that was a fifth of the harness's CPU per action.
 * Same signature and result as viem's (overloaded names are left to viem, which picks by the arguments).
 */
import { type Abi, prepareEncodeFunctionData, encodeFunctionData as viemEncodeFunctionData } from "viem";

type Prepared = ReturnType<typeof prepareEncodeFunctionData>;

const preparedByAbi = new WeakMap<Abi, Map<string, Prepared | null>>();

function prepared(abi: Abi, functionName: string): Prepared | null {
  let byName = preparedByAbi.get(abi);
  if (!byName) {
    byName = new Map();
    preparedByAbi.set(abi, byName);
  }
  let entry = byName.get(functionName);
  if (entry === undefined) {
    const overloaded =
      abi.filter((item) => item.type === "function" && item.name === functionName).length > 1;
    entry = overloaded ? null : prepareEncodeFunctionData({ abi, functionName } as never);
    byName.set(functionName, entry);
  }
  return entry;
}

export const encodeFunctionData: typeof viemEncodeFunctionData = (parameters) => {
  const { abi, functionName, args } = parameters as { abi: Abi; functionName?: string; args?: unknown };
  const ready =
    typeof functionName === "string" && !functionName.startsWith("0x") && prepared(abi, functionName);
  return ready
    ? viemEncodeFunctionData({ ...ready, args } as never)
    : viemEncodeFunctionData(parameters as never);
};
