import type { Address } from "viem";
import type { FeedName } from "../../model/market.js";
import type { ModelEvent } from "../../model/result.js";
import type {
  MarginAccount,
  Mode,
  OracleClass,
  OracleParams,
  PriceReading,
  RiskParams,
  SafetyParams,
  Snapshot,
} from "../../model/types.js";

export type { FeedName } from "../../model/market.js";

/**
 * The seam between the scenario layer and the reference model it compares the chain against: harness/model's
 * MarketModel, behind the adapter in adapter.ts. Commands, the step pipeline and the world speak only this.
 */
export interface ModelPort {
  /** Timestamp of the latest block the model knows of (views are taken there). */
  readonly now: bigint;
  /** Moves the latest-block time forward (a block mined with no market effect, or a warp). */
  advanceTo(timestamp: bigint): void;
  /** Predicts one transaction mined at `timestamp`; applies its effects unless it reverts. */
  apply(action: ModelAction, timestamp: bigint): Outcome;
  /** What the Lens would answer at `now` for these accounts (its block number aside). */
  view(accounts: readonly Address[]): ModelView;
  /** The outcome `action` would have at `timestamp`, applied to nothing (an eth_call). */
  probe(action: ModelAction, timestamp: bigint): Outcome;
  /** What the oracle guard's peek() answers at `now`. */
  peek(): PriceReading;

  // Queries for command preconditions and argument sizing.
  mode(): Mode;
  haltedAt(): bigint;
  /** While Halted, when anyone may settle (Market.exitOpensAt); 0 otherwise. */
  exitOpensAt(): bigint;
  account(account: Address): MarginAccount;
  health(account: Address): AccountHealth;
  price(): bigint;
  initialMarginRatio(): bigint;
  /** What the feed reports now (override-aware), and the answer of its latest pushed round. */
  feed(which: FeedName): FeedView;
  lpShares(account: Address): bigint;
  risk(): RiskParams;
  safety(): SafetyParams;
  claimed(account: Address): boolean;
  // Queries adversary generators use to aim (never the promises: they judge from the chain).
  /** The last good price's feed time (the guard's lastGoodAt). */
  lastGoodAt(): bigint;
  /** The guard's parameters. */
  oracleParams(): OracleParams;
  /** ERC-4626 maxRedeem for this owner at `timestamp` (default now). */
  maxRedeem(owner: Address, timestamp?: bigint): bigint;
  totalAssets(): bigint;
  /** How long minted LP shares stay locked (seconds): the pool's minHoldingPeriod. */
  minHoldingPeriod(): bigint;
  /** The LP outflow limiter's current window: start and length (seconds). */
  outflowWindow(): { start: bigint; length: bigint };
  /** How the guard would classify a reading at `timestamp` (for behaviour coverage, never for a check). */
  oracleClass(timestamp: bigint): OracleClass;
}

export type FeedView = {
  answer: bigint;
  round: bigint;
  updatedAt: bigint;
  latestRound: bigint;
  latestAnswer: bigint;
  reportedOverride: bigint;
  minAnswer: bigint;
  maxAnswer: bigint;
};

export type AccountHealth = {
  equity: bigint;
  initialRequired: bigint;
  maintenanceRequired: bigint;
  notional: bigint;
  liquidatable: boolean;
};

/** One transaction, as the model sees it. `from` is the sender. */
export type ModelAction =
  | { kind: "deposit"; from: Address; amount: bigint }
  | { kind: "withdraw"; from: Address; amount: bigint }
  | { kind: "modify"; from: Address; sizeDelta: bigint; priceLimit: bigint }
  | { kind: "close"; from: Address; priceLimit: bigint }
  /** A next-price order: committed now, executed (by anyone) at the primary round after the newest. */
  | { kind: "commitOrder"; from: Address; sizeDelta: bigint; priceLimit: bigint }
  | { kind: "executeOrder"; from: Address; account: Address }
  | { kind: "liquidate"; from: Address; account: Address }
  | { kind: "settleLoss"; from: Address; account: Address }
  | { kind: "fundInsurance"; from: Address; amount: bigint }
  | { kind: "refresh"; from: Address }
  | { kind: "lpDeposit"; from: Address; assets: bigint }
  | { kind: "lpRedeem"; from: Address; shares: bigint }
  | { kind: "lpWithdraw"; from: Address; assets: bigint }
  | { kind: "lpClaim"; from: Address; shares: bigint }
  | { kind: "escalate"; from: Address; to: Mode }
  | { kind: "setMode"; from: Address; to: Mode }
  | { kind: "setRiskParams"; from: Address; params: RiskParams }
  | { kind: "settle"; from: Address }
  | { kind: "realise"; from: Address; account: Address }
  | { kind: "claim"; from: Address }
  | { kind: "feedAnswer"; feed: FeedName; answer: bigint; updatedAt?: bigint | undefined }
  | { kind: "feedReportedRound"; feed: FeedName; roundId: bigint }
  | { kind: "feedBounds"; feed: FeedName; minAnswer: bigint; maxAnswer: bigint }
  | { kind: "mint"; to: Address; amount: bigint }
  | { kind: "approve"; owner: Address; spender: Address; amount: bigint }
  | { kind: "transfer"; from: Address; to: Address; amount: bigint }
  /** The owner timelock's updateDelay (executed by the timelock on itself): what the market's getMinDelay reads. */
  | { kind: "timelockDelay"; delay: bigint }
  /** A mined transaction that touches nothing modelled (a Safe approval, a timelock schedule). */
  | { kind: "noop" };

/** The actions users, keepers and governance take on the protocol (the rest set up the environment). */
export const protocolActions = [
  "deposit",
  "withdraw",
  "modify",
  "close",
  "commitOrder",
  "executeOrder",
  "liquidate",
  "settleLoss",
  "fundInsurance",
  "refresh",
  "lpDeposit",
  "lpRedeem",
  "lpClaim",
  "escalate",
  "setMode",
  "setRiskParams",
  "settle",
  "realise",
  "claim",
] as const satisfies readonly ModelAction["kind"][];

/** What a transaction did, in terms both the model and the chain can report. */
export type Outcome = (
  | { status: "ok" }
  | { status: "reverted"; error: string; args?: readonly unknown[] | undefined }
  | { status: "tripped"; oracleClass: OracleClass }
  | { status: "invariant"; invariant: number }
) & {
  /** Set when a risk-adding action read the oracle and got a non-Valid class (model side only). */
  riskAddingAnomaly?: OracleClass | undefined;
  /** The market's, the guard's and the pool's events the model predicts, in order (model side only). */
  predictedEvents?: readonly ModelEvent[] | undefined;
};

/** The model's answer to a Lens snapshot: harness/model's `Snapshot`, the Lens's own shape. */
export type ModelView = Snapshot;
