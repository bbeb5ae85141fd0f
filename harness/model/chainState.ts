/**
 * Reading what the model predicts from the chain: the Lens snapshot, the revert of a mined
 * transaction, and the protocol's events in a receipt, each in the shape the model uses.
 */
import { type Address, decodeEventLog, type Hash, type Hex, type TransactionReceipt } from "viem";
import { type DecodedError, decodeRevert } from "../../src-ts/protocol/errors.js";
import type { ChainClients } from "../chain/clients.js";
import type { DeployedSystem } from "./deploySystem.js";
import type { ModelEvent } from "./result.js";
import { type AccountView, type MarketView, normalizeAddress, type Snapshot } from "./types.js";

export type ReadSnapshotParameters = {
  clients: ChainClients;
  system: DeployedSystem;
  accounts: readonly Address[];
};
export type ReadSnapshotReturnType = Snapshot;

/** `Lens.snapshot(market, accounts)` at the latest block. */
export async function readSnapshot(parameters: ReadSnapshotParameters): Promise<ReadSnapshotReturnType> {
  const { clients, system } = parameters;
  const [market, accounts] = (await clients.publicClient.readContract({
    address: system.addresses.lens,
    abi: system.abis.lens,
    functionName: "snapshot",
    args: [system.addresses.market, parameters.accounts],
  })) as readonly [MarketView, readonly AccountView[]];
  return { market, accounts };
}

export type MinedRevertParameters = { clients: ChainClients; hash: Hash };

/**
 * The custom error a mined, reverted transaction reverted with: its revert data from the node's call trace
 * (anvil's `debug_traceTransaction` with the callTracer), named by the protocol's one decoder.
 */
export async function minedRevert(parameters: MinedRevertParameters): Promise<DecodedError> {
  const { clients, hash } = parameters;
  const trace = (await clients.publicClient.request({
    method: "debug_traceTransaction",
    params: [hash, { tracer: "callTracer" }],
  } as never)) as { output?: Hex };
  return decodeRevert(trace.output);
}

/** The names of the events the model predicts: every event of the market, the guard and the pool but ERC-20's. */
export const modelledEventNames: ReadonlySet<string> = new Set([
  // Market
  "Deposited",
  "Withdrawn",
  "PositionModified",
  "FundingSettled",
  "ProfitCapped",
  "Liquidated",
  "BadDebt",
  "InsuranceFunded",
  "PoolDeposited",
  "PoolWithdrawn",
  "RiskParamsUpdated",
  "ModeChanged",
  "InvariantViolated",
  "BreakerTripped",
  "MarginWarning",
  "GuardianSet",
  "SafetyParamsUpdated",
  "Settled",
  "AccountRealised",
  "SettlementFinalised",
  "Claimed",
  "PoolClaimed",
  // OracleGuard
  "PriceAccepted",
  "ReadingRejected",
  "OracleParamsUpdated",
  // LiquidityPool
  "Deposit",
  "Withdraw",
  "ActionRefusedByMarket",
  "SettlementClaimed",
]);

/** The market's, the guard's and the pool's modelled events in a receipt, in log order. */
export function receiptEvents(system: DeployedSystem, receipt: TransactionReceipt): ModelEvent[] {
  const contracts = new Map<string, ModelEvent["contract"]>([
    [normalizeAddress(system.addresses.market), "market"],
    [normalizeAddress(system.addresses.oracle), "oracle"],
    [normalizeAddress(system.addresses.pool), "pool"],
  ]);
  const out: ModelEvent[] = [];
  for (const log of receipt.logs) {
    const contract = contracts.get(normalizeAddress(log.address));
    if (!contract) continue;
    let decoded: { eventName: string; args: unknown };
    try {
      decoded = decodeEventLog({ abi: system.abis.events, data: log.data, topics: log.topics }) as never;
    } catch {
      continue;
    }
    if (!modelledEventNames.has(decoded.eventName)) continue;
    out.push({ contract, name: decoded.eventName, args: decoded.args as ModelEvent["args"] });
  }
  return out;
}
