/**
 * src/Market.sol (with its OracleGuard, LiquidityPool, collateral and feeds) as a pure bigint model.
 *
 * Layout mirrors the contract: the guarded-execution frame, margin, trading, liquidation, pool hooks,
 * insurance, governance, views, invariants; then `MarketModel`, the façade the harness drives. Each internal
 * function is the Solidity function of the same name, with the same order of reads, writes, rounding and
 * reverts. A transaction runs on a clone of the state and is committed only if it does not revert; the
 * market's self-call runs on a further clone that a broken invariant drops (the market then halts).
 */
import type { Address } from "viem";
import {
  COLLATERAL_DECIMALS,
  defaultOracleParams,
  defaultRiskParams,
  INITIAL_VARIANCE,
  MAX_ANSWER,
  MIN_ANSWER,
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
  EvmRevert,
  floorDiv,
  max,
  min,
  mulWad,
  mulWadUp,
  sadd,
  smul,
  sneg,
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
  type CheckVolatilityParameters,
  type CheckVolatilityReturnType,
  createOracle,
  checkVolatility as oracleCheckVolatility,
  peek as oraclePeek,
  update as oracleUpdate,
  type VolatilityFigures,
  validateParams as validateOracleParams,
} from "./oracle.js";
import type { PoolMarket } from "./pool.js";
import * as pool from "./pool.js";
import type { ActionResult, InvariantTrip, ModelEvent, RevertName } from "./result.js";
import {
  cloneState,
  commitState,
  type MarketStorage,
  type SystemAddresses,
  type SystemState,
} from "./state.js";
import {
  type AccountView,
  Action,
  type Aggregates,
  Invariant,
  type MarginAccount,
  type MarketView,
  Mode,
  normalizeAddress,
  OracleClass,
  type OracleParams,
  type PriceReading,
  type RiskParams,
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

type Guarded<value> = { committed: true; value: value } | { committed: false; trip: InvariantTrip };

/**
 * `_run` + `_guard`: runs `body` (an `execute*`) on a clone of the transaction's state. A broken invariant
 * drops the clone and halts the market in the transaction's state; any other revert propagates.
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
    if (!(error instanceof InvariantBroken)) throw error;
    const trip: InvariantTrip = {
      invariant: error.invariant,
      expected: error.expected,
      actual: error.actual,
      action,
    };
    events.push({ contract: "market", name: "InvariantViolated", args: { ...trip } });
    setMode(tx, Mode.Halted, "invariant violated", events);
    return { committed: false, trip };
  }
  commitState(tx, inner);
  events.push(...innerEvents);
  return { committed: true, value };
}

function setMode(s: SystemState, to: Mode, cause: string, events: ModelEvent[]): void {
  const from = s.market.mode;
  if (from === to) return;
  s.market.mode = to;
  events.push({ contract: "market", name: "ModeChanged", args: { from, to, cause } });
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
  syncFunding(s, events);
  const a = accountRef(s, account);
  settleFunding(s, account, a, events);
  soladySafeTransferFrom(s.collateral, s.addresses.market, account, s.addresses.market, amount);
  creditMargin(s, a, toInt256Wrapping(amount));
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
  const price = a.size === 0n ? syncFunding(s, events) : validPrice(s, events);
  settleFunding(s, account, a, events);
  if (toInt256Wrapping(amount) > a.margin) {
    throw new EvmRevert("MarketInsufficientFreeMargin", [amount, a.margin > 0n ? a.margin : 0n]);
  }
  creditMargin(s, a, sneg(toInt256Wrapping(amount)));
  if (a.size !== 0n) requireInitialMargin(s, a, price);
  soladySafeTransfer(s.collateral, s.addresses.market, account, amount);
  events.push({
    contract: "market",
    name: "Withdrawn",
    args: { account: normalizeAddress(account), amount },
  });
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

function modifyInner(
  s: SystemState,
  account: Address,
  sizeDelta: bigint,
  priceLimit: bigint,
  events: ModelEvent[],
): ModifyEffects & { margin: bigint } {
  if (sizeDelta === 0n) throw new EvmRevert("MarketZeroSize");
  const a = accountRef(s, account);
  const size = a.size;
  // Increasing: opening, adding on the same side, or flipping through zero.
  const increasing = size === 0n || size > 0n === sizeDelta > 0n || abs(sizeDelta) > abs(size);
  requireAllowed(s, increasing ? Action.Increase : Action.Reduce);
  const price = validPrice(s, events);
  if (priceLimit !== 0n && (sizeDelta > 0n ? price > priceLimit : price < priceLimit)) {
    throw new EvmRevert("MarketPriceLimit", [price, priceLimit]);
  }
  settleFunding(s, account, a, events);

  const realised = trade(s, a, sizeDelta, price);
  const fee = chargeFee(s, a, abs(sizeDelta), price);

  if (increasing) {
    const r = s.market.risk;
    const agg = s.market.agg;
    if (agg.longOpenInterest > r.maxOpenInterest) {
      throw new EvmRevert("MarketOpenInterestCap", [agg.longOpenInterest, r.maxOpenInterest]);
    }
    if (agg.shortOpenInterest > r.maxOpenInterest) {
      throw new EvmRevert("MarketOpenInterestCap", [agg.shortOpenInterest, r.maxOpenInterest]);
    }
    requireBacked(s, price);
    requireInitialMargin(s, a, price);
  } else if (a.margin < 0n) {
    // A reduce may not realise more loss than the margin holds: that account is for the liquidators.
    throw new EvmRevert("MarketAccountInsolvent", [a.margin]);
  }
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
  return { price, realisedPnl: realised, fee, newSize: a.size, increasing, margin: a.margin };
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
  const price = validPrice(s, events);
  const a = accountRef(s, account);
  const size = a.size;
  if (size === 0n) throw new EvmRevert("MarketNoPosition");
  settleFunding(s, account, a, events);
  const n = notional(s.market, size, price);
  const mm = s.oracle.maintenanceMargin;
  const eq = equity(s.market, a, price);
  const maintenance = mulWadUp(n, mm);
  if (eq >= maintenance) throw new EvmRevert("MarketNotLiquidatable", [eq, maintenance]);

  trade(s, a, sneg(size), price);
  const margin = a.margin;
  const risk = s.market.risk;
  const agg = s.market.agg;
  let reward = 0n;
  let toInsurance = 0n;
  let badDebt: LiquidateEffects["badDebt"] = null;
  if (margin > 0n) {
    const penalty = mulWadUp(n, risk.liquidationPenalty);
    reward = min(mulWad(penalty, risk.keeperRewardShare), margin);
    toInsurance = min(usub(penalty, mulWad(penalty, risk.keeperRewardShare)), usub(margin, reward));
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
  }
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
  return { reward, penaltyToInsurance: toInsurance, price, size, badDebt, margin: a.margin };
}

/* POOL HOOKS */

function poolDepositInner(s: SystemState, assets: bigint, events: ModelEvent[]): void {
  if (assets === 0n) throw new EvmRevert("MarketZeroAmount");
  requireAllowed(s, Action.LpDeposit);
  validPrice(s, events);
  soladySafeTransferFrom(s.collateral, s.addresses.market, s.addresses.pool, s.addresses.market, assets);
  s.market.agg.poolCash = sadd(s.market.agg.poolCash, toInt256Wrapping(assets));
  events.push({ contract: "market", name: "PoolDeposited", args: { assets } });
}

function poolWithdrawInner(s: SystemState, receiver: Address, assets: bigint, events: ModelEvent[]): void {
  if (assets === 0n) throw new EvmRevert("MarketZeroAmount");
  requireAllowed(s, Action.LpWithdraw);
  const price = validPrice(s, events);
  const agg = s.market.agg;
  if (toInt256Wrapping(assets) > agg.poolCash)
    throw new EvmRevert("MarketPoolCannotPay", [assets, agg.poolCash]);
  agg.poolCash = ssub(agg.poolCash, toInt256Wrapping(assets));
  requireBacked(s, price);
  soladySafeTransfer(s.collateral, s.addresses.market, receiver, assets);
  events.push({
    contract: "market",
    name: "PoolWithdrawn",
    args: { receiver: normalizeAddress(receiver), assets },
  });
}

/** The market as the pool sees it, inside transaction `s`. */
function poolMarket(s: SystemState, events: ModelEvent[]): PoolMarket {
  return {
    refresh: () => {
      syncFunding(s, events);
    },
    poolEquity: () => poolEquity(s),
    allows: (action) => allows(s.market.mode, action),
    poolWithdrawable: () => poolWithdrawable(s),
    onPoolDeposit: (assets) =>
      guarded(s, events, executeSelectors.poolDeposit, (inner, ev) => {
        poolDepositInner(inner, assets, ev);
        checkInvariants(inner, 0n);
      }).committed,
    onPoolWithdraw: (receiver, assets) =>
      guarded(s, events, executeSelectors.poolWithdraw, (inner, ev) => {
        poolWithdrawInner(inner, receiver, assets, ev);
        checkInvariants(inner, 0n);
      }).committed,
  };
}

/* INSURANCE */

function fundInsuranceInner(s: SystemState, from: Address, amount: bigint, events: ModelEvent[]): void {
  if (amount === 0n) throw new EvmRevert("MarketZeroAmount");
  soladySafeTransferFrom(s.collateral, s.addresses.market, from, s.addresses.market, amount);
  s.market.agg.insurance = uadd(s.market.agg.insurance, amount);
  events.push({
    contract: "market",
    name: "InsuranceFunded",
    args: { from: normalizeAddress(from), amount },
  });
}

/* GOVERNANCE */

export function validateRiskParams(r: RiskParams): void {
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

/* VIEWS (all at block time `s.now`) */

/** The permission table (`allows`). */
export function allows(mode: Mode, action: Action): boolean {
  return (
    mode <= Mode.Cautious ||
    (mode === Mode.ReduceOnly && action !== Action.Increase && action !== Action.LpDeposit) ||
    (mode === Mode.Halted && action === Action.Deposit)
  );
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

export function poolWithdrawable(s: SystemState): bigint {
  if (!allows(s.market.mode, Action.LpWithdraw)) return 0n;
  const price = s.oracle.lastGoodPrice;
  const spare = ssub(
    poolEquityAt(s.market, price, currentFundingIndex(s)),
    mulWadUp(notional(s.market, s.market.agg.netSize, price), s.market.risk.minBacking),
  );
  const cash = s.market.agg.poolCash;
  return max(min(spare, cash), 0n);
}

/* INTERNAL: PRICES AND FUNDING */

function validPrice(s: SystemState, events: ModelEvent[]): bigint {
  const r = oracleUpdate(s.oracle, s.feeds, s.now, events);
  if (r.class !== OracleClass.Valid) throw new EvmRevert("MarketOracleNotValid", [r.class]);
  accrueFunding(s, r.price);
  return r.price;
}

function syncFunding(s: SystemState, events: ModelEvent[]): bigint {
  const price = oracleUpdate(s.oracle, s.feeds, s.now, events).lastGoodPrice;
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

/** Moves the funding an account owes since its last settlement between its margin and the pool cash. */
function settleFunding(s: SystemState, account: Address, a: MarginAccount, events: ModelEvent[]): bigint {
  const agg = s.market.agg;
  const index = agg.fundingIndex;
  const size = a.size;
  let owed = 0n;
  if (size !== 0n) {
    const delta = smul(size, ssub(index, a.fundingIndex));
    owed = ceilDiv(delta, s.market.valueDivisor);
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
  }
  a.fundingIndex = index;
  return owed;
}

/* INTERNAL: POSITIONS */

function trade(s: SystemState, a: MarginAccount, delta: bigint, price: bigint): bigint {
  const m = s.market;
  const agg = m.agg;
  const size = a.size;
  const openNotional = a.openNotional;
  const newSize = sadd(size, delta);
  let closing = 0n; // the part of delta that reduces |size|, same sign as delta
  if (size !== 0n && size > 0n !== delta > 0n) closing = abs(delta) >= abs(size) ? sneg(size) : delta;
  const opening = ssub(delta, closing);

  let basisRemoved = 0n;
  let realised = 0n;
  if (closing !== 0n) {
    basisRemoved = closing === -size ? openNotional : truncDiv(smul(openNotional, sneg(closing)), size);
    const proceeds = floorDiv(smul(sneg(closing), price), m.valueDivisor);
    realised = ssub(proceeds, basisRemoved);
    creditMargin(s, a, realised);
    agg.poolCash = ssub(agg.poolCash, realised);
  }
  const basisAdded = opening === 0n ? 0n : ceilDiv(smul(opening, price), m.valueDivisor);
  a.openNotional = sadd(ssub(openNotional, basisRemoved), basisAdded);
  agg.netOpenNotional = sadd(agg.netOpenNotional, ssub(basisAdded, basisRemoved));

  if (size > 0n) agg.longOpenInterest = usub(agg.longOpenInterest, size);
  else agg.shortOpenInterest = usub(agg.shortOpenInterest, -size);
  if (newSize > 0n) agg.longOpenInterest = uadd(agg.longOpenInterest, newSize);
  else agg.shortOpenInterest = uadd(agg.shortOpenInterest, -newSize);
  agg.netSize = sadd(agg.netSize, delta);
  agg.sizeTimesIndex = sadd(agg.sizeTimesIndex, smul(delta, a.fundingIndex));
  a.size = newSize;
  if (agg.poolCash < 0n) {
    throw new EvmRevert("MarketPoolCannotPay", [toUint256Wrapping(realised), sadd(agg.poolCash, realised)]);
  }
  return realised;
}

function chargeFee(s: SystemState, a: MarginAccount, absDelta: bigint, price: bigint): bigint {
  const risk = s.market.risk;
  const fee = mulWadUp(notional(s.market, absDelta, price), risk.tradingFee);
  if (fee === 0n) return 0n;
  const toInsurance = mulWad(fee, risk.insuranceFeeShare);
  creditMargin(s, a, sneg(fee));
  s.market.agg.insurance = uadd(s.market.agg.insurance, toInsurance);
  s.market.agg.poolCash = sadd(s.market.agg.poolCash, fee - toInsurance);
  return fee;
}

function creditMargin(s: SystemState, a: MarginAccount, amount: bigint): void {
  const before = a.margin;
  const after = sadd(before, amount);
  a.margin = after;
  // totalMargin counts only positive margins; a negative margin exists only inside a call.
  const agg = s.market.agg;
  agg.totalMargin = uadd(usub(agg.totalMargin, before > 0n ? before : 0n), after > 0n ? after : 0n);
}

function requireInitialMargin(s: SystemState, a: MarginAccount, price: bigint): void {
  const required = mulWadUp(notional(s.market, a.size, price), s.oracle.initialMargin);
  const eq = equity(s.market, a, price);
  if (eq < required) throw new EvmRevert("MarketInsufficientMargin", [eq, required]);
}

function requireBacked(s: SystemState, price: bigint): void {
  const m = s.market;
  const required = mulWadUp(notional(m, m.agg.netSize, price), m.risk.minBacking);
  const eq = poolEquityAt(m, price, m.agg.fundingIndex);
  if (eq < required) throw new EvmRevert("MarketInsufficientBacking", [eq, required]);
}

function requireAllowed(s: SystemState, action: Action): void {
  if (!allows(s.market.mode, action)) throw new EvmRevert("MarketNotAllowed", [action, s.market.mode]);
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

function checkInvariants(s: SystemState, touchedMargin: bigint): void {
  const agg = s.market.agg;
  const credits = uadd(uadd(agg.totalMargin, agg.insurance), agg.poolCash > 0n ? agg.poolCash : 0n);
  const balance = balanceOf(s.collateral, s.addresses.market);
  if (balance < credits) {
    throw new InvariantBroken(
      Invariant.TokenConservation,
      toInt256Wrapping(credits),
      toInt256Wrapping(balance),
    );
  }
  const oiDiff = ssub(agg.longOpenInterest, agg.shortOpenInterest);
  if (oiDiff !== agg.netSize) throw new InvariantBroken(Invariant.OpenInterest, agg.netSize, oiDiff);
  if (agg.poolCash < 0n) throw new InvariantBroken(Invariant.PoolCash, 0n, agg.poolCash);
  if (touchedMargin < 0n) throw new InvariantBroken(Invariant.NoNegativeMargin, 0n, touchedMargin);
}

/* THE MODEL */

export type FeedName = "primary" | "secondary";

export type DeployModelParameters = {
  addresses: SystemAddresses;
  collateralDecimals?: number | undefined;
  risk?: RiskParams | undefined;
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
export type SnapshotParameters = {
  accounts: readonly Address[];
  /** Evaluate the views at this block time (default: the model's `now`); the chain's Lens reports its own. */
  timestamp?: bigint | undefined;
  blockNumber?: bigint | undefined;
};

/**
 * The reference model the harness drives next to the chain. Every action returns an `ActionResult`: what the
 * chain must do (effects), or the exact custom error it must revert with. Call `warp(t)` with the block time
 * of the next transaction before each action.
 */
export class MarketModel {
  state: SystemState;

  constructor(state: SystemState) {
    this.state = state;
  }

  /** Mirrors the deployment (script/SystemDeployer.sol): feeds, guard, market, pool, setPool. */
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
    validateRiskParams(risk);
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
    };
    const shares = createLedger();
    const collateral = createLedger();
    const poolSet = parameters.poolSet ?? true;
    // The pool's constructor approves the market for everything.
    if (poolSet) approve(collateral, addresses.pool, addresses.market, UINT256_MAX);
    return new MarketModel({
      now: parameters.timestamps.market,
      addresses,
      market: {
        valueDivisor: 10n ** BigInt(36 - decimals),
        pool: poolSet ? addresses.pool : zeroAddress,
        mode: Mode.Normal,
        risk: { ...risk },
        agg,
        accounts: new Map(),
      },
      oracle,
      feeds,
      collateral,
      shares,
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

  private transact<effects>(
    body: (tx: SystemState, events: ModelEvent[]) => { effects: effects } | { trip: InvariantTrip },
  ): ActionResult<effects> {
    const tx = cloneState(this.state);
    const events: ModelEvent[] = [];
    let out: { effects: effects } | { trip: InvariantTrip };
    try {
      out = body(tx, events);
    } catch (error) {
      if (error instanceof EvmRevert && !(error instanceof InvariantBroken)) {
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
    });
  }

  /* collateral token (MockERC20) */

  mint(parameters: { to: Address; amount: bigint }): ActionResult<Record<string, never>> {
    return this.transact((tx) => {
      mint(tx.collateral, parameters.to, parameters.amount);
      return { effects: {} };
    });
  }

  approve(parameters: {
    owner: Address;
    spender: Address;
    amount: bigint;
  }): ActionResult<Record<string, never>> {
    return this.transact((tx) => {
      approve(tx.collateral, parameters.owner, parameters.spender, parameters.amount);
      return { effects: {} };
    });
  }

  /** A plain collateral transfer (e.g. a donation to the market or the pool). */
  transfer(parameters: { from: Address; to: Address; amount: bigint }): ActionResult<Record<string, never>> {
    return this.transact((tx) => {
      transfer(tx.collateral, parameters.from, parameters.to, parameters.amount);
      return { effects: {} };
    });
  }

  /* LP share token */

  lpApprove(parameters: {
    owner: Address;
    spender: Address;
    shares: bigint;
  }): ActionResult<Record<string, never>> {
    return this.transact((tx) => {
      approve(tx.shares, parameters.owner, parameters.spender, parameters.shares);
      return { effects: {} };
    });
  }

  lpTransfer(parameters: {
    from: Address;
    to: Address;
    shares: bigint;
  }): ActionResult<Record<string, never>> {
    return this.transact((tx) => {
      transfer(tx.shares, parameters.from, parameters.to, parameters.shares);
      return { effects: {} };
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

  /** Makes a feed's calls revert (or stop reverting). Not a MockAggregator feature; for non-mock feeds. */
  setFeedReverts(parameters: { feed: FeedName; reverts: boolean }): void {
    this.feed(this.state, parameters.feed).reverts = parameters.reverts;
  }

  setSequencer(parameters: SequencerState): void {
    if (!this.state.oracle.hasSequencer) throw new Error("the model's guard has no sequencer feed");
    this.state.feeds.sequencer = { ...parameters };
  }

  /* traders */

  deposit(parameters: DepositParameters): ActionResult<DepositEffects> {
    const { account, amount } = parameters;
    return this.guardedAction(executeSelectors.deposit, (s, ev) => {
      const margin = depositInner(s, account, amount, ev);
      checkInvariants(s, margin);
      return { margin };
    });
  }

  withdraw(parameters: WithdrawParameters): ActionResult<WithdrawEffects> {
    const { account, amount } = parameters;
    return this.guardedAction(executeSelectors.withdraw, (s, ev) => {
      const margin = withdrawInner(s, account, amount, ev);
      checkInvariants(s, margin);
      return { margin };
    });
  }

  modifyPosition(parameters: ModifyPositionParameters): ActionResult<ModifyEffects> {
    const { account, sizeDelta } = parameters;
    const priceLimit = parameters.priceLimit ?? 0n;
    return this.guardedAction(executeSelectors.modify, (s, ev) => {
      const { margin, ...effects } = modifyInner(s, account, sizeDelta, priceLimit, ev);
      checkInvariants(s, margin);
      return effects;
    });
  }

  /** `closePosition`: the size is read in the outer frame, so a flat account reverts MarketZeroSize. */
  closePosition(parameters: ClosePositionParameters): ActionResult<ModifyEffects> {
    return this.transact<ModifyEffects>((tx, events) => {
      const sizeDelta = sneg(accountOf(tx, parameters.account).size);
      const g = guarded(tx, events, executeSelectors.modify, (s, ev) => {
        const { margin, ...effects } = modifyInner(
          s,
          parameters.account,
          sizeDelta,
          parameters.priceLimit ?? 0n,
          ev,
        );
        checkInvariants(s, margin);
        return effects;
      });
      return g.committed ? { effects: g.value } : { trip: g.trip };
    });
  }

  liquidate(parameters: LiquidateParameters): ActionResult<LiquidateEffects> {
    return this.guardedAction(executeSelectors.liquidate, (s, ev) => {
      const { margin, ...effects } = liquidateInner(s, parameters.account, parameters.liquidator, ev);
      checkInvariants(s, margin);
      return effects;
    });
  }

  fundInsurance(parameters: FundInsuranceParameters): ActionResult<Record<string, never>> {
    return this.guardedAction(executeSelectors.fundInsurance, (s, ev) => {
      fundInsuranceInner(s, parameters.from, parameters.amount, ev);
      checkInvariants(s, 0n);
      return {};
    });
  }

  /** `refresh()`: not a self-call; reads the oracle (accepting a new Valid round) and accrues funding. */
  refresh(): ActionResult<{ price: bigint }> {
    return this.transact((tx, events) => ({ effects: { price: syncFunding(tx, events) } }));
  }

  /** `oracle.update()` called directly (anyone may). */
  updateOracle(): ActionResult<{ reading: PriceReading }> {
    return this.transact((tx, events) => ({
      effects: { reading: oracleUpdate(tx.oracle, tx.feeds, tx.now, events) },
    }));
  }

  /* LPs (LiquidityPool) */

  private poolAction<effects>(
    body: (tx: SystemState, market: PoolMarket, events: ModelEvent[]) => effects,
  ): ActionResult<effects> {
    return this.transact<effects>((tx, events) => {
      const market = poolMarket(tx, events);
      const effects = body(tx, market, events);
      // The market refused (rolled back and halted): the pool returned 0 and emitted ActionRefusedByMarket.
      const violated = events.find((e) => e.contract === "market" && e.name === "InvariantViolated");
      if (violated) return { trip: violated.args as unknown as InvariantTrip };
      return { effects };
    });
  }

  lpDeposit(parameters: LpDepositParameters): ActionResult<{ shares: bigint }> {
    return this.poolAction((tx, market, ev) => ({
      shares: pool.deposit(
        tx,
        market,
        {
          caller: parameters.caller,
          receiver: parameters.receiver ?? parameters.caller,
          assets: parameters.assets,
        },
        ev,
      ),
    }));
  }

  lpMint(parameters: LpMintParameters): ActionResult<{ assets: bigint }> {
    return this.poolAction((tx, market, ev) => ({
      assets: pool.mintShares(
        tx,
        market,
        {
          caller: parameters.caller,
          receiver: parameters.receiver ?? parameters.caller,
          shares: parameters.shares,
        },
        ev,
      ),
    }));
  }

  lpWithdraw(parameters: LpWithdrawParameters): ActionResult<{ shares: bigint }> {
    return this.poolAction((tx, market, ev) => ({
      shares: pool.withdraw(
        tx,
        market,
        {
          caller: parameters.caller,
          receiver: parameters.receiver ?? parameters.caller,
          owner: parameters.owner ?? parameters.caller,
          assets: parameters.assets,
        },
        ev,
      ),
    }));
  }

  lpRedeem(parameters: LpRedeemParameters): ActionResult<{ assets: bigint }> {
    return this.poolAction((tx, market, ev) => ({
      assets: pool.redeem(
        tx,
        market,
        {
          caller: parameters.caller,
          receiver: parameters.receiver ?? parameters.caller,
          owner: parameters.owner ?? parameters.caller,
          shares: parameters.shares,
        },
        ev,
      ),
    }));
  }

  /* governance */

  setRiskParams(parameters: { caller: Address; params: RiskParams }): ActionResult<Record<string, never>> {
    return this.transact((tx, events) => {
      requireOwner(tx.addresses.owner, parameters.caller);
      validateRiskParams(parameters.params);
      tx.market.risk = { ...parameters.params };
      events.push({
        contract: "market",
        name: "RiskParamsUpdated",
        args: { params: JSON.stringify(parameters.params, bigintJson) },
      });
      return { effects: {} };
    });
  }

  setOracleParams(parameters: {
    caller: Address;
    params: OracleParams;
  }): ActionResult<Record<string, never>> {
    return this.transact((tx, events) => {
      requireOwner(tx.oracle.owner, parameters.caller);
      validateOracleParams(parameters.params);
      tx.oracle.params = { ...parameters.params };
      events.push({
        contract: "oracle",
        name: "OracleParamsUpdated",
        args: { params: JSON.stringify(parameters.params, bigintJson) },
      });
      return { effects: {} };
    });
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

  accountOf(account: Address): MarginAccount {
    return accountOf(this.state, account);
  }

  aggregates(): Aggregates {
    return { ...this.state.market.agg };
  }

  riskParams(): RiskParams {
    return { ...this.state.market.risk };
  }

  allows(action: Action): boolean {
    return allows(this.state.market.mode, action);
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
    return pool.convertToShares(this.at(timestamp), this.viewMarket(timestamp), assets, "floor");
  }

  previewMint(shares: bigint, timestamp?: bigint): bigint {
    return pool.convertToAssets(this.at(timestamp), this.viewMarket(timestamp), shares, "ceil");
  }

  previewWithdraw(assets: bigint, timestamp?: bigint): bigint {
    return pool.convertToShares(this.at(timestamp), this.viewMarket(timestamp), assets, "ceil");
  }

  previewRedeem(shares: bigint, timestamp?: bigint): bigint {
    return pool.convertToAssets(this.at(timestamp), this.viewMarket(timestamp), shares, "floor");
  }

  maxDeposit(): bigint {
    return pool.maxDeposit(this.viewMarket());
  }

  maxWithdraw(owner: Address, timestamp?: bigint): bigint {
    return pool.maxWithdraw(this.at(timestamp), this.viewMarket(timestamp), owner);
  }

  maxRedeem(owner: Address, timestamp?: bigint): bigint {
    return pool.maxRedeem(this.at(timestamp), this.viewMarket(timestamp), owner);
  }

  /** `Lens.marketView` at `timestamp` (default now). */
  marketView(
    parameters: { timestamp?: bigint | undefined; blockNumber?: bigint | undefined } = {},
  ): MarketView {
    const s = this.at(parameters.timestamp);
    const poolAddress = s.market.pool;
    return {
      market: s.addresses.market,
      pool: poolAddress,
      collateral: s.addresses.collateral,
      mode: s.market.mode,
      oracleClass: oraclePeek(s.oracle, s.feeds, s.now).class,
      price: s.oracle.lastGoodPrice,
      priceUpdatedAt: s.oracle.lastGoodAt,
      initialMargin: s.oracle.initialMargin,
      maintenanceMargin: s.oracle.maintenanceMargin,
      variance: s.oracle.variance,
      fundingRate: fundingRate(s.market),
      fundingIndexNow: currentFundingIndex(s),
      poolEquity: poolEquity(s),
      poolWithdrawable: poolWithdrawable(s),
      collateralBalance: balanceOf(s.collateral, s.addresses.market),
      poolShareSupply: poolAddress === zeroAddress ? 0n : s.shares.totalSupply,
      risk: { ...s.market.risk },
      agg: { ...s.market.agg },
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

function requireOwner(owner: Address, caller: Address): void {
  if (normalizeAddress(owner) !== normalizeAddress(caller)) {
    throw new EvmRevert("OwnableUnauthorizedAccount", [normalizeAddress(caller)]);
  }
}

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
