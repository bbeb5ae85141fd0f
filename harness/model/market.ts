/**
 * src/Market.sol (with its OracleGuard, LiquidityPool, collateral and feeds) as a pure bigint model.
 *
 * Layout mirrors the contract: the guarded-execution frame, margin, trading, liquidation, pool hooks, refresh
 * and the breaker's reset, insurance, governance, settlement, views, invariants; then `MarketModel`, the
 * façade the harness drives. Each internal function is the Solidity function of the same name, with the same
 * order of reads, writes, rounding, events and reverts. A transaction runs on a clone of the state and is
 * committed only if it does not revert; the market's self-call runs on a further clone that a broken
 * invariant or a breaker trip drops (the market then halts in the outer frame, which commits).
 */
import type { Address } from "viem";
import {
  COLLATERAL_DECIMALS,
  constructorSafetyParams,
  defaultOracleParams,
  defaultRiskParams,
  defaultSafetyParams,
  INITIAL_VARIANCE,
  MAX_ANSWER,
  MAX_OUTFLOW,
  MIN_ANSWER,
  OUTFLOW_WINDOW,
} from "./defaults.js";
import {
  type CreateMockAggregatorParameters,
  createMockAggregator,
  type MockAggregatorState,
  pushRound,
  type SequencerState,
} from "./feeds.js";
import {
  approve,
  balanceOf,
  createLedger,
  mint,
  soladySafeTransfer,
  soladySafeTransferFrom,
  transfer,
} from "./ledger.js";
import {
  abs,
  ceilDiv,
  divWad,
  EvmRevert,
  floorDiv,
  max,
  min,
  mulDiv,
  mulWad,
  mulWadUp,
  sadd,
  smul,
  sneg,
  soladyMulDiv,
  ssub,
  toInt256Wrapping,
  toUint256Wrapping,
  truncDiv,
  UINT256_MAX,
  uadd,
  usub,
  WAD,
} from "./math.js";
import {
  applyParamsToMargins,
  type CheckVolatilityParameters,
  type CheckVolatilityReturnType,
  createOracle,
  checkVolatility as oracleCheckVolatility,
  classify as oracleClassify,
  lpPrice as oracleLpPrice,
  peek as oraclePeek,
  stablePrice as oracleStablePrice,
  update as oracleUpdate,
  type VolatilityFigures,
  validateParams as validateOracleParams,
  validateParamsStep as validateOracleParamsStep,
} from "./oracle.js";
import type { PoolMarket } from "./pool.js";
import * as pool from "./pool.js";
import type { ActionResult, ModelEvent, RevertName, Trip } from "./result.js";
import {
  cloneState,
  commitState,
  type MarketStorage,
  type SystemAddresses,
  type SystemState,
} from "./state.js";
import { FIRST_STEP, stepWithin } from "./steps.js";
import {
  type AccountView,
  Action,
  type Aggregates,
  Cause,
  emptySettlement,
  HaltFlag,
  Invariant,
  type MarginAccount,
  type MarketView,
  Mode,
  normalizeAddress,
  OracleClass,
  type OracleParams,
  type PriceReading,
  type RiskParams,
  type SafetyParams,
  type SettlementSnapshot,
  type Snapshot,
  zeroAddress,
} from "./types.js";

/**
 * Selectors of the self-call targets: the `action` of `InvariantViolated`. Literal, so the model does not load
 * viem at runtime; crossCheck.test.ts recomputes them from the signatures.
 */
export const executeSelectors = {
  deposit: "0xe8a03e17", // executeDeposit(address,uint256)
  withdraw: "0xe6548955", // executeWithdraw(address,uint256)
  modify: "0x4bc0ebde", // executeModify(address,int256,uint256)
  liquidate: "0x4ae088a3", // executeLiquidate(address,address)
  poolDeposit: "0xa9698cc5", // executePoolDeposit(uint256)
  poolWithdraw: "0xa6e0798a", // executePoolWithdraw(address,uint256)
  fundInsurance: "0x6841d84a", // executeFundInsurance(address,uint256)
  settleLoss: "0x5412f17a", // executeSettleLoss(address)
} as const;

/* GUARDED EXECUTION */

/** `MarketInvariantBroken`: only ever thrown inside the self-call and turned into a trip by `guarded`. */
class InvariantBroken extends EvmRevert {
  readonly invariant: Invariant;
  readonly expected: bigint;
  readonly actual: bigint;
  constructor(invariant: Invariant, expected: bigint, actual: bigint) {
    super("MarketInvariantBroken", [invariant, expected, actual]);
    this.invariant = invariant;
    this.expected = expected;
    this.actual = actual;
  }
}

/** `MarketBreakerTripped`: only ever thrown inside the self-call; the outer frame commits the trip. */
class BreakerTripped extends EvmRevert {
  readonly oracleClass: OracleClass;
  constructor(oracleClass: OracleClass) {
    super("MarketBreakerTripped", [oracleClass]);
    this.oracleClass = oracleClass;
  }
}

/** A signal the guarded frame turns into a trip; it never ends a transaction as a revert. */
const isTripSignal = (error: unknown): boolean =>
  error instanceof InvariantBroken || error instanceof BreakerTripped;

type Guarded<value> = { committed: true; value: value } | { committed: false; trip: Trip };

/**
 * `_run` + `_guard`: runs `body` (an `execute*`) on a clone of the transaction's state. A broken invariant or
 * a breaker trip drops the clone (its events too) and halts the market in the transaction's state; any
 * other revert propagates.
 */
function guarded<value>(
  tx: SystemState,
  events: ModelEvent[],
  action: `0x${string}`,
  body: (inner: SystemState, innerEvents: ModelEvent[]) => value,
): Guarded<value> {
  const inner = cloneState(tx);
  const innerEvents: ModelEvent[] = [];
  let value: value;
  try {
    value = body(inner, innerEvents);
  } catch (error) {
    if (error instanceof InvariantBroken) {
      const trip: Trip = {
        kind: "invariant",
        invariant: error.invariant,
        expected: error.expected,
        actual: error.actual,
        action,
      };
      events.push({
        contract: "market",
        name: "InvariantViolated",
        args: { invariant: trip.invariant, expected: trip.expected, actual: trip.actual, action },
      });
      tighten(tx, Mode.Halted, HaltFlag.Invariant, Cause.InvariantViolated, events);
      return { committed: false, trip };
    }
    if (error instanceof BreakerTripped) {
      // Risk-adding actions are refused in Halted, so the breaker only ever trips from a looser mode.
      const m = tx.market;
      m.resumeMode = m.mode;
      m.validStreak = 0;
      m.breakerAt = tx.now;
      m.streakRound = tx.oracle.lastRoundId; // read in the outer frame: the inner one was rolled back
      events.push({
        contract: "market",
        name: "BreakerTripped",
        args: { class: error.oracleClass, resumeMode: m.mode },
      });
      tighten(tx, Mode.Halted, HaltFlag.Breaker, Cause.OracleBreaker, events);
      return { committed: false, trip: { kind: "breaker", oracleClass: error.oracleClass, action } };
    }
    throw error;
  }
  commitState(tx, inner);
  events.push(...innerEvents);
  return { committed: true, value };
}

/** `_setMode`: entering Halted stamps haltedAt. */
function setMode(s: SystemState, to: Mode, cause: Cause, events: ModelEvent[]): void {
  const from = s.market.mode;
  if (from === to) return;
  s.market.mode = to;
  if (to === Mode.Halted) s.market.haltedAt = s.now;
  events.push({ contract: "market", name: "ModeChanged", args: { from, to, cause } });
}

/** `_tighten`: the only way the market changes its own mode; never looser. */
function tighten(s: SystemState, to: Mode, haltFlag: number, cause: Cause, events: ModelEvent[]): void {
  s.market.haltFlags |= haltFlag;
  if (to > s.market.mode) setMode(s, to, cause, events);
}

/* STORAGE ACCESS */

const emptyAccount = (): MarginAccount => ({ margin: 0n, size: 0n, openNotional: 0n, fundingIndex: 0n });

/** `_accounts[account]` as a storage reference (created on first touch, as storage reads as zero). */
function accountRef(s: SystemState, account: Address): MarginAccount {
  const key = normalizeAddress(account);
  const existing = s.market.accounts.get(key);
  if (existing) return existing;
  const a = emptyAccount();
  s.market.accounts.set(key, a);
  return a;
}

/** `_accounts[account]` as a memory copy (views: never creates an entry). */
export function accountOf(s: SystemState, account: Address): MarginAccount {
  const a = s.market.accounts.get(normalizeAddress(account));
  return a ? { ...a } : emptyAccount();
}

/* MARGIN */

function depositInner(s: SystemState, account: Address, amount: bigint, events: ModelEvent[]): bigint {
  if (amount === 0n) throw new EvmRevert("MarketZeroAmount");
  requireAllowed(s, Action.Deposit);
  syncFunding(s);
  const a = accountRef(s, account);
  settleFunding(s, account, a, false, events);
  soladySafeTransferFrom(s.collateral, s.addresses.market, account, s.addresses.market, amount);
  creditMargin(s, a, toInt256Wrapping(amount));
  // Funding owed beyond the margin is not papered over by a small top-up.
  if (a.margin < 0n) throw new EvmRevert("MarketAccountInsolvent", [a.margin]);
  events.push({
    contract: "market",
    name: "Deposited",
    args: { account: normalizeAddress(account), amount },
  });
  return a.margin;
}

function withdrawInner(s: SystemState, account: Address, amount: bigint, events: ModelEvent[]): bigint {
  if (amount === 0n) throw new EvmRevert("MarketZeroAmount");
  const a = accountRef(s, account);
  // An account with no exposure can always take its margin out, even from a halted market.
  if (a.size !== 0n || s.market.mode !== Mode.Halted) requireAllowed(s, Action.Withdraw);
  const idle = a.size === 0n;
  const { price, trip } = idle
    ? { price: syncFunding(s), trip: OracleClass.Valid as OracleClass }
    : readPrice(s, Action.Withdraw, 0n, events);
  settleFunding(s, account, a, false, events);
  if (toInt256Wrapping(amount) > a.margin) {
    throw new EvmRevert("MarketInsufficientFreeMargin", [amount, a.margin > 0n ? a.margin : 0n]);
  }
  creditMargin(s, a, sneg(toInt256Wrapping(amount)));
  if (!idle) {
    requireInitialMargin(s, a, price, false);
    tripIf(trip);
    warnIfNear(s, account, a, price, events);
  }
  soladySafeTransfer(s.collateral, s.addresses.market, account, amount);
  events.push({
    contract: "market",
    name: "Withdrawn",
    args: { account: normalizeAddress(account), amount },
  });
  // Margin without exposure needs no price: the mode is the business of calls that use one.
  if (!idle) selfCorrect(s, price, events);
  return a.margin;
}

/* TRADING */

export type ModifyEffects = {
  price: bigint;
  realisedPnl: bigint;
  fee: bigint;
  newSize: bigint;
  increasing: boolean;
};

/** `_modify`, the one trade path: `premium` is the immediacy premium (atomic trades) or 0 (an order's execution). */
function modifyInner(
  s: SystemState,
  account: Address,
  sizeDelta: bigint,
  priceLimit: bigint,
  premium: bigint,
  events: ModelEvent[],
): ModifyEffects & { margin: bigint } {
  if (sizeDelta === 0n) throw new EvmRevert("MarketZeroSize");
  // Sizes no cap could admit are refused before any arithmetic could overflow on them.
  const oiCap = s.market.risk.maxOpenInterest;
  if (abs(sizeDelta) > 2n * oiCap) throw new EvmRevert("MarketOpenInterestCap", [abs(sizeDelta), oiCap]);
  const a = accountRef(s, account);
  const size = a.size;
  // Increasing: opening, adding on the same side, or flipping through zero.
  const increasing = size === 0n || size > 0n === sizeDelta > 0n || abs(sizeDelta) > abs(size);
  const action = increasing ? Action.Increase : Action.Reduce;
  requireAllowed(s, action);
  const { price: mark, trip } = readPrice(s, action, 0n, events);
  // The trade executes at the worse side of the mark and the stable price; the checks below stay at the mark.
  const price = executionPrice(s, mark, sizeDelta > 0n, increasing && trip === OracleClass.Valid);
  if (priceLimit !== 0n && (sizeDelta > 0n ? price > priceLimit : price < priceLimit)) {
    throw new EvmRevert("MarketPriceLimit", [price, priceLimit]);
  }
  // A reduce settles what it owes before its receivable: the loss it realises pays the funding it is owed.
  const owed = fundingOwed(s.market, a);
  const receivableLast = !increasing && owed < 0n;
  if (!receivableLast) settleFunding(s, account, a, true, events);

  let realised = trade(s, a, sizeDelta, price);
  if (realised > 0n) realised = capProfit(s, account, a, realised, mark, events);
  requirePoolCash(s, realised);
  if (receivableLast) settleFundingAfterClose(s, account, a, owed, events);
  const fee = chargeFee(s, a, abs(sizeDelta), price, premium);

  if (increasing) {
    const m = s.market;
    // Cautious lowers the open-interest cap.
    const cap =
      m.mode === Mode.Cautious
        ? mulWad(m.risk.maxOpenInterest, m.safety.cautiousOiFactor)
        : m.risk.maxOpenInterest;
    const oi = sizeDelta > 0n ? m.agg.longOpenInterest : m.agg.shortOpenInterest;
    if (oi > cap) throw new EvmRevert("MarketOpenInterestCap", [oi, cap]);
    requireBacked(s, mark, false);
    requireInitialMargin(s, a, mark, true);
  }
  // No trade may leave the margin negative: such an account is for the liquidators.
  if (a.margin < 0n) throw new EvmRevert("MarketAccountInsolvent", [a.margin]);
  tripIf(trip);
  events.push({
    contract: "market",
    name: "PositionModified",
    args: {
      account: normalizeAddress(account),
      sizeDelta,
      price,
      realisedPnl: realised,
      fee,
      newSize: a.size,
    },
  });
  if (a.size !== 0n) warnIfNear(s, account, a, mark, events);
  selfCorrect(s, mark, events);
  return { price, realisedPnl: realised, fee, newSize: a.size, increasing, margin: a.margin };
}

/** `executeModify`: a trade moves value inside the market, never tokens. */
function executeModify(
  s: SystemState,
  account: Address,
  sizeDelta: bigint,
  priceLimit: bigint,
  events: ModelEvent[],
  premium: bigint = s.market.immediacyFee,
): ModifyEffects {
  const before = credits(s);
  const { margin, ...effects } = modifyInner(s, account, sizeDelta, priceLimit, premium, events);
  checkInvariants(s, before, 0n, true, margin);
  return effects;
}

/* LIQUIDATION */

export type LiquidateEffects = {
  reward: bigint;
  penaltyToInsurance: bigint;
  price: bigint;
  size: bigint;
  badDebt: { deficit: bigint; coveredByInsurance: bigint; socialised: bigint } | null;
};

function liquidateInner(
  s: SystemState,
  account: Address,
  liquidator: Address,
  events: ModelEvent[],
): LiquidateEffects & { margin: bigint } {
  requireAllowed(s, Action.Liquidate);
  const a = accountRef(s, account);
  const size = a.size;
  if (size === 0n) throw new EvmRevert("MarketNoPosition");
  const { price } = readPrice(s, Action.Liquidate, size, events);
  const m = s.market;
  const owed = fundingOwed(m, a);
  const n = notional(m, size, price);
  {
    const mm = s.oracle.maintenanceMargin;
    const eq = ssub(equity(m, a, price), owed);
    const maintenance = mulWadUp(n, mm);
    if (eq >= maintenance) throw new EvmRevert("MarketNotLiquidatable", [eq, maintenance]);
  }
  requirePoolCash(s, trade(s, a, sneg(size), price));
  settleFundingAfterClose(s, account, a, owed, events);
  const { reward, toInsurance, badDebt } = absorb(s, account, a, n, events);
  if (reward !== 0n) soladySafeTransfer(s.collateral, s.addresses.market, liquidator, reward);
  events.push({
    contract: "market",
    name: "Liquidated",
    args: {
      account: normalizeAddress(account),
      liquidator: normalizeAddress(liquidator),
      size,
      price,
      keeperReward: reward,
      penaltyToInsurance: toInsurance,
    },
  });
  selfCorrect(s, price, events);
  return { reward, penaltyToInsurance: toInsurance, price, size, badDebt, margin: a.margin };
}

/** `_fundingOwed`: what the account owes (negative: is owed) since its last settlement, at the accrued index. */
function fundingOwed(m: MarketStorage, a: MarginAccount): bigint {
  return ceilDiv(smul(a.size, ssub(m.agg.fundingIndex, a.fundingIndex)), m.valueDivisor);
}

/**
 * `_settleFundingAfterClose`: the close or reduce realised the PnL first, so a loss can pay a receivable; what is
 * left of the position moves to the current index.
 */
function settleFundingAfterClose(
  s: SystemState,
  account: Address,
  a: MarginAccount,
  owed: bigint,
  events: ModelEvent[],
): void {
  const agg = s.market.agg;
  if (owed !== 0n) {
    creditMargin(s, a, sneg(owed));
    agg.poolCash = sadd(agg.poolCash, owed);
    events.push({
      contract: "market",
      name: "FundingSettled",
      args: { account: normalizeAddress(account), owed },
    });
  }
  const moved = smul(a.size, ssub(agg.fundingIndex, a.fundingIndex));
  agg.sizeTimesIndex = sadd(agg.sizeTimesIndex, moved);
  if (a.size > 0n) agg.longSizeTimesIndex = sadd(agg.longSizeTimesIndex, moved);
  a.fundingIndex = agg.fundingIndex;
  // Only a receivable takes the cash below zero here: (what it is owed, the cash there was to pay it).
  if (agg.poolCash < 0n) {
    throw new EvmRevert("MarketPoolCannotPay", [toUint256Wrapping(-owed), ssub(agg.poolCash, owed)]);
  }
}

/** `_absorb`: the loss waterfall after a close (keeper and penalty, or bad debt to insurance then the pool). */
function absorb(
  s: SystemState,
  account: Address,
  a: MarginAccount,
  n: bigint,
  events: ModelEvent[],
): { reward: bigint; toInsurance: bigint; badDebt: LiquidateEffects["badDebt"] } {
  const m = s.market;
  const agg = m.agg;
  const margin = a.margin;
  let reward = 0n;
  let toInsurance = 0n;
  let badDebt: LiquidateEffects["badDebt"] = null;
  if (margin > 0n) {
    const penalty = mulWadUp(n, m.risk.liquidationPenalty);
    const keeperShare = mulWad(penalty, m.risk.keeperRewardShare);
    reward = min(keeperShare, margin);
    toInsurance = min(usub(penalty, keeperShare), usub(margin, reward));
    creditMargin(s, a, sneg(uadd(reward, toInsurance)));
    agg.insurance = uadd(agg.insurance, toInsurance);
  } else if (margin < 0n) {
    // Bad debt is recognised here, in the same call: the account ends at zero margin.
    const deficit = -margin;
    const covered = min(deficit, agg.insurance);
    agg.insurance = usub(agg.insurance, covered);
    agg.poolCash = ssub(agg.poolCash, deficit - covered);
    creditMargin(s, a, deficit);
    badDebt = { deficit, coveredByInsurance: covered, socialised: deficit - covered };
    events.push({
      contract: "market",
      name: "BadDebt",
      args: { account: normalizeAddress(account), ...badDebt },
    });
    if (covered !== 0n && agg.insurance < m.safety.insuranceFloor) {
      tighten(s, Mode.Cautious, 0, Cause.InsuranceBelowFloor, events);
    }
    if (deficit > covered) tighten(s, Mode.ReduceOnly, 0, Cause.LossSocialised, events);
  }
  return { reward, toInsurance, badDebt };
}

/* POOL HOOKS */

function poolDepositInner(s: SystemState, assets: bigint, events: ModelEvent[]): void {
  if (assets === 0n) throw new EvmRevert("MarketZeroAmount");
  requireAllowed(s, Action.LpDeposit);
  const { price } = readPrice(s, Action.LpDeposit, 0n, events);
  soladySafeTransferFrom(s.collateral, s.addresses.market, s.addresses.pool, s.addresses.market, assets);
  s.market.agg.poolCash = sadd(s.market.agg.poolCash, toInt256Wrapping(assets));
  events.push({ contract: "market", name: "PoolDeposited", args: { assets } });
  selfCorrect(s, price, events);
}

function poolWithdrawInner(s: SystemState, receiver: Address, assets: bigint, events: ModelEvent[]): void {
  if (assets === 0n) throw new EvmRevert("MarketZeroAmount");
  requireAllowed(s, Action.LpWithdraw);
  const { price, trip } = readPrice(s, Action.LpWithdraw, 0n, events);
  const agg = s.market.agg;
  if (toInt256Wrapping(assets) > agg.poolCash)
    throw new EvmRevert("MarketPoolCannotPay", [assets, agg.poolCash]);
  agg.poolCash = ssub(agg.poolCash, toInt256Wrapping(assets));
  requireBacked(s, price, true);
  tripIf(trip);
  soladySafeTransfer(s.collateral, s.addresses.market, receiver, assets);
  events.push({
    contract: "market",
    name: "PoolWithdrawn",
    args: { receiver: normalizeAddress(receiver), assets },
  });
  selfCorrect(s, price, events);
}

/** `onPoolClaim`: the pool's settlement claim for `shares` of the snapshot supply. */
function poolClaimInner(s: SystemState, receiver: Address, shares: bigint, events: ModelEvent[]): bigint {
  if (s.market.mode !== Mode.Settlement) throw new EvmRevert("MarketNotInSettlement", [s.market.mode]);
  const st = finalised(s, events);
  const assets = soladyMulDiv(st.lpAssets, shares, st.poolShareSupply);
  paySettlement(s, receiver, assets);
  events.push({
    contract: "market",
    name: "PoolClaimed",
    args: { receiver: normalizeAddress(receiver), shares, assets },
  });
  return assets;
}

/**
 * The market as the pool sees it, inside transaction `s`. `tripped` collects a trip of a hook's self-call
 * (the pool then returns 0 and the transaction succeeds).
 */
function poolMarket(s: SystemState, events: ModelEvent[], tripped: { trip?: Trip } = {}): PoolMarket {
  const requirePool = () => {
    const p = s.market.pool;
    if (p === zeroAddress || normalizeAddress(p) !== normalizeAddress(s.addresses.pool)) {
      throw new EvmRevert("MarketOnlyPool");
    }
  };
  return {
    refresh: () => refresh(s, events),
    poolEquity: () => poolEquity(s),
    insurance: () => s.market.agg.insurance,
    poolQuote: () => poolQuote(s),
    lpGap: () => lpGap(s),
    onPoolDeposit: (assets) => {
      requirePool();
      const g = guarded(s, events, executeSelectors.poolDeposit, (inner, ev) => {
        const before = credits(inner);
        poolDepositInner(inner, assets, ev);
        checkInvariants(inner, before, toInt256Wrapping(assets), false, 0n);
      });
      if (!g.committed) tripped.trip = g.trip;
      return g.committed;
    },
    onPoolWithdraw: (receiver, assets) => {
      requirePool();
      const g = guarded(s, events, executeSelectors.poolWithdraw, (inner, ev) => {
        const before = credits(inner);
        poolWithdrawInner(inner, receiver, assets, ev);
        checkInvariants(inner, before, sneg(toInt256Wrapping(assets)), false, 0n);
      });
      if (!g.committed) tripped.trip = g.trip;
      return g.committed;
    },
    onPoolClaim: (receiver, shares) => {
      requirePool();
      return poolClaimInner(s, receiver, shares, events);
    },
  };
}

/* REFRESH AND THE BREAKER'S RESET */

/** `refresh()`: funding, the oracle round, the breaker's reset, and state-based tightening. */
function refresh(s: SystemState, events: ModelEvent[]): void {
  if (s.market.mode === Mode.Settlement) return; // funding and prices are frozen at the snapshot
  const r = oracleUpdate(s.oracle, s.feeds, s.now, events);
  accrueFunding(s, r.lastGoodPrice);
  if ((s.market.haltFlags & HaltFlag.Breaker) !== 0) advanceBreakerReset(s, r.class, r.roundId, events);
  selfCorrect(s, r.lastGoodPrice, events);
}

/** `MarketSafety.advanceBreakerReset`: only a bad new round breaks the streak. */
function advanceBreakerReset(s: SystemState, cls: OracleClass, round: bigint, events: ModelEvent[]): void {
  const m = s.market;
  if (cls !== OracleClass.Valid) {
    if (isBadRound(cls) && round > m.streakRound) {
      m.validStreak = 0;
      m.streakRound = round;
    }
    return;
  }
  // The streak saturates: refreshes during the cooldown must never overflow it into a revert.
  if (round > m.streakRound && m.validStreak < UINT8_MAX) {
    m.streakRound = round;
    m.validStreak += 1;
  }
  if (
    m.validStreak < m.safety.breakerValidReadings ||
    s.now < m.breakerAt + BigInt(m.safety.breakerCooldown)
  ) {
    return;
  }
  m.haltFlags &= ~HaltFlag.Breaker;
  m.validStreak = 0;
  // Only the breaker's own halt resets itself; any other cause keeps the market Halted.
  if (m.haltFlags === 0) setMode(s, m.resumeMode, Cause.BreakerReset, events);
}

/** `MarketSafety.isBadRound`: evidence of a bad price, as opposed to a reading that is merely old or voided. */
export function isBadRound(c: OracleClass): boolean {
  return (
    c === OracleClass.NonPositive ||
    c === OracleClass.AtBounds ||
    c === OracleClass.Diverged ||
    c === OracleClass.TooVolatile
  );
}

/** The breaker's streak counter is a uint8. */
const UINT8_MAX = 255;

/* INSURANCE */

function fundInsuranceInner(s: SystemState, from: Address, amount: bigint, events: ModelEvent[]): void {
  if (amount === 0n) throw new EvmRevert("MarketZeroAmount");
  // After the snapshot nothing can reach the insurance sub-fund: the tokens would be stranded.
  if (s.market.mode === Mode.Settlement)
    throw new EvmRevert("MarketNotAllowed", [Action.Deposit, s.market.mode]);
  soladySafeTransferFrom(s.collateral, s.addresses.market, from, s.addresses.market, amount);
  s.market.agg.insurance = uadd(s.market.agg.insurance, amount);
  events.push({
    contract: "market",
    name: "InsuranceFunded",
    args: { from: normalizeAddress(from), amount },
  });
}

/* GOVERNANCE */

/** `_setRiskParams`'s checks: a bounded step from `old` per field (`stepWithin`), then the bounds. */
export function validateRiskParams(old: RiskParams, r: RiskParams): void {
  const keys = [
    "tradingFee",
    "insuranceFeeShare",
    "liquidationPenalty",
    "keeperRewardShare",
    "maxFundingRate",
    "minBacking",
    "skewScale",
    "maxOpenInterest",
  ] as const;
  const firstStep: Record<(typeof keys)[number], bigint> = {
    tradingFee: FIRST_STEP.fee,
    insuranceFeeShare: FIRST_STEP.fraction,
    liquidationPenalty: FIRST_STEP.penalty,
    keeperRewardShare: FIRST_STEP.fraction,
    maxFundingRate: FIRST_STEP.fundingRate,
    minBacking: FIRST_STEP.fraction,
    skewScale: 0n,
    maxOpenInterest: 0n,
  };
  if (keys.some((key) => !stepWithin(old[key], r[key], firstStep[key]))) {
    throw new EvmRevert("MarketStepTooLarge");
  }
  if (
    r.tradingFee > 5n * 10n ** 16n ||
    r.insuranceFeeShare > WAD ||
    r.liquidationPenalty > 2n * 10n ** 17n ||
    r.keeperRewardShare > WAD ||
    r.maxFundingRate > 10n ** 14n ||
    r.minBacking > 10n * WAD ||
    r.skewScale === 0n ||
    r.maxOpenInterest === 0n
  ) {
    throw new EvmRevert("MarketBadParams");
  }
}

/** `MarketParams.checkSafetySteps`; `collateralUnit` is one whole collateral token (10^decimals). */
export function validateSafetySteps(o: SafetyParams, p: SafetyParams, collateralUnit: bigint): void {
  const B = BigInt;
  if (
    !stepWithin(o.insuranceFloor, p.insuranceFloor, FIRST_STEP.floorTokens * collateralUnit) ||
    !stepWithin(B(o.maxHaltDuration), B(p.maxHaltDuration), 0n) ||
    !stepWithin(B(o.settlementWindow), B(p.settlementWindow), 0n) ||
    !stepWithin(B(o.breakerCooldown), B(p.breakerCooldown), FIRST_STEP.duration) ||
    !stepWithin(B(o.breakerValidReadings), B(p.breakerValidReadings), 0n) ||
    !stepWithin(o.cautiousImMultiplier, p.cautiousImMultiplier, 0n) ||
    !stepWithin(o.cautiousOiFactor, p.cautiousOiFactor, FIRST_STEP.fraction) ||
    !stepWithin(o.warningBand, p.warningBand, FIRST_STEP.fraction)
  ) {
    throw new EvmRevert("MarketStepTooLarge");
  }
}

/**
 * `_setSafetyParams`'s checks: the bounds, then (after the constructor's write: `from` given) the steps from the
 * current parameters, then the owner timelock's delay against the exit window.
 */
export function validateSafetyParams(
  p: SafetyParams,
  ownerMinDelay: bigint | null,
  from?: { params: SafetyParams; collateralUnit: bigint },
): void {
  const HOUR = 3_600;
  const DAYS_30 = 30 * 86_400;
  if (
    p.maxHaltDuration < HOUR ||
    p.maxHaltDuration > DAYS_30 ||
    p.settlementWindow < HOUR ||
    p.settlementWindow > DAYS_30 ||
    p.breakerValidReadings === 0 ||
    p.cautiousImMultiplier < WAD ||
    p.cautiousImMultiplier > 5n * WAD ||
    p.cautiousOiFactor > WAD ||
    p.warningBand > WAD ||
    // The breaker must be able to reset well before the exit opens: no trip may become terminal by itself.
    2 * p.breakerCooldown > p.maxHaltDuration
  ) {
    throw new EvmRevert("MarketBadParams");
  }
  if (from) validateSafetySteps(from.params, p, from.collateralUnit);
  requireExitWindow(ownerMinDelay, BigInt(p.maxHaltDuration + p.settlementWindow));
}

/** `_requireExitWindow`: a timelock owner's delay must cover the exit window; other owners are skipped. */
function requireExitWindow(minDelay: bigint | null, exitWindow: bigint): void {
  if (minDelay !== null && minDelay < exitWindow) {
    throw new EvmRevert("MarketTimelockTooShort", [minDelay, exitWindow]);
  }
}

/**
 * The market's `onlyOwner` (`_checkOwner`): the owner, and the owner's timelock delay (if it is one) still
 * covering the exit window, so that a timelock that shortened its delay cannot act.
 */
function requireMarketOwner(s: SystemState, caller: Address): void {
  requireOwner(s.addresses.owner, caller);
  const p = s.market.safety;
  requireExitWindow(s.ownerMinDelay, BigInt(p.maxHaltDuration + p.settlementWindow));
}

/** `_requireOpen`: a parameter change never lands on users locked in a halt. */
function requireOpen(s: SystemState): void {
  if (s.market.mode >= Mode.Halted) throw new EvmRevert("MarketChangeWhileHalted", [s.market.mode]);
}

function requireOwner(owner: Address, caller: Address): void {
  if (normalizeAddress(owner) !== normalizeAddress(caller)) {
    throw new EvmRevert("OwnableUnauthorizedAccount", [normalizeAddress(caller)]);
  }
}

/* SETTLEMENT */

function settleInner(s: SystemState, caller: Address, events: ModelEvent[]): SettlementSnapshot {
  const m = s.market;
  if (m.mode === Mode.Settlement) throw new EvmRevert("MarketNotSettleable");
  const exit = m.mode === Mode.Halted && s.now >= exitOpensAt(s);
  const byOwner = normalizeAddress(caller) === normalizeAddress(s.addresses.owner);
  if (!exit) {
    // Governance may settle at any time, as long as its own delay still covers the exit window.
    if (!byOwner) throw new EvmRevert("MarketNotSettleable");
    requireExitWindow(s.ownerMinDelay, BigInt(m.safety.maxHaltDuration + m.safety.settlementWindow));
  }
  const price = syncFunding(s);
  const agg = m.agg;
  const st = m.settlement;
  const eq = poolEquityAt(m, price, agg.fundingIndex);
  const assets = uadd(uadd(agg.totalMargin, agg.insurance), agg.poolCash > 0n ? agg.poolCash : 0n);
  st.price = price;
  st.fundingIndex = agg.fundingIndex;
  st.longOpenInterest = agg.longOpenInterest;
  st.shortOpenInterest = agg.shortOpenInterest;
  st.insurance = agg.insurance;
  st.poolEquity = eq;
  st.assets = assets;
  st.idleMargin = agg.idleMargin;
  // The traders' figure is the remainder: it rounds up against the per-account sum (a conservative ratio).
  st.traderEquity = ssub(
    ssub(ssub(toInt256Wrapping(assets), toInt256Wrapping(agg.idleMargin)), eq),
    agg.insurance,
  );
  st.poolShareSupply = s.shares.totalSupply;
  st.settledAt = s.now;
  st.claimsOpenAt = s.now + BigInt(m.safety.settlementWindow);
  setMode(s, Mode.Settlement, byOwner ? Cause.Governance : Cause.HaltedTooLong, events);
  events.push({
    contract: "market",
    name: "Settled",
    args: { price, assets, poolEquity: eq, traderEquity: st.traderEquity },
  });
  return { ...st };
}

function realiseInner(s: SystemState, account: Address, events: ModelEvent[]): bigint {
  const m = s.market;
  const st = m.settlement;
  if (m.mode !== Mode.Settlement) throw new EvmRevert("MarketNotInSettlement", [m.mode]);
  if (s.now >= st.claimsOpenAt) throw new EvmRevert("MarketRealiseWindowClosed", [st.claimsOpenAt]);
  const a = accountRef(s, account);
  const key = normalizeAddress(account);
  if (a.size === 0n) throw new EvmRevert("MarketNoPosition");
  if (m.claimed.has(key)) throw new EvmRevert("MarketAlreadyRealised");
  const eq = settledEquity(s, a);
  if (eq >= 0n) throw new EvmRevert("MarketNotLiquidatable", [eq, 0n]);
  st.deficit = uadd(st.deficit, -eq);
  m.claimed.add(key);
  events.push({ contract: "market", name: "AccountRealised", args: { account: key, equity: eq } });
  return eq;
}

function claimInner(s: SystemState, account: Address, events: ModelEvent[]): bigint {
  const m = s.market;
  const key = normalizeAddress(account);
  if (m.mode !== Mode.Settlement) throw new EvmRevert("MarketNotInSettlement", [m.mode]);
  if (m.claimed.has(key)) throw new EvmRevert("MarketAlreadyClaimed");
  const a = accountRef(s, account);
  let amount: bigint;
  if (a.size === 0n) {
    // Margin without exposure is paid in full at once: it never shares a loss.
    amount = a.margin > 0n ? a.margin : 0n;
    creditMargin(s, a, sneg(a.margin));
  } else {
    const st = finalised(s, events);
    const eq = settledEquity(s, a);
    amount = eq > 0n ? mulWad(eq, st.traderRatio) : 0n;
  }
  m.claimed.add(key);
  paySettlement(s, account, amount);
  events.push({ contract: "market", name: "Claimed", args: { account: key, amount } });
  return amount;
}

/** `_finalised`: fixes the claim ratio once, after the realisation window. */
function finalised(s: SystemState, events: ModelEvent[]): SettlementSnapshot {
  const st = s.market.settlement;
  if (st.finalised) return st;
  const opensAt = st.claimsOpenAt;
  if (s.now < opensAt) throw new EvmRevert("MarketSettlementPending", [opensAt]);
  const available = usub(st.assets, st.idleMargin);
  const owed = sadd(st.traderEquity, toInt256Wrapping(st.deficit));
  const needed = owed > 0n ? owed : 0n;
  if (available >= needed) {
    st.traderRatio = WAD;
    st.lpAssets = available - needed;
  } else {
    st.traderRatio = divWad(available, needed);
    st.lpAssets = 0n;
  }
  st.finalised = true;
  events.push({
    contract: "market",
    name: "SettlementFinalised",
    args: { deficit: st.deficit, traderRatio: st.traderRatio, lpAssets: st.lpAssets },
  });
  return st;
}

function settledEquity(s: SystemState, a: MarginAccount): bigint {
  const m = s.market;
  const owed = ceilDiv(smul(a.size, ssub(m.settlement.fundingIndex, a.fundingIndex)), m.valueDivisor);
  return ssub(equity(m, a, m.settlement.price), owed);
}

/** `_paySettlement`: never past what the market held at the snapshot, unclaimed idle margin kept aside. */
function paySettlement(s: SystemState, to: Address, amount: bigint): void {
  const m = s.market;
  const paid = uadd(m.settlementPaid, amount);
  const cap = usub(m.settlement.assets, m.agg.idleMargin);
  if (paid > cap) throw new EvmRevert("MarketSettlementExhausted", [paid, cap]);
  m.settlementPaid = paid;
  if (amount !== 0n) soladySafeTransfer(s.collateral, s.addresses.market, to, amount);
}

/* VIEWS (all at block time `s.now`) */

/** The permission table by mode alone (`allows` outside a breaker-only halt). */
export function allows(mode: Mode, action: Action): boolean {
  return (
    mode <= Mode.Cautious ||
    (mode === Mode.ReduceOnly && action !== Action.Increase && action !== Action.LpDeposit) ||
    (mode === Mode.Halted && action === Action.Deposit)
  );
}

/**
 * `allows` with the market's state: a halt the breaker alone holds allows liquidations once its cooldown has
 * passed (`_liquidatesInHalt`).
 */
export function allowsIn(s: SystemState, action: Action): boolean {
  const m = s.market;
  if (allows(m.mode, action)) return true;
  return (
    m.mode === Mode.Halted &&
    action === Action.Liquidate &&
    m.haltFlags === HaltFlag.Breaker &&
    s.now >= m.breakerAt + BigInt(m.safety.breakerCooldown)
  );
}

/** `MarketSafety.GOVERNANCE_GRACE`: a day after governance's own delay before the permissionless exit. */
export const GOVERNANCE_GRACE = 86_400n;

/** `exitOpensAt`: haltedAt + max(maxHaltDuration, the owner timelock's delay + GOVERNANCE_GRACE). */
export function exitOpensAt(s: SystemState): bigint {
  const m = s.market;
  const governance = (s.ownerMinDelay ?? 0n) + GOVERNANCE_GRACE;
  const maxHalt = BigInt(m.safety.maxHaltDuration);
  return m.haltedAt + (governance > maxHalt ? governance : maxHalt);
}

export function fundingRate(m: MarketStorage): bigint {
  const rate = truncDiv(smul(m.agg.netSize, m.risk.maxFundingRate), m.risk.skewScale);
  const cap = m.risk.maxFundingRate;
  return max(min(rate, cap), -cap);
}

export function currentFundingIndex(s: SystemState): bigint {
  return fundingIndexAt(s, s.oracle.lastGoodPrice);
}

/** Pool equity at the last good price, funding to now included. */
export function poolEquity(s: SystemState): bigint {
  return poolEquityAt(s.market, s.oracle.lastGoodPrice, currentFundingIndex(s));
}

export type AccountHealth = {
  equity: bigint;
  initialRequired: bigint;
  maintenanceRequired: bigint;
  notional: bigint;
};

export function accountHealth(s: SystemState, account: Address): AccountHealth {
  const price = s.oracle.lastGoodPrice;
  const a = accountOf(s, account);
  const owed = ceilDiv(smul(a.size, ssub(currentFundingIndex(s), a.fundingIndex)), s.market.valueDivisor);
  const eq = ssub(equity(s.market, a, price), owed);
  const n = notional(s.market, a.size, price);
  return {
    equity: eq,
    initialRequired: mulWadUp(n, s.oracle.initialMargin),
    maintenanceRequired: mulWadUp(n, s.oracle.maintenanceMargin),
    notional: n,
  };
}

/** `poolWithdrawable()`: spare equity above the backing, and no more than the cash above it. */
export function poolWithdrawable(s: SystemState): bigint {
  if (!allows(s.market.mode, Action.LpWithdraw)) return 0n;
  const m = s.market;
  const price = s.oracle.lastGoodPrice;
  const index = currentFundingIndex(s);
  return lpRoom(m, poolEquityAt(m, price, index), price, index, paidInWindow(s));
}

/**
 * `_lpRoom`: what LPs can take out at `price` and leave the pool backed, in equity and in cash beyond what it owes,
 * and the winners payable under the profit cap (`paid`: what the market's profit window already paid).
 */
function lpRoom(m: MarketStorage, eq: bigint, price: bigint, index: bigint, paid: bigint): bigint {
  const required = toInt256Wrapping(mulWadUp(notional(m, m.agg.netSize, price), m.risk.minBacking));
  const spare = ssub(eq, required);
  const owed = cashOwed(m, price, index);
  const cash = ssub(ssub(m.agg.poolCash, required), owed);
  const capped = ssub(eq, profitCapFloor(owed, paid));
  return max(min(min(spare, cash), capped), 0n);
}

/**
 * `_cashOwed`: what the pool would pay in cash if every position closed at `price` now — each side's unrealised
 * profit net of the funding it owes, per side (gross), not net across sides.
 */
function cashOwed(m: MarketStorage, price: bigint, index: bigint): bigint {
  const g = m.agg;
  const longs = g.longOpenInterest;
  return sadd(
    sideClaim(m, longs, g.longSizeTimesIndex, g.longOpenNotional, price, index),
    sideClaim(
      m,
      ssub(g.netSize, longs),
      ssub(g.sizeTimesIndex, g.longSizeTimesIndex),
      ssub(g.netOpenNotional, g.longOpenNotional),
      price,
      index,
    ),
  );
}

/** `_sideClaim`: size * (price - index) + sizeTimesIndex, over the divisor, rounded up, less the basis; at least 0. */
function sideClaim(
  m: MarketStorage,
  size: bigint,
  sti: bigint,
  basis: bigint,
  price: bigint,
  index: bigint,
): bigint {
  const claim = ssub(ceilDiv(sadd(smul(size, ssub(price, index)), sti), m.valueDivisor), basis);
  return claim > 0n ? claim : 0n;
}

export type PoolQuote = { equity: bigint; depositOpen: boolean; withdrawable: bigint };

/**
 * `poolQuote()`: the pool's figures as an LP action now finds them after its `refresh()` — equity at the price
 * the guard would accept now (peek) with funding accrued at it; deposit and exit only on a Valid reading and in
 * the mode refresh's self-correction would leave (a breaker reset is not foreseen).
 */
export function poolQuote(s: SystemState): PoolQuote {
  const m = s.market;
  let mode = m.mode;
  if (mode === Mode.Settlement) return { equity: poolEquity(s), depositOpen: false, withdrawable: 0n };
  const r = oraclePeek(s.oracle, s.feeds, s.now);
  const price = r.lastGoodPrice;
  const index = fundingIndexAt(s, price);
  const eq = poolEquityAt(m, price, index);
  // refresh's _selfCorrect at that price: a pool that cannot pay winners halts the market.
  if (sadd(eq, toInt256Wrapping(m.agg.insurance)) < 0n) mode = Mode.Halted;
  if (r.class !== OracleClass.Valid || mode > Mode.ReduceOnly) {
    return { equity: eq, depositOpen: false, withdrawable: 0n };
  }
  return {
    equity: eq,
    depositOpen: mode <= Mode.Cautious,
    withdrawable: lpRoom(m, eq, price, index, paidInWindow(s)),
  };
}

/**
 * LiquidityPool's `_lpGap`: the pool's equity with the traders' PnL at the guard's LP price less its equity at the price
 * an action would find after its refresh (0 in Settlement). Exits take the lower of the two, entries the higher.
 */
export function lpGap(s: SystemState): bigint {
  const m = s.market;
  if (m.mode === Mode.Settlement) return 0n;
  const mark = oraclePeek(s.oracle, s.feeds, s.now).lastGoodPrice;
  const lp = oracleLpPrice(s.oracle, s.now);
  // Only the traders' PnL depends on the price: the funding term cancels, whatever index both use.
  return ssub(poolEquityAt(m, lp, m.agg.fundingIndex), poolEquityAt(m, mark, m.agg.fundingIndex));
}

/* INTERNAL: PRICES AND FUNDING */

/** MarketSafety.UNTRUSTED_SHIELD: how long after the last good round an untrusted reading may shield an account. */
const UNTRUSTED_SHIELD = 6n * 3_600n;

/**
 * `_price`: reads the oracle for an action that trusts the price. A non-Valid reading trips the breaker
 * for a risk-adding action; a liquidation may proceed on a Stale, AtBounds or Diverged reading at the side of
 * (reading, last good) kinder to the account, or at the last good price once UNTRUSTED_SHIELD has passed since its
 * round; anything else is refused.
 */
function readPrice(
  s: SystemState,
  action: Action,
  side: bigint,
  events: ModelEvent[],
): { price: bigint; trip: OracleClass } {
  const r = oracleUpdate(s.oracle, s.feeds, s.now, events);
  accrueFunding(s, r.lastGoodPrice);
  const c = r.class;
  if (c === OracleClass.Valid) return { price: r.price, trip: c };
  if (action === Action.Liquidate && c !== OracleClass.SequencerDown && c !== OracleClass.GracePeriod) {
    // Past UNTRUSTED_SHIELD since the last good round, the reading shields no one: the last good price.
    if (r.price === 0n || s.now > s.oracle.lastGoodAt + UNTRUSTED_SHIELD) {
      return { price: r.lastGoodPrice, trip: OracleClass.Valid };
    }
    const price = side > 0n ? max(r.price, r.lastGoodPrice) : min(r.price, r.lastGoodPrice);
    return { price, trip: OracleClass.Valid };
  }
  if (
    (action === Action.Increase || action === Action.Withdraw || action === Action.LpWithdraw) &&
    isBadRound(c) &&
    r.roundId > s.oracle.lastRoundId
  ) {
    return { price: r.lastGoodPrice, trip: c };
  }
  throw new EvmRevert("MarketOracleNotValid", [c]);
}

/**
 * `MarketAccounting.settleLoss` behind `executeSettleLoss`: in a mode that allows reducing, at a Valid reading, the
 * account's unrealised loss (rounded against it, as in `equity`) moves from its margin to the pool's cash and its
 * basis becomes the position's value. Returns the margin left.
 */
function settleLossInner(s: SystemState, account: Address, events: ModelEvent[]): bigint {
  requireAllowed(s, Action.Reduce);
  const { price } = readPrice(s, Action.Reduce, 0n, events);
  const m = s.market;
  const a = accountRef(s, account);
  const pnl = ssub(floorDiv(smul(a.size, price), m.valueDivisor), a.openNotional);
  if (a.size === 0n || pnl >= 0n) throw new EvmRevert("MarketNoLossToSettle", [pnl]);
  a.openNotional = sadd(a.openNotional, pnl);
  m.agg.netOpenNotional = sadd(m.agg.netOpenNotional, pnl);
  if (a.size > 0n) m.agg.longOpenNotional = sadd(m.agg.longOpenNotional, pnl);
  creditMargin(s, a, pnl);
  m.agg.poolCash = ssub(m.agg.poolCash, pnl);
  if (a.margin < 0n) throw new EvmRevert("MarketAccountInsolvent", [a.margin]);
  events.push({
    contract: "market",
    name: "LossSettled",
    args: { account: normalizeAddress(account), loss: sneg(pnl) },
  });
  return a.margin;
}

/** `_tripIf`: the breaker trips (through the guarded frame) only for an action that passed its own checks. */
function tripIf(trip: OracleClass): void {
  if (trip !== OracleClass.Valid) throw new BreakerTripped(trip);
}

/** `_syncFunding`: for actions that do not trust the price: funding accrues at the last good price, no feed read. */
function syncFunding(s: SystemState): bigint {
  const price = s.oracle.lastGoodPrice;
  accrueFunding(s, price);
  return price;
}

function fundingIndexAt(s: SystemState, price: bigint): bigint {
  const dt = usub(s.now, s.market.agg.lastFundingTime);
  return sadd(s.market.agg.fundingIndex, smul(truncDiv(smul(fundingRate(s.market), price), WAD), dt));
}

function accrueFunding(s: SystemState, price: bigint): void {
  if (s.now === s.market.agg.lastFundingTime) return;
  s.market.agg.fundingIndex = fundingIndexAt(s, price);
  s.market.agg.lastFundingTime = s.now;
}

/**
 * `_settleFunding`: moves the funding owed since the last settlement between margin and pool cash. A
 * receivable the pool cannot pay in cash is deferred (the account keeps its index) unless `mustSettle`.
 */
function settleFunding(
  s: SystemState,
  account: Address,
  a: MarginAccount,
  mustSettle: boolean,
  events: ModelEvent[],
): void {
  const agg = s.market.agg;
  const index = agg.fundingIndex;
  const size = a.size;
  if (size !== 0n) {
    const delta = smul(size, ssub(index, a.fundingIndex));
    const owed = ceilDiv(delta, s.market.valueDivisor);
    if (owed < 0n && sneg(owed) > agg.poolCash) {
      if (mustSettle) throw new EvmRevert("MarketPoolCannotPay", [toUint256Wrapping(-owed), agg.poolCash]);
      return;
    }
    if (owed !== 0n) {
      creditMargin(s, a, sneg(owed));
      agg.poolCash = sadd(agg.poolCash, owed);
      events.push({
        contract: "market",
        name: "FundingSettled",
        args: { account: normalizeAddress(account), owed },
      });
    }
    agg.sizeTimesIndex = sadd(agg.sizeTimesIndex, delta);
    if (size > 0n) agg.longSizeTimesIndex = sadd(agg.longSizeTimesIndex, delta);
  }
  a.fundingIndex = index;
}

/* INTERNAL: POSITIONS */

function trade(s: SystemState, a: MarginAccount, delta: bigint, price: bigint): bigint {
  const m = s.market;
  const agg = m.agg;
  const size = a.size;
  const openNotional = a.openNotional;
  const newSize = sadd(size, delta);
  if (size === 0n && a.margin > 0n) agg.idleMargin = usub(agg.idleMargin, a.margin);
  let closing = 0n; // the part of delta that reduces |size|, same sign as delta
  if (size !== 0n && size > 0n !== delta > 0n) closing = abs(delta) >= abs(size) ? sneg(size) : delta;
  const opening = ssub(delta, closing);

  let basisRemoved = 0n;
  let realised = 0n;
  if (closing !== 0n) {
    // The basis leaves in proportion to the size closed; proceeds round against the trader.
    basisRemoved = closing === -size ? openNotional : truncDiv(smul(openNotional, sneg(closing)), size);
    const proceeds = floorDiv(smul(sneg(closing), price), m.valueDivisor);
    realised = ssub(proceeds, basisRemoved);
    creditMargin(s, a, realised);
    agg.poolCash = ssub(agg.poolCash, realised);
  }
  // Cost basis rounds up: a long pays a little more, a short receives a little less.
  const basisAdded = opening === 0n ? 0n : ceilDiv(smul(opening, price), m.valueDivisor);
  a.openNotional = sadd(ssub(openNotional, basisRemoved), basisAdded);
  agg.netOpenNotional = sadd(agg.netOpenNotional, ssub(basisAdded, basisRemoved));
  // The long side's parts: the closed basis leaves the old side, the opened joins the new.
  if (size > 0n) agg.longOpenNotional = ssub(agg.longOpenNotional, basisRemoved);
  if (newSize > 0n) agg.longOpenNotional = sadd(agg.longOpenNotional, basisAdded);

  if (size > 0n) agg.longOpenInterest = usub(agg.longOpenInterest, size);
  else agg.shortOpenInterest = usub(agg.shortOpenInterest, -size);
  if (newSize > 0n) agg.longOpenInterest = uadd(agg.longOpenInterest, newSize);
  else agg.shortOpenInterest = uadd(agg.shortOpenInterest, -newSize);
  agg.netSize = sadd(agg.netSize, delta);
  // sizeTimesIndex tracks sum(size * fundingIndex) at each account's own index.
  agg.sizeTimesIndex = sadd(agg.sizeTimesIndex, smul(delta, a.fundingIndex));
  const longPart = ssub(newSize > 0n ? newSize : 0n, size > 0n ? size : 0n);
  agg.longSizeTimesIndex = sadd(agg.longSizeTimesIndex, smul(longPart, a.fundingIndex));
  a.size = newSize;
  if (newSize === 0n && a.margin > 0n) agg.idleMargin = uadd(agg.idleMargin, a.margin);
  // The caller checks the cash (requirePoolCash) once the profit is capped.
  return realised;
}

/** `MarketAccounting.requirePoolCash`: a realised profit (after any cap) must not take the pool's cash below zero. */
function requirePoolCash(s: SystemState, paid: bigint): void {
  const cash = s.market.agg.poolCash;
  if (cash < 0n) throw new EvmRevert("MarketPoolCannotPay", [toUint256Wrapping(paid), sadd(cash, paid)]);
}

/**
 * `MarketAccounting.profitCapFloor`: the equity LP exits leave so that `owed` is payable in full under the cap, given
 * what the window already `paid`.
 */
export function profitCapFloor(owed: bigint, paid: bigint): bigint {
  if (owed === 0n) return 0n; // nobody owed: no room to keep
  return mulDiv(owed + paid, WAD, MAX_PROFIT_SHARE, "ceil"); // solady mulDivUp (no overflow here)
}

/** `MarketAccounting.MAX_PROFIT_SHARE` (WAD) and `PROFIT_WINDOW` (seconds). */
export const MAX_PROFIT_SHARE = 10n ** 17n;
export const PROFIT_WINDOW = 86_400n;

/** `MarketAccounting.paidInWindow`: what the market's current profit window paid (zero once it is over). */
function paidInWindow(s: SystemState): bigint {
  const w = s.market.profitWindow;
  return s.now >= w.start + PROFIT_WINDOW ? 0n : w.paid;
}

/**
 * `MarketAccounting.capProfit`: every close in the market's PROFIT_WINDOW shares one room, MAX_PROFIT_SHARE of the
 * pool's equity after the trade plus every winner's claim (the others' after the trade, and this profit) plus what
 * the window paid, less what the window paid. When the claims exceed the room, a close is paid the fraction
 * room / claims of its profit (pro rata); the rest goes back to the pool's cash.
 */
function capProfit(
  s: SystemState,
  account: Address,
  a: MarginAccount,
  realised: bigint,
  price: bigint,
  events: ModelEvent[],
): bigint {
  const m = s.market;
  if (s.now >= m.profitWindow.start + PROFIT_WINDOW) m.profitWindow = { start: s.now, paid: 0n };
  const w = m.profitWindow;
  const index = m.agg.fundingIndex;
  const claims = sadd(cashOwed(m, price, index), realised);
  const base = sadd(sadd(poolEquityAt(m, price, index), claims), w.paid);
  const room = base > 0n ? mulWad(base, MAX_PROFIT_SHARE) - w.paid : 0n;
  const paid = claims <= room ? realised : room > 0n ? mulDiv(realised, room, claims, "floor") : 0n;
  m.profitWindow = { start: w.start, paid: w.paid + paid };
  if (paid < realised) {
    creditMargin(s, a, paid - realised);
    m.agg.poolCash = sadd(m.agg.poolCash, realised - paid);
    events.push({
      contract: "market",
      name: "ProfitCapped",
      args: { account: normalizeAddress(account), realisedPnl: realised, paid },
    });
  }
  return paid;
}

/** `profitWindow()`: what the market's current profit window paid all winners (zero once over), and its start. */
export function profitWindow(s: SystemState): { paid: bigint; start: bigint } {
  return { paid: paidInWindow(s), start: s.market.profitWindow.start };
}

/** `MarketOrders.EXECUTION_WINDOW`: how long after its round's publication an order can still execute (0: its block). */
export const ORDER_EXECUTION_WINDOW = 0n;
/** `MarketOrders.EXPIRY`: an order not executed this long after its commit is cancelled (seconds). */
export const ORDER_EXPIRY = 3_600n;
/** `MarketOrders.MAX_IMMEDIACY_FEE` (WAD). */
export const MAX_IMMEDIACY_FEE = 10n ** 16n;

/** `TradePricing.MAX_TRADE_AGE` (seconds). */
export const MAX_TRADE_AGE = 300n;

/** `TradePricing.requireFresh`: a risk-increasing trade executes only at a round at most MAX_TRADE_AGE old. */
function requireFresh(now: bigint, updatedAt: bigint): void {
  const age = now - updatedAt;
  if (age > MAX_TRADE_AGE) throw new EvmRevert("MarketTradePriceTooOld", [age, MAX_TRADE_AGE]);
}

/**
 * `TradePricing.executionPrice`: buying at the higher of the mark and the stable price, selling at the lower;
 * `mustBeFresh` (a risk-increasing trade on a Valid reading) also refuses a round older than MAX_TRADE_AGE.
 */
function executionPrice(s: SystemState, mark: bigint, buying: boolean, mustBeFresh: boolean): bigint {
  const stable = oracleStablePrice(s.oracle, s.now);
  if (mustBeFresh) requireFresh(s.now, s.oracle.lastGoodAt);
  return buying ? max(mark, stable) : min(mark, stable);
}

/** `MarketAccounting.chargeFee`: the trading fee plus `premium` on the notional traded. */
function chargeFee(
  s: SystemState,
  a: MarginAccount,
  absDelta: bigint,
  price: bigint,
  premium: bigint,
): bigint {
  const risk = s.market.risk;
  const fee = mulWadUp(notional(s.market, absDelta, price), risk.tradingFee + premium);
  if (fee === 0n) return 0n;
  const toInsurance = mulWad(fee, risk.insuranceFeeShare);
  creditMargin(s, a, sneg(fee));
  s.market.agg.insurance = uadd(s.market.agg.insurance, toInsurance);
  s.market.agg.poolCash = sadd(s.market.agg.poolCash, fee - toInsurance);
  return fee;
}

/** `_creditMargin`: totalMargin counts positive margins; idleMargin those of accounts without a position. */
function creditMargin(s: SystemState, a: MarginAccount, amount: bigint): void {
  const before = a.margin;
  const after = sadd(before, amount);
  a.margin = after;
  const agg = s.market.agg;
  const pb = before > 0n ? before : 0n;
  const pa = after > 0n ? after : 0n;
  agg.totalMargin = uadd(usub(agg.totalMargin, pb), pa);
  if (a.size === 0n) agg.idleMargin = uadd(usub(agg.idleMargin, pb), pa);
}

/**
 * From Cautious on, the initial margin (for opening and for withdrawing) is raised. `profitCounts` is false for
 * value leaving the market (a withdrawal while open): the equity counts an unrealised loss, never a profit.
 */
function requireInitialMargin(s: SystemState, a: MarginAccount, price: bigint, profitCounts: boolean): void {
  let im = s.oracle.initialMargin;
  if (s.market.mode >= Mode.Cautious) im = mulWad(im, s.market.safety.cautiousImMultiplier);
  const required = mulWadUp(notional(s.market, a.size, price), im);
  let eq = equity(s.market, a, price);
  if (!profitCounts && eq > a.margin) eq = a.margin;
  if (eq < required) throw new EvmRevert("MarketInsufficientMargin", [eq, required]);
}

/** `_requireBacked`: pool equity of at least minBacking × net notional; LP exits must leave that much cash. */
function requireBacked(s: SystemState, price: bigint, cashToo: boolean): void {
  const m = s.market;
  const required = mulWadUp(notional(m, m.agg.netSize, price), m.risk.minBacking);
  const eq = poolEquityAt(m, price, m.agg.fundingIndex);
  if (eq < required) throw new EvmRevert("MarketInsufficientBacking", [eq, required]);
  if (cashToo) {
    const owed = cashOwed(m, price, m.agg.fundingIndex);
    const reserve = required + owed;
    if (m.agg.poolCash < reserve) throw new EvmRevert("MarketInsufficientBacking", [m.agg.poolCash, reserve]);
    const floor = profitCapFloor(owed, paidInWindow(s));
    if (eq < floor) throw new EvmRevert("MarketInsufficientBacking", [eq, floor]);
  }
}

/** `_selfCorrect`: a pool that cannot pay halts the market; one below its backing allows reductions only. */
function selfCorrect(s: SystemState, price: bigint, events: ModelEvent[]): void {
  const m = s.market;
  const eq = poolEquityAt(m, price, m.agg.fundingIndex);
  // Below backing is not a mode: increases and LP withdrawals that would leave the pool short are refused per action.
  if (sadd(eq, toInt256Wrapping(m.agg.insurance)) < 0n) {
    tighten(s, Mode.Halted, HaltFlag.Insolvent, Cause.PoolCannotPay, events);
  }
}

/** `_warnIfNear`: a MarginWarning when equity is within the warning band above maintenance. */
function warnIfNear(s: SystemState, account: Address, a: MarginAccount, price: bigint, events: ModelEvent[]) {
  const maintenance = mulWadUp(notional(s.market, a.size, price), s.oracle.maintenanceMargin);
  const eq = equity(s.market, a, price);
  if (eq < toInt256Wrapping(mulWad(maintenance, WAD + s.market.safety.warningBand))) {
    events.push({
      contract: "market",
      name: "MarginWarning",
      args: { account: normalizeAddress(account), equity: eq, maintenanceRequired: maintenance },
    });
  }
}

function requireAllowed(s: SystemState, action: Action): void {
  if (!allowsIn(s, action)) throw new EvmRevert("MarketNotAllowed", [action, s.market.mode]);
}

/** Equity at `price` with funding already settled: margin + unrealised PnL (rounded against the trader). */
function equity(m: MarketStorage, a: MarginAccount, price: bigint): bigint {
  return ssub(sadd(a.margin, floorDiv(smul(a.size, price), m.valueDivisor)), a.openNotional);
}

function notional(m: MarketStorage, size: bigint, price: bigint): bigint {
  return ceilDiv(smul(abs(size), price), m.valueDivisor);
}

function poolEquityAt(m: MarketStorage, price: bigint, index: bigint): bigint {
  const agg = m.agg;
  const fundingOwed = floorDiv(ssub(smul(agg.netSize, index), agg.sizeTimesIndex), m.valueDivisor);
  const traderPnl = ssub(ceilDiv(smul(agg.netSize, price), m.valueDivisor), agg.netOpenNotional);
  return ssub(sadd(agg.poolCash, fundingOwed), traderPnl);
}

/* INVARIANTS */

/** `_credits()`: what the market owes (margins, insurance, pool cash), signed. */
function credits(s: SystemState): bigint {
  const agg = s.market.agg;
  return sadd(toInt256Wrapping(uadd(agg.totalMargin, agg.insurance)), agg.poolCash);
}

/**
 * `_checkInvariants(creditsBefore, tokensIn, positions, touchedMargin)`: the credits move exactly with the
 * tokens the call took in or paid out; when tokens moved, the balance covers the credits; open interest after
 * calls that change positions; pool cash and the touched margin never negative.
 */
function checkInvariants(
  s: SystemState,
  creditsBefore: bigint,
  tokensIn: bigint,
  positions: boolean,
  touchedMargin: bigint,
): void {
  const agg = s.market.agg;
  const now = credits(s);
  const expected = sadd(creditsBefore, tokensIn);
  if (now !== expected) throw new InvariantBroken(Invariant.TokenConservation, expected, now);
  if (tokensIn !== 0n) {
    const balance = balanceOf(s.collateral, s.addresses.market);
    if (now > 0n && balance < now) {
      throw new InvariantBroken(Invariant.TokenConservation, now, toInt256Wrapping(balance));
    }
  }
  if (positions) {
    const oiDiff = ssub(agg.longOpenInterest, agg.shortOpenInterest);
    if (oiDiff !== agg.netSize) throw new InvariantBroken(Invariant.OpenInterest, agg.netSize, oiDiff);
  }
  if (agg.poolCash < 0n) throw new InvariantBroken(Invariant.PoolCash, 0n, agg.poolCash);
  if (touchedMargin < 0n) throw new InvariantBroken(Invariant.NoNegativeMargin, 0n, touchedMargin);
}

/* THE MODEL */

export type FeedName = "primary" | "secondary";

export type DeployModelParameters = {
  addresses: SystemAddresses;
  collateralDecimals?: number | undefined;
  risk?: RiskParams | undefined;
  /** The immediacy premium after deployment (SystemDeployer's setImmediacyFee; default 0, as BaseTest's). */
  immediacyFee?: bigint | undefined;
  /** The safety parameters after deployment (SystemDeployer's setSafetyParams; default Defaults'). */
  safety?: SafetyParams | undefined;
  guardian?: Address | undefined;
  /** See SystemState.ownerMinDelay (default null: the owner is not a timelock). */
  ownerMinDelay?: bigint | null | undefined;
  oracleParams?: OracleParams | undefined;
  initialVariance?: bigint | undefined;
  /** The guard's clamp (not the feeds'). */
  minAnswer?: bigint | undefined;
  maxAnswer?: bigint | undefined;
  feeds: {
    primary: CreateMockAggregatorParameters;
    secondary?: CreateMockAggregatorParameters | null | undefined;
    sequencer?: SequencerState | null | undefined;
  };
  /** The pool's outflow limiter (default Defaults'). */
  outflowWindow?: bigint | undefined;
  maxOutflow?: bigint | undefined;
  /** block.timestamp of the guard's and the market's deployments (the market's is its lastFundingTime). */
  timestamps: { oracle: bigint; market: bigint };
  /** Whether `market.setPool(addresses.pool)` ran (default true). */
  poolSet?: boolean | undefined;
};

export type DepositParameters = { account: Address; amount: bigint };
export type DepositEffects = { margin: bigint };
export type WithdrawParameters = { account: Address; amount: bigint };
export type WithdrawEffects = { margin: bigint };
export type ModifyPositionParameters = {
  account: Address;
  sizeDelta: bigint;
  priceLimit?: bigint | undefined;
};
export type ClosePositionParameters = { account: Address; priceLimit?: bigint | undefined };
export type LiquidateParameters = { account: Address; liquidator: Address };
export type SettleLossParameters = { account: Address };
export type FundInsuranceParameters = { from: Address; amount: bigint };
export type LpDepositParameters = { caller: Address; assets: bigint; receiver?: Address | undefined };
export type LpMintParameters = { caller: Address; shares: bigint; receiver?: Address | undefined };
export type LpWithdrawParameters = {
  caller: Address;
  assets: bigint;
  receiver?: Address | undefined;
  owner?: Address | undefined;
};
export type LpRedeemParameters = {
  caller: Address;
  shares: bigint;
  receiver?: Address | undefined;
  owner?: Address | undefined;
};
export type LpClaimParameters = { caller: Address; shares: bigint; receiver?: Address | undefined };
export type SnapshotParameters = {
  accounts: readonly Address[];
  /** Evaluate the views at this block time (default: the model's `now`); the chain's Lens reports its own. */
  timestamp?: bigint | undefined;
  blockNumber?: bigint | undefined;
};

type Empty = Record<string, never>;

/**
 * The reference model the harness drives next to the chain. Every action returns an `ActionResult`: what the
 * chain must do (effects, or a trip), or the exact custom error it must revert with. Call `warp(t)` with the
 * block time of the next transaction before each action.
 */
/**
 * `MarketOrders._atRound`: whether the trade's own guard update will read `round`. Reverts `MarketOrderNotReady`
 * while the round is neither accepted nor the feed's latest Valid reading; false when a later round was accepted or
 * is the latest Valid reading, or the round was published more than ORDER_EXECUTION_WINDOW ago.
 */
function orderAtRound(tx: SystemState, round: bigint): boolean {
  const last = tx.oracle.lastRoundId;
  let publishedAt: bigint;
  if (last >= round) {
    if (last > round) return false;
    publishedAt = tx.oracle.lastGoodAt;
  } else {
    const next = oracleClassify(tx.oracle, tx.feeds, tx.now);
    if (next.class !== OracleClass.Valid || next.roundId < round) {
      throw new EvmRevert("MarketOrderNotReady", [round, last]);
    }
    if (next.roundId > round) return false;
    publishedAt = next.updatedAt;
  }
  return tx.now <= publishedAt + ORDER_EXECUTION_WINDOW;
}

export class MarketModel {
  state: SystemState;

  constructor(state: SystemState) {
    this.state = state;
  }

  /**
   * Mirrors the deployment (script/SystemDeployer.sol): feeds, guard, market (and its setSafetyParams), pool,
   * setPool; optionally the guardian.
   */
  static deploy(parameters: DeployModelParameters): MarketModel {
    const addresses: SystemAddresses = {
      market: normalizeAddress(parameters.addresses.market),
      pool: normalizeAddress(parameters.addresses.pool),
      collateral: normalizeAddress(parameters.addresses.collateral),
      oracle: normalizeAddress(parameters.addresses.oracle),
      owner: normalizeAddress(parameters.addresses.owner),
    };
    const feeds = {
      primary: createMockAggregator(parameters.feeds.primary),
      secondary: parameters.feeds.secondary ? createMockAggregator(parameters.feeds.secondary) : null,
      sequencer: parameters.feeds.sequencer ?? null,
    };
    const oracle = createOracle({
      owner: addresses.owner,
      feeds,
      minAnswer: parameters.minAnswer ?? MIN_ANSWER,
      maxAnswer: parameters.maxAnswer ?? MAX_ANSWER,
      params: parameters.oracleParams ?? defaultOracleParams(),
      initialVariance: parameters.initialVariance ?? INITIAL_VARIANCE,
      timestamp: parameters.timestamps.oracle,
    });
    const decimals = parameters.collateralDecimals ?? COLLATERAL_DECIMALS;
    if (decimals > 18) throw new EvmRevert("MarketBadParams");
    const risk = parameters.risk ?? defaultRiskParams();
    validateRiskParams(risk, risk);
    const ownerMinDelay = parameters.ownerMinDelay ?? null;
    const safety = parameters.safety ?? defaultSafetyParams();
    validateSafetyParams(safety, ownerMinDelay, {
      params: constructorSafetyParams(),
      collateralUnit: 10n ** BigInt(decimals),
    });
    const outflowWindow = parameters.outflowWindow ?? OUTFLOW_WINDOW;
    const maxOutflow = parameters.maxOutflow ?? MAX_OUTFLOW;
    if (outflowWindow === 0n || maxOutflow === 0n || maxOutflow > WAD) throw new EvmRevert("PoolBadParams");
    const agg: Aggregates = {
      longOpenInterest: 0n,
      shortOpenInterest: 0n,
      netSize: 0n,
      netOpenNotional: 0n,
      sizeTimesIndex: 0n,
      totalMargin: 0n,
      poolCash: 0n,
      insurance: 0n,
      fundingIndex: 0n,
      lastFundingTime: parameters.timestamps.market,
      idleMargin: 0n,
      longOpenNotional: 0n,
      longSizeTimesIndex: 0n,
    };
    const collateral = createLedger();
    const poolSet = parameters.poolSet ?? true;
    // The pool's constructor approves the market for everything.
    if (poolSet) approve(collateral, addresses.pool, addresses.market, UINT256_MAX);
    return new MarketModel({
      now: parameters.timestamps.market,
      addresses,
      ownerMinDelay,
      market: {
        valueDivisor: 10n ** BigInt(36 - decimals),
        pool: poolSet ? addresses.pool : zeroAddress,
        mode: Mode.Normal,
        risk: { ...risk },
        agg,
        accounts: new Map(),
        profitWindow: { start: 0n, paid: 0n },
        guardian: normalizeAddress(parameters.guardian ?? zeroAddress),
        safety: { ...safety },
        haltedAt: 0n,
        haltFlags: 0,
        resumeMode: Mode.Normal,
        validStreak: 0,
        streakRound: 0n,
        breakerAt: 0n,
        settlement: emptySettlement(),
        settlementPaid: 0n,
        claimed: new Set(),
        immediacyFee: parameters.immediacyFee ?? 0n,
        orders: new Map(),
      },
      oracle,
      pool: { ...pool.emptyWindow(), outflowWindow, maxOutflow },
      feeds,
      collateral,
      shares: createLedger(),
    });
  }

  /** A deep copy, for what-if questions. */
  clone(): MarketModel {
    return new MarketModel(cloneState(this.state));
  }

  get now(): bigint {
    return this.state.now;
  }

  /** Sets block.timestamp for the following actions and views. Time never goes back. */
  warp(timestamp: bigint): void {
    if (timestamp < this.state.now)
      throw new RangeError(`warp: ${timestamp} is before now (${this.state.now})`);
    this.state.now = timestamp;
  }

  /* running a transaction */

  /**
   * Runs `body` on the transaction's frame and commits it, or drops it on a revert. `inPlace`: the frame is
   * the state itself, for a body that changes nothing before it can revert (guardedAction: its guarded frame
   * is a copy already, and only returns normally once it has written to the outer one), which saves a copy.
   */
  private transact<effects>(
    body: (tx: SystemState, events: ModelEvent[]) => { effects: effects } | { trip: Trip },
    inPlace = false,
  ): ActionResult<effects> {
    const tx = inPlace ? this.state : cloneState(this.state);
    const events: ModelEvent[] = [];
    let out: { effects: effects } | { trip: Trip };
    try {
      out = body(tx, events);
    } catch (error) {
      if (error instanceof EvmRevert && !isTripSignal(error)) {
        return { ok: false, error: error.errorName as RevertName, args: error.args };
      }
      throw error;
    }
    this.state = tx;
    return "trip" in out
      ? { ok: true, tripped: true, trip: out.trip, events }
      : { ok: true, tripped: false, effects: out.effects, events };
  }

  /** An action that is one guarded self-call of the market. */
  private guardedAction<effects>(
    action: `0x${string}`,
    body: (inner: SystemState, events: ModelEvent[]) => effects,
  ): ActionResult<effects> {
    return this.transact<effects>((tx, events) => {
      const g = guarded(tx, events, action, body);
      return g.committed ? { effects: g.value } : { trip: g.trip };
    }, true);
  }

  /** A call that changes state without a self-call (governance, settlement, refresh). */
  private plain<effects>(body: (tx: SystemState, events: ModelEvent[]) => effects): ActionResult<effects> {
    return this.transact((tx, events) => ({ effects: body(tx, events) }));
  }

  /* collateral token (MockERC20) */

  mint(parameters: { to: Address; amount: bigint }): ActionResult<Empty> {
    return this.plain((tx) => {
      mint(tx.collateral, parameters.to, parameters.amount);
      return {};
    });
  }

  approve(parameters: { owner: Address; spender: Address; amount: bigint }): ActionResult<Empty> {
    return this.plain((tx) => {
      approve(tx.collateral, parameters.owner, parameters.spender, parameters.amount);
      return {};
    });
  }

  /** A plain collateral transfer (e.g. a donation to the market or the pool). */
  transfer(parameters: { from: Address; to: Address; amount: bigint }): ActionResult<Empty> {
    return this.plain((tx) => {
      transfer(tx.collateral, parameters.from, parameters.to, parameters.amount);
      return {};
    });
  }

  /* LP share token */

  lpApprove(parameters: { owner: Address; spender: Address; shares: bigint }): ActionResult<Empty> {
    return this.plain((tx) => {
      approve(tx.shares, parameters.owner, parameters.spender, parameters.shares);
      return {};
    });
  }

  lpTransfer(parameters: { from: Address; to: Address; shares: bigint }): ActionResult<Empty> {
    return this.plain((tx) => {
      pool.transferShares(tx, parameters.from, parameters.to, parameters.shares);
      return {};
    });
  }

  /* feeds (MockAggregator setters) */

  private feed(tx: SystemState, name: FeedName): MockAggregatorState {
    const feed = name === "primary" ? tx.feeds.primary : tx.feeds.secondary;
    if (!feed) throw new Error(`the model has no ${name} feed`);
    return feed;
  }

  /** `setAnswer(answer)` (at block time) or `setAnswerAt(answer, updatedAt)`; returns the new round id. */
  setAnswer(parameters: { feed: FeedName; answer: bigint; updatedAt?: bigint | undefined }): bigint {
    const tx = this.state;
    return pushRound(this.feed(tx, parameters.feed), parameters.answer, parameters.updatedAt ?? tx.now);
  }

  /** `setReportedRound(roundId)` (0 clears the override). */
  setReportedRound(parameters: { feed: FeedName; roundId: bigint }): void {
    this.feed(this.state, parameters.feed).reportedRoundOverride = parameters.roundId;
  }

  setBounds(parameters: { feed: FeedName; minAnswer: bigint; maxAnswer: bigint }): void {
    const feed = this.feed(this.state, parameters.feed);
    feed.minAnswer = parameters.minAnswer;
    feed.maxAnswer = parameters.maxAnswer;
  }

  /**
   * The owner TimelockController's `updateDelay` (the timelock administers itself; the market is not told):
   * from now on the market's `getMinDelay()` staticcall answers `delay`. Ignored for an owner that is not a
   * timelock.
   */
  setOwnerMinDelay(parameters: { delay: bigint }): void {
    if (this.state.ownerMinDelay !== null) this.state.ownerMinDelay = parameters.delay;
  }

  /** Makes a feed's calls revert (or stop reverting). Not a MockAggregator feature; for non-mock feeds. */
  setFeedReverts(parameters: { feed: FeedName; reverts: boolean }): void {
    this.feed(this.state, parameters.feed).reverts = parameters.reverts;
  }

  setSequencer(parameters: SequencerState): void {
    if (!this.state.oracle.hasSequencer) throw new Error("the model's guard has no sequencer feed");
    this.state.feeds.sequencer = { ...parameters };
  }

  /** The feed's storage, read-only (the scenario layer sizes feed moves from it). */
  feedState(name: FeedName): Readonly<MockAggregatorState> {
    return this.feed(this.state, name);
  }

  /* traders */

  deposit(parameters: DepositParameters): ActionResult<DepositEffects> {
    const { account, amount } = parameters;
    return this.guardedAction(executeSelectors.deposit, (s, ev) => {
      const before = credits(s);
      const margin = depositInner(s, account, amount, ev);
      checkInvariants(s, before, toInt256Wrapping(amount), false, margin);
      return { margin };
    });
  }

  withdraw(parameters: WithdrawParameters): ActionResult<WithdrawEffects> {
    const { account, amount } = parameters;
    return this.guardedAction(executeSelectors.withdraw, (s, ev) => {
      const before = credits(s);
      const margin = withdrawInner(s, account, amount, ev);
      checkInvariants(s, before, sneg(toInt256Wrapping(amount)), false, margin);
      return { margin };
    });
  }

  modifyPosition(parameters: ModifyPositionParameters): ActionResult<ModifyEffects> {
    const { account, sizeDelta } = parameters;
    const priceLimit = parameters.priceLimit ?? 0n;
    return this.guardedAction(executeSelectors.modify, (s, ev) =>
      executeModify(s, account, sizeDelta, priceLimit, ev),
    );
  }

  /** `closePosition`: the size is read in the outer frame, so a flat account reverts MarketZeroSize. */
  closePosition(parameters: ClosePositionParameters): ActionResult<ModifyEffects> {
    return this.transact<ModifyEffects>((tx, events) => {
      const sizeDelta = sneg(accountOf(tx, parameters.account).size);
      const g = guarded(tx, events, executeSelectors.modify, (s, ev) =>
        executeModify(s, parameters.account, sizeDelta, parameters.priceLimit ?? 0n, ev),
      );
      return g.committed ? { effects: g.value } : { trip: g.trip };
    }, true); // only a read before the guarded frame (see transact's inPlace)
  }

  /** `commitOrder`: records the order for the primary round after the newest one anyone can know. */
  commitOrder(parameters: { account: Address; sizeDelta: bigint; priceLimit?: bigint }): ActionResult<Empty> {
    return this.plain((tx, events) => {
      const { sizeDelta } = parameters;
      if (sizeDelta === 0n) throw new EvmRevert("MarketZeroSize");
      const account = normalizeAddress(parameters.account);
      const pending = tx.market.orders.get(account);
      if (pending) throw new EvmRevert("MarketOrderPending", [pending.afterRound + 1n]);
      const peeked = oraclePeek(tx.oracle, tx.feeds, tx.now).roundId;
      const afterRound = max(peeked, tx.oracle.lastRoundId);
      const size = accountOf(tx, account).size;
      const reduceOnly = size !== 0n && size > 0n !== sizeDelta > 0n && abs(sizeDelta) <= abs(size);
      const priceLimit = parameters.priceLimit ?? 0n;
      tx.market.orders.set(account, { sizeDelta, afterRound, committedAt: tx.now, reduceOnly, priceLimit });
      events.push({
        contract: "market",
        name: "OrderCommitted",
        args: { account, sizeDelta, priceLimit, round: afterRound + 1n },
      });
      return {};
    });
  }

  /**
   * `executeOrder` (MarketOrders.execute): expiry and a reduce that would now increase cancel first; then the round
   * is judged without updating the guard (`orderAtRound`); otherwise the same guarded trade as executeModify at the
   * trading fee alone, whose business revert cancels and whose trip is committed and cancels. A cancel leaves the
   * guard as it was.
   */
  executeOrder(parameters: { account: Address; executor: Address }): ActionResult<ModifyEffects | Empty> {
    return this.transact<ModifyEffects | Empty>((tx, events) => {
      const account = normalizeAddress(parameters.account);
      const o = tx.market.orders.get(account);
      if (!o) throw new EvmRevert("MarketNoOrder");
      const round = o.afterRound + 1n;
      const size = accountOf(tx, account).size;
      let refused: string;
      let out: { effects: ModifyEffects | Empty } | { trip: Trip } = { effects: {} };
      if (tx.now > o.committedAt + ORDER_EXPIRY) refused = "MarketOrderExpired";
      else if (
        o.reduceOnly &&
        (size === 0n || size > 0n === o.sizeDelta > 0n || abs(o.sizeDelta) > abs(size))
      ) {
        refused = "MarketOrderWouldIncrease";
      } else {
        if (!orderAtRound(tx, round)) refused = "MarketOrderLapsed";
        else {
          try {
            const g = guarded(tx, events, executeSelectors.modify, (s, ev) =>
              executeModify(s, account, o.sizeDelta, o.priceLimit, ev, 0n),
            );
            if (g.committed) {
              tx.market.orders.delete(account);
              events.push({
                contract: "market",
                name: "OrderExecuted",
                args: { account, executor: normalizeAddress(parameters.executor), round },
              });
              return { effects: g.value };
            }
            out = { trip: g.trip };
            refused = g.trip.kind === "invariant" ? "MarketInvariantBroken" : "MarketBreakerTripped";
          } catch (error) {
            if (!(error instanceof EvmRevert)) throw error;
            refused = error.errorName;
          }
        }
      }
      tx.market.orders.delete(account);
      events.push({ contract: "market", name: "OrderCancelled", args: { account, round, reason: refused } });
      return out;
    });
  }

  liquidate(parameters: LiquidateParameters): ActionResult<LiquidateEffects> {
    return this.guardedAction(executeSelectors.liquidate, (s, ev) => {
      const before = credits(s);
      const { margin, ...effects } = liquidateInner(s, parameters.account, parameters.liquidator, ev);
      checkInvariants(s, before, sneg(toInt256Wrapping(effects.reward)), true, margin);
      return effects;
    });
  }

  /** `settleLoss(account)`: a loser's unrealised loss at the trusted price moves from its margin to the pool's cash. */
  settleLoss(parameters: SettleLossParameters): ActionResult<Empty> {
    return this.guardedAction(executeSelectors.settleLoss, (s, ev) => {
      const before = credits(s);
      const margin = settleLossInner(s, parameters.account, ev);
      checkInvariants(s, before, 0n, false, margin);
      return {};
    });
  }

  fundInsurance(parameters: FundInsuranceParameters): ActionResult<Empty> {
    return this.guardedAction(executeSelectors.fundInsurance, (s, ev) => {
      const before = credits(s);
      fundInsuranceInner(s, parameters.from, parameters.amount, ev);
      checkInvariants(s, before, toInt256Wrapping(parameters.amount), false, 0n);
      return {};
    });
  }

  /**
   * `refresh()`: not a self-call; reads the oracle (accepting a new Valid round), accrues funding, advances
   * the breaker's reset, and tightens on the pool's state. A no-op in Settlement.
   */
  refresh(): ActionResult<Empty> {
    return this.plain((tx, events) => {
      refresh(tx, events);
      return {};
    });
  }

  /** `oracle.update()` called directly (anyone may). */
  updateOracle(): ActionResult<{ reading: PriceReading }> {
    return this.plain((tx, events) => ({ reading: oracleUpdate(tx.oracle, tx.feeds, tx.now, events) }));
  }

  /* LPs (LiquidityPool) */

  private poolAction<effects>(
    body: (tx: SystemState, market: PoolMarket, events: ModelEvent[]) => effects,
  ): ActionResult<effects> {
    return this.transact<effects>((tx, events) => {
      const tripped: { trip?: Trip } = {};
      const effects = body(tx, poolMarket(tx, events, tripped), events);
      // The market refused (rolled back and halted): the pool returned 0 and emitted ActionRefusedByMarket.
      return tripped.trip ? { trip: tripped.trip } : { effects };
    });
  }

  lpDeposit(parameters: LpDepositParameters): ActionResult<{ shares: bigint }> {
    const receiver = parameters.receiver ?? parameters.caller;
    return this.poolAction((tx, market, ev) => ({
      shares: pool.deposit(
        tx,
        market,
        { caller: parameters.caller, receiver, assets: parameters.assets },
        ev,
      ),
    }));
  }

  lpMint(parameters: LpMintParameters): ActionResult<{ assets: bigint }> {
    const receiver = parameters.receiver ?? parameters.caller;
    return this.poolAction((tx, market, ev) => ({
      assets: pool.mintShares(
        tx,
        market,
        { caller: parameters.caller, receiver, shares: parameters.shares },
        ev,
      ),
    }));
  }

  lpWithdraw(parameters: LpWithdrawParameters): ActionResult<{ shares: bigint }> {
    const { caller, assets } = parameters;
    const receiver = parameters.receiver ?? caller;
    const owner = parameters.owner ?? caller;
    return this.poolAction((tx, market, ev) => ({
      shares: pool.withdraw(tx, market, { caller, receiver, owner, assets }, ev),
    }));
  }

  lpRedeem(parameters: LpRedeemParameters): ActionResult<{ assets: bigint }> {
    const { caller, shares } = parameters;
    const receiver = parameters.receiver ?? caller;
    const owner = parameters.owner ?? caller;
    return this.poolAction((tx, market, ev) => ({
      assets: pool.redeem(tx, market, { caller, receiver, owner, shares }, ev),
    }));
  }

  /** `pool.claimSettlement(shares, receiver)`: in Settlement, burns shares for their fixed share of lpAssets. */
  lpClaim(parameters: LpClaimParameters): ActionResult<{ assets: bigint }> {
    const receiver = parameters.receiver ?? parameters.caller;
    return this.poolAction((tx, market, ev) => ({
      assets: pool.claimSettlement(
        tx,
        market,
        { caller: parameters.caller, receiver, shares: parameters.shares },
        ev,
      ),
    }));
  }

  /* safety and governance */

  /** `escalate(to)`: the guardian moves the market to a stricter mode, up to Halted. */
  escalate(parameters: { caller: Address; to: Mode }): ActionResult<Empty> {
    return this.plain((tx, events) => {
      const m = tx.market;
      if (normalizeAddress(parameters.caller) !== normalizeAddress(m.guardian)) {
        throw new EvmRevert("MarketOnlyGuardian");
      }
      const { to } = parameters;
      // Escalating to Halted while already Halted pins the halt: the breaker's own reset no longer reopens it.
      const pin = to === Mode.Halted && m.mode === Mode.Halted && (m.haltFlags & HaltFlag.Guardian) === 0;
      if ((to <= m.mode && !pin) || to > Mode.Halted) throw new EvmRevert("MarketNotTighter", [m.mode, to]);
      tighten(tx, to, to === Mode.Halted ? HaltFlag.Guardian : 0, Cause.Guardian, events);
      return {};
    });
  }

  /** `setMode(to)` (owner): looser or stricter, not Settlement; clears every halt cause. */
  setMode(parameters: { caller: Address; to: Mode }): ActionResult<Empty> {
    return this.plain((tx, events) => {
      requireMarketOwner(tx, parameters.caller);
      const m = tx.market;
      if (parameters.to === Mode.Settlement || m.mode === Mode.Settlement) {
        throw new EvmRevert("MarketModeNotSettable", [m.mode, parameters.to]);
      }
      m.haltFlags = 0;
      m.validStreak = 0;
      setMode(tx, parameters.to, Cause.Governance, events);
      return {};
    });
  }

  setGuardian(parameters: { caller: Address; guardian: Address }): ActionResult<Empty> {
    return this.plain((tx, events) => {
      requireMarketOwner(tx, parameters.caller);
      tx.market.guardian = normalizeAddress(parameters.guardian);
      events.push({ contract: "market", name: "GuardianSet", args: { guardian: tx.market.guardian } });
      return {};
    });
  }

  setSafetyParams(parameters: { caller: Address; params: SafetyParams }): ActionResult<Empty> {
    return this.plain((tx, events) => {
      requireMarketOwner(tx, parameters.caller);
      requireOpen(tx);
      validateSafetyParams(parameters.params, tx.ownerMinDelay, {
        params: tx.market.safety,
        collateralUnit: 10n ** 36n / tx.market.valueDivisor,
      });
      tx.market.safety = { ...parameters.params };
      events.push({
        contract: "market",
        name: "SafetyParamsUpdated",
        args: { params: { ...parameters.params } },
      });
      return {};
    });
  }

  /** `setImmediacyFee`: only the owner, while open; at most MAX_IMMEDIACY_FEE. */
  setImmediacyFee(parameters: { caller: Address; fee: bigint }): ActionResult<Empty> {
    return this.plain((tx, events) => {
      requireMarketOwner(tx, parameters.caller);
      requireOpen(tx);
      if (parameters.fee > MAX_IMMEDIACY_FEE) throw new EvmRevert("MarketBadParams");
      tx.market.immediacyFee = parameters.fee;
      events.push({ contract: "market", name: "ImmediacyFeeSet", args: { fee: parameters.fee } });
      return {};
    });
  }

  setRiskParams(parameters: { caller: Address; params: RiskParams }): ActionResult<Empty> {
    return this.plain((tx, events) => {
      requireMarketOwner(tx, parameters.caller);
      requireOpen(tx);
      // Funding up to now accrues at the old rate: a new rate never reaches back in time.
      accrueFunding(tx, tx.oracle.lastGoodPrice);
      validateRiskParams(tx.market.risk, parameters.params);
      tx.market.risk = { ...parameters.params };
      events.push({
        contract: "market",
        name: "RiskParamsUpdated",
        args: { params: { ...parameters.params } },
      });
      return {};
    });
  }

  setOracleParams(parameters: { caller: Address; params: OracleParams }): ActionResult<Empty> {
    return this.plain((tx, events) => {
      requireOwner(tx.oracle.owner, parameters.caller);
      validateOracleParamsStep(tx.oracle.params, parameters.params);
      validateOracleParams(parameters.params);
      tx.oracle.params = { ...parameters.params };
      events.push({
        contract: "oracle",
        name: "OracleParamsUpdated",
        args: { params: { ...parameters.params } },
      });
      applyParamsToMargins(tx.oracle);
      return {};
    });
  }

  /* settlement */

  /** `settle()`: the owner at any time, anyone once Halted for maxHaltDuration. Takes the snapshot. */
  settle(parameters: { caller: Address }): ActionResult<{ snapshot: SettlementSnapshot }> {
    return this.plain((tx, events) => ({ snapshot: settleInner(tx, parameters.caller, events) }));
  }

  /** `realise(account)`: in the settlement window, records an underwater account's deficit. */
  realise(parameters: { account: Address }): ActionResult<{ equity: bigint }> {
    return this.plain((tx, events) => ({ equity: realiseInner(tx, parameters.account, events) }));
  }

  /** `claim()`: idle margin in full at once; a position's equity at the ratio, after the window. */
  claim(parameters: { account: Address }): ActionResult<{ amount: bigint }> {
    return this.plain((tx, events) => ({ amount: claimInner(tx, parameters.account, events) }));
  }

  /* volatility cross-check */

  /** See oracle.ts: accepts the chain's variance and ratios within tolerance and adopts them. */
  checkVolatility(
    chain: VolatilityFigures,
    parameters?: CheckVolatilityParameters,
  ): CheckVolatilityReturnType {
    return oracleCheckVolatility(this.state.oracle, chain, parameters);
  }

  /* views */

  /** The state seen by a view at `timestamp` (default now). Views never write, so a shallow copy suffices. */
  private at(timestamp?: bigint): SystemState {
    return timestamp === undefined ? this.state : { ...this.state, now: timestamp };
  }

  get mode(): Mode {
    return this.state.market.mode;
  }

  get haltFlags(): number {
    return this.state.market.haltFlags;
  }

  get haltedAt(): bigint {
    return this.state.market.haltedAt;
  }

  accountOf(account: Address): MarginAccount {
    return accountOf(this.state, account);
  }

  /** `profitWindow()`: the realised profit the market's current window paid all winners, and when it began. */
  profitWindow(): { paid: bigint; start: bigint } {
    return profitWindow(this.state);
  }

  aggregates(): Aggregates {
    return { ...this.state.market.agg };
  }

  riskParams(): RiskParams {
    return { ...this.state.market.risk };
  }

  safetyParams(): SafetyParams {
    return { ...this.state.market.safety };
  }

  settlement(): SettlementSnapshot {
    return { ...this.state.market.settlement };
  }

  settlementPaid(): bigint {
    return this.state.market.settlementPaid;
  }

  claimed(account: Address): boolean {
    return this.state.market.claimed.has(normalizeAddress(account));
  }

  allows(action: Action): boolean {
    return allowsIn(this.state, action);
  }

  /** `exitOpensAt()`: while Halted, when anyone may settle; 0 otherwise. */
  exitOpensAt(): bigint {
    return this.state.market.mode === Mode.Halted ? exitOpensAt(this.state) : 0n;
  }

  fundingRate(): bigint {
    return fundingRate(this.state.market);
  }

  currentFundingIndex(timestamp?: bigint): bigint {
    return currentFundingIndex(this.at(timestamp));
  }

  poolEquity(timestamp?: bigint): bigint {
    return poolEquity(this.at(timestamp));
  }

  accountHealth(account: Address, timestamp?: bigint): AccountHealth {
    return accountHealth(this.at(timestamp), account);
  }

  poolWithdrawable(timestamp?: bigint): bigint {
    return poolWithdrawable(this.at(timestamp));
  }

  poolQuote(timestamp?: bigint): PoolQuote {
    return poolQuote(this.at(timestamp));
  }

  outflowAvailable(timestamp?: bigint): bigint {
    return pool.outflowAvailable(this.at(timestamp), this.viewMarket(timestamp));
  }

  peek(timestamp?: bigint): PriceReading {
    const s = this.at(timestamp);
    return oraclePeek(s.oracle, s.feeds, s.now);
  }

  lastGoodPrice(): { price: bigint; updatedAt: bigint } {
    return { price: this.state.oracle.lastGoodPrice, updatedAt: this.state.oracle.lastGoodAt };
  }

  marginRatios(): { initialMargin: bigint; maintenanceMargin: bigint } {
    return {
      initialMargin: this.state.oracle.initialMargin,
      maintenanceMargin: this.state.oracle.maintenanceMargin,
    };
  }

  collateralBalanceOf(account: Address): bigint {
    return balanceOf(this.state.collateral, account);
  }

  sharesOf(account: Address): bigint {
    return balanceOf(this.state.shares, account);
  }

  totalSupply(): bigint {
    return this.state.shares.totalSupply;
  }

  private viewMarket(timestamp?: bigint): PoolMarket {
    return poolMarket(this.at(timestamp), []);
  }

  totalAssets(timestamp?: bigint): bigint {
    return pool.totalAssets(this.viewMarket(timestamp));
  }

  convertToShares(assets: bigint, timestamp?: bigint): bigint {
    return pool.convertToShares(this.at(timestamp), this.viewMarket(timestamp), assets, "floor");
  }

  convertToAssets(shares: bigint, timestamp?: bigint): bigint {
    return pool.convertToAssets(this.at(timestamp), this.viewMarket(timestamp), shares, "floor");
  }

  previewDeposit(assets: bigint, timestamp?: bigint): bigint {
    return pool.previewDeposit(this.at(timestamp), this.viewMarket(timestamp), assets);
  }

  previewMint(shares: bigint, timestamp?: bigint): bigint {
    return pool.previewMint(this.at(timestamp), this.viewMarket(timestamp), shares);
  }

  entryAssets(timestamp?: bigint): bigint {
    return pool.entryAssets(this.at(timestamp), this.viewMarket(timestamp));
  }

  previewWithdraw(assets: bigint, timestamp?: bigint): bigint {
    return pool.convertToShares(this.at(timestamp), this.viewMarket(timestamp), assets, "ceil");
  }

  previewRedeem(shares: bigint, timestamp?: bigint): bigint {
    return pool.convertToAssets(this.at(timestamp), this.viewMarket(timestamp), shares, "floor");
  }

  maxDeposit(): bigint {
    return pool.maxDeposit(this.state, this.viewMarket());
  }

  maxWithdraw(owner: Address, timestamp?: bigint): bigint {
    return pool.maxWithdraw(this.at(timestamp), this.viewMarket(timestamp), owner);
  }

  maxRedeem(owner: Address, timestamp?: bigint): bigint {
    return pool.maxRedeem(this.at(timestamp), this.viewMarket(timestamp), owner);
  }

  /** `pool.minHoldingPeriod()`: how long minted LP shares stay locked. */
  minHoldingPeriod(): bigint {
    return pool.minHoldingPeriod(this.state);
  }

  /** `pool.lockedShares(holder)` at `timestamp` (default now). */
  lockedShares(holder: Address, timestamp?: bigint): { shares: bigint; until: bigint } {
    return pool.lockedShares(this.at(timestamp), holder);
  }

  /** `Lens.marketView` at `timestamp` (default now). */
  marketView(
    parameters: { timestamp?: bigint | undefined; blockNumber?: bigint | undefined } = {},
  ): MarketView {
    const s = this.at(parameters.timestamp);
    const poolAddress = s.market.pool;
    const hasPool = poolAddress !== zeroAddress;
    const outflow = hasPool ? pool.outflowAvailable(s, poolMarket(s, [])) : 0n;
    return {
      market: s.addresses.market,
      pool: poolAddress,
      collateral: s.addresses.collateral,
      mode: s.market.mode,
      haltFlags: s.market.haltFlags,
      haltedAt: s.market.haltedAt,
      guardian: s.market.guardian,
      oracleClass: oraclePeek(s.oracle, s.feeds, s.now).class,
      price: s.oracle.lastGoodPrice,
      priceUpdatedAt: s.oracle.lastGoodAt,
      initialMargin: s.oracle.initialMargin,
      maintenanceMargin: s.oracle.maintenanceMargin,
      variance: s.oracle.variance,
      fundingRate: fundingRate(s.market),
      fundingIndexNow: currentFundingIndex(s),
      poolEquity: poolEquity(s),
      poolWithdrawable: min(poolWithdrawable(s), outflow),
      poolOutflowAvailable: outflow,
      collateralBalance: balanceOf(s.collateral, s.addresses.market),
      poolShareSupply: hasPool ? s.shares.totalSupply : 0n,
      risk: { ...s.market.risk },
      agg: { ...s.market.agg },
      settlement: { ...s.market.settlement },
      blockNumber: parameters.blockNumber ?? 0n,
      timestamp: s.now,
    };
  }

  /** `Lens.accountView` at `timestamp` (default now). */
  accountView(account: Address, timestamp?: bigint): AccountView {
    const s = this.at(timestamp);
    const state = accountOf(s, account);
    const health = accountHealth(s, account);
    return {
      account: normalizeAddress(account),
      state,
      ...health,
      liquidatable: state.size !== 0n && health.equity < health.maintenanceRequired,
      walletBalance: balanceOf(s.collateral, account),
      lpShares: s.market.pool === zeroAddress ? 0n : balanceOf(s.shares, account),
    };
  }

  /** `Lens.snapshot(market, accounts)`. */
  snapshot(parameters: SnapshotParameters): Snapshot {
    return {
      market: this.marketView(parameters),
      accounts: parameters.accounts.map((account) => this.accountView(account, parameters.timestamp)),
    };
  }
}
