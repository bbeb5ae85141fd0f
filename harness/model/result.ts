/**
 * What a model action returns: success with its effects, success whose effects the market rolled back because
 * an invariant broke (the transaction still succeeds and the market halts), or a revert named exactly as the
 * Solidity custom error, with its arguments as viem decodes them.
 */
import type { Invariant, OracleClass } from "./types.js";

/** Every revert the model can predict. The name is the Solidity error's name (viem's `errorName`). */
export type RevertName =
  // IMarket
  | "MarketZeroAmount"
  | "MarketZeroSize"
  | "MarketBadParams"
  | "MarketNotAllowed"
  | "MarketOracleNotValid"
  | "MarketPriceLimit"
  | "MarketTradePriceTooOld"
  | "MarketOrderPending"
  | "MarketNoOrder"
  | "MarketOrderNotReady"
  | "MarketInsufficientMargin"
  | "MarketInsufficientFreeMargin"
  | "MarketOpenInterestCap"
  | "MarketInsufficientBacking"
  | "MarketAccountInsolvent"
  | "MarketNoLossToSettle"
  | "MarketPoolCannotPay"
  | "MarketNoPosition"
  | "MarketNotLiquidatable"
  | "MarketOnlyPool"
  | "MarketPoolAlreadySet"
  | "MarketPoolNotSet"
  | "MarketOnlyGuardian"
  | "MarketNotTighter"
  | "MarketStepTooLarge"
  | "MarketNotSettleable"
  | "MarketModeNotSettable"
  | "MarketNotInSettlement"
  | "MarketRealiseWindowClosed"
  | "MarketAlreadyRealised"
  | "MarketChangeWhileHalted"
  | "MarketOwnerNotTimelock"
  | "MarketSettlementPending"
  | "MarketAlreadyClaimed"
  | "MarketSettlementExhausted"
  | "MarketTimelockTooShort"
  // IOracleGuard
  | "OracleGuardBadFeed"
  | "OracleGuardBadDecimals"
  | "OracleGuardBadParams"
  | "OracleGuardInitialReadingInvalid"
  | "OracleGuardStepTooLarge"
  // ILiquidityPool, ERC-4626, ERC-20 (OpenZeppelin), Ownable
  | "PoolZeroShares"
  | "PoolInsolvent"
  | "PoolBadParams"
  | "PoolOutflowLimit"
  | "PoolSharesLocked"
  | "ERC4626ExceededMaxDeposit"
  | "ERC4626ExceededMaxMint"
  | "ERC4626ExceededMaxWithdraw"
  | "ERC4626ExceededMaxRedeem"
  | "ERC20InsufficientBalance"
  | "ERC20InsufficientAllowance"
  | "ERC20InvalidSender"
  | "ERC20InvalidReceiver"
  | "ERC20InvalidApprover"
  | "ERC20InvalidSpender"
  | "OwnableUnauthorizedAccount"
  // solady
  | "TransferFromFailed"
  | "TransferFailed"
  | "MulWadFailed"
  | "DivWadFailed"
  | "MulDivFailed"
  | "LnWadUndefined"
  // Solidity
  | "Panic";

/** An event the model predicts. `args` are keyed by the Solidity parameter names (as viem's decodeEventLog). */
export type ModelEvent = {
  contract: "market" | "oracle" | "pool";
  name: string;
  args: Record<string, EventValue>;
};

/** An event argument: a scalar, or a struct (RiskParamsUpdated, Settled, …) as viem decodes it. */
export type EventValue = bigint | number | string | boolean | { [field: string]: EventValue };

/** The payload of `MarketInvariantBroken` / `InvariantViolated`. */
export type InvariantTrip = {
  kind: "invariant";
  invariant: Invariant;
  expected: bigint;
  actual: bigint;
  action: `0x${string}`;
};

/** `MarketBreakerTripped`: a risk-adding action read a non-Valid price; the market halted itself. */
export type BreakerTrip = { kind: "breaker"; oracleClass: OracleClass; action: `0x${string}` };

/** Why a guarded self-call was rolled back while its transaction succeeded. */
export type Trip = InvariantTrip | BreakerTrip;

export type ActionSuccess<effects> = { ok: true; tripped: false; effects: effects; events: ModelEvent[] };
/** The transaction succeeded but the market rolled the action back and halted itself. */
export type ActionTripped = { ok: true; tripped: true; trip: Trip; events: ModelEvent[] };
export type ActionReverted = { ok: false; error: RevertName; args: readonly unknown[] };

export type ActionResult<effects> = ActionSuccess<effects> | ActionTripped | ActionReverted;
