// The guardian Safe and the timelock, driven the way their owners would: a real Safe transaction
// approved by one owner (approveHash) and executed by another with pre-validated (v = 1) signatures,
// and timelock operations scheduled by the Safe, then executed by anyone once the delay has passed.
import { type Address, concat, type Hex, pad, zeroAddress } from "viem";
import { safeAbi, timelockAbi } from "../../src-ts/protocol/governanceAbis.js";
import { encodeFunctionData } from "../fast/encodeCall.js";
import type { ModelAction } from "./model/port.js";
import { type Planned, request } from "./step.js";
import type { World } from "./world/world.js";

/**
 * The two transactions of a 2-of-3 Safe execution (Safe 1.5 bubbles the inner call's revert data when
 * safeTxGas and gasPrice are 0, so a refused escalation reverts with the market's own error): owner A
 * approves the Safe transaction hash, owner B executes with both signatures. `signers` picks two of the three
 * owners.
 */
export async function safeTransaction(
  w: World,
  parameters: {
    to: Address;
    data: Hex;
    action: ModelAction;
    signers: readonly [number, number];
    label: string;
  },
): Promise<Planned[]> {
  const owners = parameters.signers.map(
    (i) => w.actors.safeOwners[i % w.actors.safeOwners.length] as Address,
  );
  const [approver, executor] = owners as [Address, Address];
  if (approver === executor) throw new Error("safeTransaction: two distinct owners are needed");
  // On simulated blocks the chain is still at their base: add what they execute (harness/engine/).
  const nonce =
    (await chainView(w, "safe.nonce", () =>
      w.clients.publicClient.readContract({ address: w.safe, abi: safeAbi, functionName: "nonce" }),
    )) + BigInt(w.speculation?.active ? w.speculation.safeExecutions : 0);
  const safeTx = [parameters.to, 0n, parameters.data, 0, 0n, 0n, 0n, zeroAddress, zeroAddress] as const;
  const hash = await safeTransactionHash(w, safeTx, nonce);
  // Signatures sorted by owner address; v = 1: approved on chain (approveHash) or the sender itself.
  const sorted = [...owners].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  const signatures = concat(
    sorted.map((owner) => concat([pad(owner, { size: 32 }), pad("0x", { size: 32 }), "0x01"])),
  );
  return [
    {
      action: { kind: "noop" },
      request: request(
        approver,
        w.safe,
        encodeFunctionData({ abi: safeAbi, functionName: "approveHash", args: [hash] }),
        `safe.approveHash by ${approver.slice(0, 8)}`,
      ),
    },
    {
      action: parameters.action,
      request: request(
        executor,
        w.safe,
        encodeFunctionData({ abi: safeAbi, functionName: "execTransaction", args: [...safeTx, signatures] }),
        `safe.execTransaction(${parameters.label})`,
      ),
    },
  ];
}

export type TimelockOperation = { target: Address; data: Hex; salt: Hex };

/** A fresh operation with a salt unique in this run (the same seed gives the same salts). */
export function timelockOperation(w: World, target: Address, data: Hex): TimelockOperation {
  return { target, data, salt: pad(`0x${(++w.operations).toString(16)}`, { size: 32 }) };
}

/** The timelock's minimum delay now (on simulated blocks: as their updates leave it, see harness/engine/). */
export async function timelockMinDelay(w: World): Promise<bigint> {
  const pending = w.speculation?.active ? w.speculation.timelockDelay : undefined;
  return (
    pending ??
    (await chainView(w, "timelock.getMinDelay", () =>
      w.clients.publicClient.readContract({
        address: w.timelock,
        abi: timelockAbi,
        functionName: "getMinDelay",
      }),
    ))
  );
}

/** A view of the chain; on simulated blocks, asked once per base (Speculation.atBase). */
function chainView<T>(w: World, key: string, read: () => Promise<T>): Promise<T> {
  return w.speculation?.active ? w.speculation.atBase(key, read) : read();
}

type SafeTx = readonly [Address, bigint, Hex, number, bigint, bigint, bigint, Address, Address];

/**
 * The Safe's `getTransactionHash`: a pure function of the transaction, the nonce and the Safe's domain (its
 * address and the chain id, fixed for a world), so each one is asked of the node once per world.
 */
const safeHashes = new WeakMap<World, Map<string, Hex>>();
async function safeTransactionHash(w: World, safeTx: SafeTx, nonce: bigint): Promise<Hex> {
  let known = safeHashes.get(w);
  if (!known) {
    known = new Map();
    safeHashes.set(w, known);
  }
  const key = `${w.safe}:${safeTx.join(",")}:${nonce}`;
  let hash = known.get(key);
  if (hash === undefined) {
    hash = await w.clients.publicClient.readContract({
      address: w.safe,
      abi: safeAbi,
      functionName: "getTransactionHash",
      args: [...safeTx, nonce],
    });
    known.set(key, hash);
  }
  return hash;
}

/** The Safe schedules `op` on the timelock with the minimum delay. */
export async function scheduleThroughSafe(
  w: World,
  op: TimelockOperation,
  signers: readonly [number, number],
  label: string,
): Promise<{ planned: Planned[]; delay: bigint }> {
  const delay = await timelockMinDelay(w);
  const data = encodeFunctionData({
    abi: timelockAbi,
    functionName: "schedule",
    args: [op.target, 0n, op.data, pad("0x", { size: 32 }), op.salt, delay],
  });
  const planned = await safeTransaction(w, {
    to: w.timelock,
    data,
    action: { kind: "noop" },
    signers,
    label: `timelock.schedule(${label})`,
  });
  return { planned, delay };
}

/** Anyone executes a ready operation; the market call's own revert bubbles through the timelock. */
export function executeOnTimelock(
  w: World,
  from: Address,
  op: TimelockOperation,
  action: ModelAction,
  label: string,
): Planned {
  return {
    action,
    request: request(
      from,
      w.timelock,
      encodeFunctionData({
        abi: timelockAbi,
        functionName: "execute",
        args: [op.target, 0n, op.data, pad("0x", { size: 32 }), op.salt],
      }),
      `timelock.execute(${label})`,
    ),
  };
}
