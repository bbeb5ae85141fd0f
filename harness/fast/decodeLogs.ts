import {
  type Abi,
  type AbiEvent,
  type AbiParameter,
  decodeAbiParameters,
  type Log,
  type ParseEventLogsReturnType,
  toEventSelector,
} from "viem";

export type LogParser<abi extends Abi> = (
  logs: readonly Log[],
) => ParseEventLogsReturnType<abi, undefined, true>;

/**
 * viem's parseEventLogs for one ABI (strict: logs that do not decode are left out), with each event's
 * selector hashed once instead of per log and per event: parseEventLogs was the harness's largest CPU cost
 * per simulated step (a keccak of every event signature of the ABI for every log).
 */
export function createLogParser<const abi extends Abi>(abi: abi): LogParser<abi> {
  const events = new Map<string, AbiEvent>();
  for (const item of abi) if (item.type === "event") events.set(toEventSelector(item), item);
  return ((logs: readonly Log[]) => {
    const out: unknown[] = [];
    for (const log of logs) {
      const [selector, ...topics] = log.topics;
      const event = selector ? events.get(selector) : undefined;
      if (!event) continue;
      const args = decode(event, topics as `0x${string}`[], log.data);
      if (args !== null) out.push({ ...log, args, eventName: event.name });
    }
    return out;
  }) as LogParser<abi>;
}

/** The event's arguments by name (or position when unnamed), or null if the log does not fit it. */
function decode(event: AbiEvent, topics: readonly `0x${string}`[], data: `0x${string}`) {
  const indexed = event.inputs.filter((p) => p.indexed);
  const plain = event.inputs.filter((p) => !p.indexed);
  if (topics.length !== indexed.length) return null;
  const unnamed = event.inputs.some((p) => !p.name);
  const args: Record<string, unknown> | unknown[] = unnamed ? [] : {};
  const set = (p: AbiParameter, value: unknown) => {
    const key = unnamed ? event.inputs.indexOf(p as (typeof event.inputs)[number]) : (p.name as string);
    (args as Record<string | number, unknown>)[key] = value;
  };
  try {
    indexed.forEach((p, i) => {
      const topic = topics[i] as `0x${string}`;
      // Dynamic indexed values are stored as their hash: the topic itself (as viem returns it).
      const dynamic =
        p.type === "string" || p.type === "bytes" || p.type === "tuple" || p.type.match(/\[\d*\]$/);
      set(p, dynamic ? topic : decodeAbiParameters([p], topic)[0]);
    });
    if (plain.length > 0) {
      if (!data || data === "0x") return null;
      const values = decodeAbiParameters(plain, data);
      for (const [i, p] of plain.entries()) set(p, values[i]);
    }
  } catch {
    return null;
  }
  // As viem: no arguments decode to `args: undefined`.
  return Object.keys(args).length > 0 ? args : undefined;
}
