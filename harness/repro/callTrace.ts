// A transaction's call tree (anvil's debug_traceTransaction with the callTracer), decoded and indented.
import type { Hex } from "viem";
import { decodeRevert } from "../../src-ts/protocol/errors.js";
import type { ChainClients } from "../chain/clients.js";
import type { SystemAddresses } from "../system/deploySystem.js";
import { contractName, describeCall } from "./decode.js";

type CallFrame = {
  type: string;
  from: string;
  to?: string;
  input: Hex;
  output?: Hex;
  error?: string;
  gasUsed?: Hex;
  calls?: CallFrame[];
};

/** The call tree of `hash`, one line per call: `CALL market.modifyPosition(…) → ok (12,345 gas)`. */
export async function formatCallTrace(
  clients: ChainClients,
  addresses: SystemAddresses,
  hash: Hex,
  roles: ReadonlyMap<string, string> = new Map(),
): Promise<string> {
  const root = (await clients.publicClient.request({
    method: "debug_traceTransaction",
    params: [hash, { tracer: "callTracer" }],
  } as never)) as CallFrame;
  const lines: string[] = [];
  const walk = (frame: CallFrame, depth: number) => {
    const gas = frame.gasUsed ? ` (${BigInt(frame.gasUsed).toLocaleString("en-US")} gas)` : "";
    const outcome = frame.error
      ? `REVERT ${describeRevert(frame)}`
      : frame.type === "STATICCALL"
        ? "view"
        : "ok";
    const library =
      frame.to && !contractName(addresses, frame.to) ? roles.get(frame.to.toLowerCase()) : undefined;
    const target = library
      ? `${library}.call(${frame.input.slice(0, 10)}…)`
      : frame.to
        ? describeCall(addresses, frame.to, frame.input)
        : "create";
    const sender = roles.get(frame.from.toLowerCase()) ?? contractName(addresses, frame.from) ?? frame.from;
    const caller = depth === 0 ? `${sender} → ` : "";
    lines.push(`${"  ".repeat(depth)}${frame.type} ${caller}${target} → ${outcome}${gas}`);
    for (const child of frame.calls ?? []) walk(child, depth + 1);
  };
  walk(root, 0);
  return lines.join("\n");
}

function describeRevert(frame: CallFrame): string {
  if (!frame.output || frame.output === "0x") return frame.error ?? "";
  const { error, args } = decodeRevert(frame.output);
  return `${error}(${args.map(String).join(", ")})`;
}
