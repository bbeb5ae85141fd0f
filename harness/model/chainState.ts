/**
 * The protocol's events in a mined receipt, in the shape the model predicts them (harness/model/result.ts
 * ModelEvent), so that a cross-check can compare the two lists.
 */
import { type Address, decodeEventLog, type TransactionReceipt } from "viem";
import { liquidityPoolAbi, marketAbi, oracleGuardAbi } from "../../src-ts/generated/abis.js";
import type { ModelEvent } from "./result.js";
import { normalizeAddress } from "./types.js";

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

const eventsAbi = [...marketAbi, ...oracleGuardAbi, ...liquidityPoolAbi].filter(
  (item) => item.type === "event",
);

/** The market's, the guard's and the pool's modelled events in a receipt, in log order. */
export function receiptEvents(
  addresses: { market: Address; oracle: Address; pool: Address },
  receipt: Pick<TransactionReceipt, "logs">,
): ModelEvent[] {
  const contracts = new Map<string, ModelEvent["contract"]>([
    [normalizeAddress(addresses.market), "market"],
    [normalizeAddress(addresses.oracle), "oracle"],
    [normalizeAddress(addresses.pool), "pool"],
  ]);
  const out: ModelEvent[] = [];
  for (const log of receipt.logs) {
    const contract = contracts.get(normalizeAddress(log.address));
    if (!contract) continue;
    let decoded: { eventName: string; args: unknown };
    try {
      decoded = decodeEventLog({ abi: eventsAbi, data: log.data, topics: log.topics }) as never;
    } catch {
      continue;
    }
    if (!modelledEventNames.has(decoded.eventName)) continue;
    out.push({ contract, name: decoded.eventName, args: decoded.args as ModelEvent["args"] });
  }
  return out;
}
