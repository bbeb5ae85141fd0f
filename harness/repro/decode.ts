// Names for what a replay's transactions did: calls by function name, the market's own events, enums.
import {
  type Abi,
  type AbiFunction,
  decodeFunctionData,
  type Hex,
  type Log,
  parseEventLogs,
  toFunctionSelector,
} from "viem";
import {
  lensAbi,
  liquidityPoolAbi,
  marketAbi,
  mockAggregatorAbi,
  mockErc20Abi,
  oracleGuardAbi,
} from "../../src-ts/generated/abis.js";
import { safeAbi, timelockAbi } from "../../src-ts/protocol/governanceAbis.js";
import { Cause, enumName, Invariant, Mode, OracleClass } from "../model/types.js";
import type { SystemAddresses } from "../system/deploySystem.js";

/** The ABI each system contract answers to (feeds share one). */
export function abiFor(addresses: SystemAddresses, to: string | null | undefined): Abi | undefined {
  const a = to?.toLowerCase();
  if (!a) return undefined;
  const table: [string, Abi][] = [
    [addresses.market, marketAbi],
    [addresses.pool, liquidityPoolAbi],
    [addresses.oracle, oracleGuardAbi],
    [addresses.collateral, mockErc20Abi],
    [addresses.primaryFeed, mockAggregatorAbi],
    [addresses.secondaryFeed, mockAggregatorAbi],
    [addresses.lens, lensAbi],
    [addresses.guardian, safeAbi],
    [addresses.timelock, timelockAbi],
  ];
  return table.find(([address]) => address.toLowerCase() === a)?.[1];
}

/** The system's name for an address ("market", "primaryFeed", …), if it is one of its contracts. */
export function contractName(addresses: SystemAddresses, to: string | null | undefined): string | undefined {
  const a = to?.toLowerCase();
  return Object.entries(addresses).find(([, address]) => address.toLowerCase() === a)?.[0];
}

export type DecodedCall = { functionName: string; args: readonly unknown[]; signature: string };

/** Decodes calldata against one ABI; undefined when the selector is not in it. */
export function decodeCall(abi: Abi | undefined, data: Hex): DecodedCall | undefined {
  if (!abi || data.length < 10) return undefined;
  try {
    const decoded = decodeFunctionData({ abi, data });
    const fn = abi.find(
      (item): item is AbiFunction => item.type === "function" && item.name === decoded.functionName,
    );
    const signature = `${decoded.functionName}(${(fn?.inputs ?? []).map((i) => i.type).join(",")})`;
    return { functionName: decoded.functionName, args: decoded.args ?? [], signature };
  } catch {
    return undefined;
  }
}

/** `market.deposit(20000000000)`: a call as a reader would write it (nested calldata decoded too). */
export function describeCall(addresses: SystemAddresses, to: string | null | undefined, data: Hex): string {
  const target = contractName(addresses, to) ?? to ?? "create";
  const call = decodeCall(abiFor(addresses, to), data);
  if (!call) return `${target}.call(${data.slice(0, 10)}…)`;
  const args = call.args.map((arg) => describeArg(addresses, arg)).join(", ");
  return `${target}.${call.functionName}(${args})`;
}

function describeArg(addresses: SystemAddresses, arg: unknown): string {
  if (typeof arg === "bigint") return arg.toString();
  if (typeof arg === "string" && /^0x[0-9a-fA-F]{40}$/.test(arg)) return contractName(addresses, arg) ?? arg;
  if (typeof arg === "string" && arg.startsWith("0x") && arg.length > 10) {
    // Calldata carried by the timelock or the Safe: decode it against the system's ABIs.
    for (const abi of [marketAbi, oracleGuardAbi, liquidityPoolAbi, timelockAbi]) {
      const inner = decodeCall(abi, arg as Hex);
      if (inner)
        return `<${inner.functionName}(${inner.args.map((a) => describeArg(addresses, a)).join(", ")})>`;
    }
    return arg.length > 42 ? `${arg.slice(0, 18)}…(${(arg.length - 2) / 2} bytes)` : arg;
  }
  if (Array.isArray(arg)) return `[${arg.map((a) => describeArg(addresses, a)).join(", ")}]`;
  if (typeof arg === "object" && arg !== null) {
    return `{${Object.entries(arg)
      .map(([k, v]) => `${k}: ${describeArg(addresses, v)}`)
      .join(", ")}}`;
  }
  return String(arg);
}

/** The market's `InvariantViolated`, decoded: which in-contract invariant fired, in which action. */
export type InvariantTrip = {
  invariant: string;
  expected: bigint;
  actual: bigint;
  /** The selector of the market function whose check failed, and its name when known. */
  action: Hex;
  actionName: string;
};

export type ModeChange = { from: string; to: string; cause: string };

export type MarketEvents = {
  trips: InvariantTrip[];
  modeChanges: ModeChange[];
  breaker: { oracleClass: string; resumeMode: string }[];
};

/** The market's invariant trips, mode changes and breaker trips in a transaction's logs. */
export function marketEvents(market: string, logs: readonly Log[]): MarketEvents {
  const out: MarketEvents = { trips: [], modeChanges: [], breaker: [] };
  const own = logs.filter((l) => l.address.toLowerCase() === market.toLowerCase());
  for (const event of parseEventLogs({ abi: marketAbi, logs: own })) {
    if (event.eventName === "InvariantViolated") {
      out.trips.push({
        invariant: enumName(Invariant, event.args.invariant),
        expected: event.args.expected,
        actual: event.args.actual,
        action: event.args.action,
        actionName: selectorName(marketAbi, event.args.action) ?? event.args.action,
      });
    } else if (event.eventName === "ModeChanged") {
      out.modeChanges.push({
        from: enumName(Mode, event.args.from),
        to: enumName(Mode, event.args.to),
        cause: enumName(Cause, event.args.cause),
      });
    } else if (event.eventName === "BreakerTripped") {
      out.breaker.push({
        oracleClass: enumName(OracleClass, event.args.class),
        resumeMode: enumName(Mode, event.args.resumeMode),
      });
    }
  }
  return out;
}

/** `modifyPosition` for a selector of the ABI. */
export function selectorName(abi: Abi, selector: Hex): string | undefined {
  const wanted = selector.toLowerCase();
  const fn = abi.find(
    (item): item is AbiFunction => item.type === "function" && toFunctionSelector(item) === wanted,
  );
  return fn?.name;
}
