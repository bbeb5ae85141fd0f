import {
  type Abi,
  type AbiParameter,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type DecodeFunctionResultReturnType,
  decodeFunctionResult,
  getAbiItem,
  getAddress,
  type Hex,
} from "viem";

/**
 * Reads one value whose head is at word `base` of the return data; `start` is the word where the enclosing
 * tuple begins (dynamic offsets count from there).
 */
type Reader = (hex: string, base: number, start: number) => unknown;

export type CreateResultDecoderParameters<abi extends Abi, functionName extends string> = {
  abi: abi;
  functionName: functionName;
};

export type ResultDecoder<result> = (data: Hex) => result;

/**
 * A decoder for one function's return data, compiled once from the ABI: a fixed sequence of word reads for
 * static tuples, booleans, addresses and integers, and for dynamic arrays of those (the Lens snapshot's
 * shape). It returns exactly what viem's decodeFunctionResult returns (same names, bigint vs number by the
 * same rule, checksummed addresses) in a fraction of the time: the Lens read is decoded on every step, and
 * through viem that was half of the harness's own CPU per step. Output types it does not handle (bytes,
 * strings, nested dynamic arrays) fall back to viem.
 */
export function createResultDecoder<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, "pure" | "view">,
  const args extends ContractFunctionArgs<abi, "pure" | "view", functionName> = ContractFunctionArgs<
    abi,
    "pure" | "view",
    functionName
  >,
>(
  parameters: CreateResultDecoderParameters<abi, functionName>,
): ResultDecoder<DecodeFunctionResultReturnType<abi, functionName, args>> {
  const item = getAbiItem({ abi: parameters.abi as Abi, name: parameters.functionName as string });
  if (item?.type !== "function") throw new Error(`no function ${parameters.functionName} in the ABI`);
  const outputs = item.outputs;
  const viem = (data: Hex) =>
    decodeFunctionResult({
      abi: parameters.abi as Abi,
      functionName: parameters.functionName as string,
      data,
    });
  let readers: { reader: Reader; words: number }[];
  try {
    readers = outputs.map((o) => compile(o));
  } catch {
    return viem as never;
  }
  return ((data: Hex) => {
    const hex = data.startsWith("0x") ? data.slice(2) : data;
    const values: unknown[] = [];
    let offset = 0;
    for (const { reader, words } of readers) {
      values.push(reader(hex, offset, 0));
      offset += words;
    }
    return outputs.length === 1 ? values[0] : values;
  }) as never;
}

class Unsupported extends Error {}

/** Compiles a reader for one parameter at the head of its enclosing tuple; `words` is its head size. */
function compile(parameter: AbiParameter): { reader: Reader; words: number } {
  const { type } = parameter;
  const array = /^(.*)\[\]$/.exec(type);
  if (array) {
    // A dynamic array of a static element: the head holds an offset to [length, elements...].
    const element = compile({ ...parameter, type: array[1] as string } as AbiParameter);
    if (isDynamic({ ...parameter, type: array[1] as string } as AbiParameter)) throw new Unsupported();
    return {
      words: 1,
      reader: (hex, base, start) => {
        const at = start + Number(word(hex, base)) / 32;
        const length = Number(word(hex, at));
        const out = new Array(length);
        for (let i = 0; i < length; i++) out[i] = element.reader(hex, at + 1 + i * element.words, at + 1);
        return out;
      },
    };
  }
  if (type === "tuple") {
    const components = (parameter as { components: readonly AbiParameter[] }).components;
    if (components.some(isDynamic)) throw new Unsupported();
    const fields = components.map((c) => ({ name: c.name, ...compile(c) }));
    const named = fields.every((f) => f.name);
    const words = fields.reduce((sum, f) => sum + f.words, 0);
    return {
      words,
      reader: (hex, base) => {
        const out: Record<string, unknown> | unknown[] = named ? {} : [];
        let offset = base;
        for (const f of fields) {
          const value = f.reader(hex, offset, base);
          if (named) (out as Record<string, unknown>)[f.name as string] = value;
          else (out as unknown[]).push(value);
          offset += f.words;
        }
        return out;
      },
    };
  }
  if (type === "address")
    return { words: 1, reader: (hex, base) => checksum(hex.slice(base * 64 + 24, base * 64 + 64)) };
  if (type === "bool") return { words: 1, reader: (hex, base) => hex.charCodeAt(base * 64 + 63) === 49 };
  const integer = /^(u?)int(\d*)$/.exec(type);
  if (integer) {
    const signed = integer[1] === "";
    const bits = Number(integer[2] || 256);
    // viem: integers of at most 48 bits decode to numbers, wider ones to bigints.
    const small = bits <= 48;
    return {
      words: 1,
      reader: (hex, base) => {
        let value = word(hex, base);
        if (signed && value >= 1n << 255n) value -= 1n << 256n;
        return small ? Number(value) : value;
      },
    };
  }
  const fixedBytes = /^bytes(\d+)$/.exec(type);
  if (fixedBytes) {
    const size = Number(fixedBytes[1]);
    return { words: 1, reader: (hex, base) => `0x${hex.slice(base * 64, base * 64 + size * 2)}` };
  }
  throw new Unsupported();
}

function isDynamic(parameter: AbiParameter): boolean {
  if (parameter.type === "bytes" || parameter.type === "string" || parameter.type.endsWith("[]")) return true;
  if (parameter.type === "tuple")
    return (parameter as { components: readonly AbiParameter[] }).components.some(isDynamic);
  return false;
}

function word(hex: string, index: number): bigint {
  return BigInt(`0x${hex.slice(index * 64, index * 64 + 64)}`);
}

// The Lens returns the same few addresses on every step; checksumming (a keccak each) is worth caching.
const checksums = new Map<string, string>();
function checksum(lower: string): string {
  let value = checksums.get(lower);
  if (value === undefined) {
    value = getAddress(`0x${lower}`);
    if (checksums.size > 10_000) checksums.clear();
    checksums.set(lower, value);
  }
  return value;
}
