import {
  type AbiParameter,
  encodeAbiParameters,
  encodeEventTopics,
  type Log,
  parseAbi,
  parseEventLogs,
} from "viem";
import { describe, expect, it } from "vitest";
import { liquidityPoolAbi, marketAbi } from "../../src-ts/generated/abis.js";
import { createLogParser } from "./decodeLogs.js";

const address = "0x00000000000000000000000000000000000000aa" as const;
const other = "0x00000000000000000000000000000000000000bb" as const;

function log(topics: readonly `0x${string}`[], data: `0x${string}`, index: number): Log {
  return {
    address,
    topics: topics as Log["topics"],
    data,
    blockHash: null,
    blockNumber: 7n,
    logIndex: index,
    transactionHash: null,
    transactionIndex: 0,
    removed: false,
  } as Log;
}

describe("createLogParser", () => {
  it("decodes exactly what viem's parseEventLogs decodes, and skips what it skips", () => {
    const abi = parseAbi([
      "event Moved(address indexed who, int256 amount, uint8 mode)",
      "event Named(string indexed tag, bytes32 id)",
      "event Bare()",
    ]);
    const logs = [
      log(
        encodeEventTopics({ abi, eventName: "Moved", args: { who: other } }) as `0x${string}`[],
        encodeAbiParameters([{ type: "int256" }, { type: "uint8" }], [-5n, 3]),
        0,
      ),
      log(
        encodeEventTopics({ abi, eventName: "Named", args: { tag: "x" } }) as `0x${string}`[],
        encodeAbiParameters([{ type: "bytes32" }], [`0x${"11".repeat(32)}`]),
        1,
      ),
      log(encodeEventTopics({ abi, eventName: "Bare" }) as `0x${string}`[], "0x", 2),
      // Another contract's event, and a log whose data does not fit its event.
      log([`0x${"22".repeat(32)}`], "0x", 3),
      log(encodeEventTopics({ abi, eventName: "Moved", args: { who: other } }) as `0x${string}`[], "0x", 4),
    ];
    expect(createLogParser(abi)(logs)).toEqual(parseEventLogs({ abi, logs }));
  });

  it("agrees with viem on the system's own ABIs (the events the harness reads most)", () => {
    for (const abi of [marketAbi, liquidityPoolAbi]) {
      const events = abi.filter((x) => x.type === "event");
      expect(events.length).toBeGreaterThan(0);
      const logs = events.map((event, i) => {
        const indexed = event.inputs.filter((p) => p.indexed);
        const plain = event.inputs.filter((p) => !p.indexed);
        const value = (p: AbiParameter): unknown => {
          if (p.type === "tuple") {
            const components = (p as { components: readonly AbiParameter[] }).components;
            return Object.fromEntries(components.map((c) => [c.name, value(c)]));
          }
          const bytes = /^bytes(\d+)$/.exec(p.type);
          if (bytes) return `0x${"33".repeat(Number(bytes[1]))}`;
          if (p.type === "address") return other;
          if (p.type === "bool") return true;
          if (p.type === "string" || p.type === "bytes") return "0x33";
          return 1n;
        };
        const topics = encodeEventTopics({
          abi: [event],
          args: Object.fromEntries(indexed.map((p) => [p.name, value(p)])),
        } as never) as `0x${string}`[];
        const data = plain.length ? encodeAbiParameters(plain, plain.map((p) => value(p)) as never) : "0x";
        return log(topics, data, i);
      });
      expect(createLogParser(abi)(logs)).toEqual(parseEventLogs({ abi, logs }));
    }
  });
});
