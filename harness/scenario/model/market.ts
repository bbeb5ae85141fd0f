// The market and its LP pool as one transaction over the model state: a line-by-line port of Market.sol's
// rules (and LiquidityPool.sol's ERC-4626 arithmetic), rounding included. One MarketTx is one mined
// transaction at one block time; the guarded self-call is modelled by running the effects on a clone.
import type { Address } from "viem";
import {
  abs,
  ceilDiv,
  divWad,
  floorDiv,
  max,
  min,
  mulDiv,
  mulWad,
  mulWadUp,
  tdiv,
  usub,
  WAD,
} from "./math.js";
import { update } from "./oracle.js";
import {
  Action,
  HaltFlag,
  Invariant,
  type MarginAccount,
  type MarketState,
  Mode,
  type ModelState,
  OracleClass,
  type RiskParams,
  zeroAccount,
} from "./types.js";

/** A custom error the transaction reverts with (by name, with its arguments). */
export class ModelRevert extends Error {
  override name = "ModelRevert";
  constructor(
    readonly error: string,
    readonly args: readonly unknown[] = [],
  ) {
    super(`${error}(${args.map(String).join(", ")})`);
  }
}

// Raised inside the self-call only; the guard frame turns them into committed trips.
class BreakerSignal {
  constructor(readonly oracleClass: OracleClass) {}
}
class InvariantSignal {
  constructor(
    readonly invariant: number,
    readonly expected: bigint,
    readonly actual: bigint,
  ) {}
}

export type GuardResult =
  | { kind: "ok" }
  | { kind: "tripped"; oracleClass: OracleClass }
  | { kind: "invariant"; invariant: number };

/** Observations the caller wants beyond the state (survive the self-call's rollback). */
export type TxObservations = { riskAddingAnomaly?: OracleClass | undefined; value?: bigint | undefined };

const VALUE_DIVISOR = 10n ** 30n; // 10 ** (36 - collateral decimals), collateral has 6 decimals
const VIRTUAL_SHARES = 10n ** 6n; // the pool's decimals offset

export class MarketTx {
  constructor(
    private s: ModelState,
    readonly now: bigint,
    readonly obs: TxObservations = {},
  ) {}

  private get m(): MarketState {
    return this.s.market;
  }

  /* GUARDED EXECUTION */

  /**
   * Market._run + _guard: effects on a clone; commit, trip, or bubble the revert. Committing replaces the
   * state's top-level objects, so callers must not hold references to them across this call.
   */
  guarded(effects: (inner: MarketTx) => void): GuardResult {
    const inner = structuredClone(this.s);
    try {
      effects(new MarketTx(inner, this.now, this.obs));
    } catch (error) {
      if (error instanceof InvariantSignal) {
        this.tighten(Mode.Halted, HaltFlag.Invariant);
        return { kind: "invariant", invariant: error.invariant };
      }
      if (error instanceof BreakerSignal) {
        this.m.resumeMode = this.m.mode;
        this.m.validStreak = 0n;
        this.m.breakerAt = this.now;
        this.tighten(Mode.Halted, HaltFlag.Breaker);
        return { kind: "tripped", oracleClass: error.oracleClass };
      }
      throw error;
    }
    Object.assign(this.s, inner);
    return { kind: "ok" };
  }

  /* MARGIN */

  deposit(account: Address, amount: bigint): GuardResult {
    return this.guarded((t) => t.checkInvariants(t._deposit(account, amount)));
  }

  private _deposit(account: Address, amount: bigint): bigint {
    if (amount === 0n) throw new ModelRevert("MarketZeroAmount");
    this.requireAllowed(Action.Deposit);
    this.syncFunding();
    const a = this.acct(account);
    this.settleFunding(a);
    this.transfer(account, this.s.addresses.market, amount, "TransferFromFailed");
    this.creditMargin(a, amount);
    return a.margin;
  }

  withdraw(account: Address, amount: bigint): GuardResult {
    return this.guarded((t) => t.checkInvariants(t._withdraw(account, amount)));
  }

  private _withdraw(account: Address, amount: bigint): bigint {
    if (amount === 0n) throw new ModelRevert("MarketZeroAmount");
    const a = this.acct(account);
    if (a.size !== 0n || this.m.mode !== Mode.Halted) this.requireAllowed(Action.Withdraw);
    const price = a.size === 0n ? this.syncFunding() : this.price(Action.Withdraw, 0n);
    this.settleFunding(a);
    if (amount > a.margin) {
      throw new ModelRevert("MarketInsufficientFreeMargin", [amount, a.margin > 0n ? a.margin : 0n]);
    }
    this.creditMargin(a, -amount);
    if (a.size !== 0n) this.requireInitialMargin(a, price);
    this.transfer(this.s.addresses.market, account, amount, "TransferFailed");
    return a.margin;
  }

  /* TRADING */

  modify(account: Address, sizeDelta: bigint, priceLimit: bigint): GuardResult {
    return this.guarded((t) => t.checkInvariants(t._modify(account, sizeDelta, priceLimit)));
  }

  close(account: Address, priceLimit: bigint): GuardResult {
    // closePosition reads the size outside the self-call.
    const size = this.acct(account).size;
    return this.modify(account, -size, priceLimit);
  }

  private _modify(account: Address, sizeDelta: bigint, priceLimit: bigint): bigint {
    if (sizeDelta === 0n) throw new ModelRevert("MarketZeroSize");
    const a = this.acct(account);
    const size = a.size;
    const increasing = size === 0n || size > 0n === sizeDelta > 0n || abs(sizeDelta) > abs(size);
    const action = increasing ? Action.Increase : Action.Reduce;
    this.requireAllowed(action);
    const price = this.price(action, 0n);
    if (priceLimit !== 0n && (sizeDelta > 0n ? price > priceLimit : price < priceLimit)) {
      throw new ModelRevert("MarketPriceLimit", [price, priceLimit]);
    }
    this.settleFunding(a);
    this.trade(a, sizeDelta, price);
    this.chargeFee(a, abs(sizeDelta), price);
    if (increasing) {
      const cap =
        this.m.mode === Mode.Cautious
          ? mulWad(this.m.risk.maxOpenInterest, this.m.safety.cautiousOiFactor)
          : this.m.risk.maxOpenInterest;
      const oi = sizeDelta > 0n ? this.m.agg.longOpenInterest : this.m.agg.shortOpenInterest;
      if (oi > cap) throw new ModelRevert("MarketOpenInterestCap", [oi, cap]);
      this.requireBacked(price);
      this.requireInitialMargin(a, price);
    } else if (a.margin < 0n) {
      throw new ModelRevert("MarketAccountInsolvent", [a.margin]);
    }
    this.selfCorrect(price);
    return a.margin;
  }

  /* LIQUIDATION */

  liquidate(account: Address, liquidator: Address): GuardResult {
    return this.guarded((t) => t.checkInvariants(t._liquidate(account, liquidator)));
  }

  private _liquidate(account: Address, liquidator: Address): bigint {
    this.requireAllowed(Action.Liquidate);
    const a = this.acct(account);
    const size = a.size;
    if (size === 0n) throw new ModelRevert("MarketNoPosition");
    const price = this.price(Action.Liquidate, size);
    this.settleFunding(a);
    const notional = this.notional(size, price);
    const mm = this.s.guard.maintenanceMargin;
    const equity = this.equityAt(a, price);
    const maintenance = mulWadUp(notional, mm);
    if (equity >= maintenance) throw new ModelRevert("MarketNotLiquidatable", [equity, maintenance]);

    this.trade(a, -size, price);
    const margin = a.margin;
    const agg = this.m.agg;
    const r = this.m.risk;
    let reward = 0n;
    if (margin > 0n) {
      const penalty = mulWadUp(notional, r.liquidationPenalty);
      reward = min(mulWad(penalty, r.keeperRewardShare), margin);
      const toInsurance = min(penalty - mulWad(penalty, r.keeperRewardShare), margin - reward);
      this.creditMargin(a, -(reward + toInsurance));
      agg.insurance += toInsurance;
    } else if (margin < 0n) {
      const deficit = -margin;
      const covered = min(deficit, agg.insurance);
      agg.insurance -= covered;
      agg.poolCash -= deficit - covered;
      this.creditMargin(a, deficit);
      if (covered !== 0n && agg.insurance < this.m.safety.insuranceFloor) this.tighten(Mode.Cautious, 0);
      if (deficit > covered) this.tighten(Mode.ReduceOnly, 0);
    }
    if (reward !== 0n) this.transfer(this.s.addresses.market, liquidator, reward, "TransferFailed");
    this.obs.value = reward;
    this.selfCorrect(price);
    return a.margin;
  }

  /* POOL HOOKS */

  private poolDeposit(assets: bigint): GuardResult {
    return this.guarded((t) => {
      if (assets === 0n) throw new ModelRevert("MarketZeroAmount");
      t.requireAllowed(Action.LpDeposit);
      t.price(Action.LpDeposit, 0n);
      t.transfer(t.s.addresses.pool, t.s.addresses.market, assets, "TransferFromFailed");
      t.m.agg.poolCash += assets;
      t.checkInvariants(0n);
    });
  }

  private poolWithdraw(receiver: Address, assets: bigint): GuardResult {
    return this.guarded((t) => {
      if (assets === 0n) throw new ModelRevert("MarketZeroAmount");
      t.requireAllowed(Action.LpWithdraw);
      const price = t.price(Action.LpWithdraw, 0n);
      if (assets > t.m.agg.poolCash) throw new ModelRevert("MarketPoolCannotPay", [assets, t.m.agg.poolCash]);
      t.m.agg.poolCash -= assets;
      t.requireBacked(price);
      t.transfer(t.s.addresses.market, receiver, assets, "TransferFailed");
      t.checkInvariants(0n);
    });
  }

  /** Market.refresh: funding, the oracle round, the breaker's reset, and state-based tightening. */
  refresh(): void {
    if (this.m.mode === Mode.Settlement) return;
    const r = update(this.s, this.now);
    this.accrueFunding(r.lastGood);
    if ((this.m.haltFlags & HaltFlag.Breaker) !== 0) this.advanceBreakerReset(r.oracleClass);
    this.selfCorrect(r.lastGood);
  }

  private advanceBreakerReset(oracleClass: OracleClass): void {
    const m = this.m;
    if (oracleClass !== OracleClass.Valid) {
      m.validStreak = 0n;
      return;
    }
    const round = this.s.guard.lastRoundId;
    if (round > m.streakRound) {
      m.streakRound = round;
      m.validStreak += 1n;
    }
    if (m.validStreak < m.safety.breakerValidReadings || this.now < m.breakerAt + m.safety.breakerCooldown)
      return;
    m.haltFlags &= ~HaltFlag.Breaker;
    m.validStreak = 0n;
    if (m.haltFlags === 0) this.setMode(m.resumeMode);
  }

  fundInsurance(from: Address, amount: bigint): GuardResult {
    return this.guarded((t) => {
      if (amount === 0n) throw new ModelRevert("MarketZeroAmount");
      t.transfer(from, t.s.addresses.market, amount, "TransferFromFailed");
      t.m.agg.insurance += amount;
      t.checkInvariants(0n);
    });
  }

  /* LP POOL (ERC-4626 over the market) */

  lpDeposit(caller: Address, assets: bigint): GuardResult {
    this.refresh();
    if (!this.allows(Action.LpDeposit))
      throw new ModelRevert("ERC4626ExceededMaxDeposit", [caller, assets, 0n]);
    const p = this.s.pool;
    const shares = mulDiv(assets, p.supply + VIRTUAL_SHARES, this.totalAssets() + 1n);
    if (shares === 0n) throw new ModelRevert("PoolZeroShares");
    const equity = this.poolEquityNow();
    if (p.supply !== 0n && equity <= 0n) throw new ModelRevert("PoolInsolvent", [equity]);
    this.transfer(caller, this.s.addresses.pool, assets, "ERC20InsufficientBalance");
    const result = this.poolDeposit(assets);
    if (result.kind !== "ok") {
      this.transfer(this.s.addresses.pool, caller, assets, "ERC20InsufficientBalance");
      return result;
    }
    this.rollWindow();
    const after = this.s.pool; // the self-call replaced the state's objects: re-read, never reuse `p`
    after.windowNet -= assets;
    after.supply += shares;
    after.shares.set(caller, (after.shares.get(caller) ?? 0n) + shares);
    this.obs.value = shares;
    return result;
  }

  lpRedeem(owner: Address, shares: bigint): GuardResult {
    this.refresh();
    const p = this.s.pool;
    const balance = p.shares.get(owner) ?? 0n;
    const maxShares = min(
      balance,
      mulDiv(this.lpWithdrawable(), p.supply + VIRTUAL_SHARES, this.totalAssets() + 1n),
    );
    if (shares > maxShares) throw new ModelRevert("ERC4626ExceededMaxRedeem", [owner, shares, maxShares]);
    const assets = mulDiv(shares, this.totalAssets() + 1n, p.supply + VIRTUAL_SHARES);
    if (shares === 0n || assets === 0n) throw new ModelRevert("PoolZeroShares");
    this.rollWindow();
    const room = this.outflowAvailable();
    if (assets > room) throw new ModelRevert("PoolOutflowLimit", [assets, room]);
    const result = this.poolWithdraw(owner, assets);
    if (result.kind !== "ok") return result;
    const after = this.s.pool; // replaced by the self-call
    after.windowNet += assets;
    after.supply -= shares;
    after.shares.set(owner, balance - shares);
    this.obs.value = assets;
    return result;
  }

  lpClaim(owner: Address, shares: bigint): void {
    if (shares === 0n) throw new ModelRevert("PoolZeroShares");
    const p = this.s.pool;
    const balance = p.shares.get(owner) ?? 0n;
    if (balance < shares) throw new ModelRevert("ERC20InsufficientBalance", [owner, balance, shares]);
    p.shares.set(owner, balance - shares);
    p.supply -= shares;
    if (this.m.mode !== Mode.Settlement)
      throw new ModelRevert("MarketNotAllowed", [Action.LpWithdraw, this.m.mode]);
    const st = this.finalised();
    const assets = mulDiv(st.lpAssets, shares, st.poolShareSupply);
    this.paySettlement(owner, assets);
    this.obs.value = assets;
  }

  private rollWindow(): void {
    const p = this.s.pool;
    if (this.now < p.windowStart + p.outflowWindow) return;
    p.windowStart = this.now;
    p.windowBase = this.totalAssets();
    p.windowNet = 0n;
  }

  outflowAvailable(): bigint {
    const p = this.s.pool;
    const fresh = this.now >= p.windowStart + p.outflowWindow;
    const base = fresh ? this.totalAssets() : p.windowBase;
    const net = fresh ? 0n : p.windowNet;
    const room = mulDiv(base, p.maxOutflow, WAD) - net;
    return room > 0n ? room : 0n;
  }

  lpWithdrawable(): bigint {
    return min(this.poolWithdrawable(), this.outflowAvailable());
  }

  totalAssets(): bigint {
    const equity = this.poolEquityNow();
    return equity > 0n ? equity : 0n;
  }

  /* SAFETY AND GOVERNANCE */

  escalate(sender: Address, to: Mode): void {
    if (sender !== this.s.addresses.guardian) throw new ModelRevert("MarketOnlyGuardian");
    if (to <= this.m.mode || to > Mode.Halted) throw new ModelRevert("MarketNotTighter", [this.m.mode, to]);
    this.tighten(to, to === Mode.Halted ? HaltFlag.Guardian : 0);
  }

  setModeByOwner(sender: Address, to: Mode): void {
    this.requireOwner(sender);
    if (to === Mode.Settlement || this.m.mode === Mode.Settlement) {
      throw new ModelRevert("MarketNotAllowed", [Action.Deposit, this.m.mode]);
    }
    this.m.haltFlags = 0;
    this.m.validStreak = 0n;
    this.setMode(to);
  }

  setRiskParams(sender: Address, r: RiskParams): void {
    this.requireOwner(sender);
    const o = this.m.risk;
    const keys = Object.keys(o) as (keyof RiskParams)[];
    if (keys.some((k) => !stepOk(o[k], r[k]))) throw new ModelRevert("MarketStepTooLarge");
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
      throw new ModelRevert("MarketBadParams");
    }
    this.m.risk = { ...r };
  }

  settle(sender: Address): void {
    const m = this.m;
    if (m.mode === Mode.Settlement) throw new ModelRevert("MarketNotSettleable");
    const exit = m.mode === Mode.Halted && this.now >= m.haltedAt + m.safety.maxHaltDuration;
    if (sender !== this.s.addresses.timelock && !exit) throw new ModelRevert("MarketNotSettleable");
    const price = this.syncFunding();
    const agg = m.agg;
    const equity = this.poolEquity(price, agg.fundingIndex);
    const assets = agg.totalMargin + agg.insurance + (agg.poolCash > 0n ? agg.poolCash : 0n);
    const st = m.settlement;
    st.price = price;
    st.fundingIndex = agg.fundingIndex;
    st.longOpenInterest = agg.longOpenInterest;
    st.shortOpenInterest = agg.shortOpenInterest;
    st.insurance = agg.insurance;
    st.poolEquity = equity;
    st.assets = assets;
    st.idleMargin = agg.idleMargin;
    st.traderEquity = assets - agg.idleMargin - equity - agg.insurance;
    st.poolShareSupply = this.s.pool.supply;
    st.settledAt = this.now;
    this.setMode(Mode.Settlement);
  }

  realise(account: Address): void {
    const m = this.m;
    const st = m.settlement;
    if (m.mode !== Mode.Settlement) throw new ModelRevert("MarketNotAllowed", [Action.Reduce, m.mode]);
    if (this.now >= st.settledAt + m.safety.settlementWindow) throw new ModelRevert("MarketNotSettleable");
    const a = this.acct(account);
    if (a.size === 0n || m.claimed.has(account)) throw new ModelRevert("MarketNoPosition");
    const equity = this.settledEquity(a);
    if (equity >= 0n) throw new ModelRevert("MarketNotLiquidatable", [equity, 0n]);
    st.deficit += -equity;
    m.claimed.add(account);
  }

  claim(account: Address): void {
    const m = this.m;
    if (m.mode !== Mode.Settlement) throw new ModelRevert("MarketNotAllowed", [Action.Withdraw, m.mode]);
    if (m.claimed.has(account)) throw new ModelRevert("MarketAlreadyClaimed");
    const a = this.acct(account);
    let amount: bigint;
    if (a.size === 0n) {
      amount = a.margin > 0n ? a.margin : 0n;
      this.creditMargin(a, -a.margin);
    } else {
      const st = this.finalised();
      const equity = this.settledEquity(a);
      amount = equity > 0n ? mulWad(equity, st.traderRatio) : 0n;
    }
    m.claimed.add(account);
    this.paySettlement(account, amount);
    this.obs.value = amount;
  }

  private finalised() {
    const st = this.m.settlement;
    if (st.finalised) return st;
    const opensAt = st.settledAt + this.m.safety.settlementWindow;
    if (this.now < opensAt) throw new ModelRevert("MarketSettlementPending", [opensAt]);
    const available = usub(st.assets, st.idleMargin);
    const owed = st.traderEquity + st.deficit;
    const needed = owed > 0n ? owed : 0n;
    if (available >= needed) {
      st.traderRatio = WAD;
      st.lpAssets = available - needed;
    } else {
      st.traderRatio = divWad(available, needed);
      st.lpAssets = 0n;
    }
    st.finalised = true;
    return st;
  }

  private settledEquity(a: MarginAccount): bigint {
    const st = this.m.settlement;
    const owed = ceilDiv(a.size * (st.fundingIndex - a.fundingIndex), VALUE_DIVISOR);
    return this.equityAt(a, st.price) - owed;
  }

  private paySettlement(to: Address, amount: bigint): void {
    const paid = this.m.settlementPaid + amount;
    if (paid > this.m.settlement.assets) {
      throw new ModelRevert("MarketSettlementExhausted", [paid, this.m.settlement.assets]);
    }
    this.m.settlementPaid = paid;
    if (amount !== 0n) this.transfer(this.s.addresses.market, to, amount, "TransferFailed");
  }

  private requireOwner(sender: Address): void {
    if (sender !== this.s.addresses.timelock) throw new ModelRevert("OwnableUnauthorizedAccount", [sender]);
  }

  private setMode(to: Mode): void {
    if (this.m.mode === to) return;
    this.m.mode = to;
    if (to === Mode.Halted) this.m.haltedAt = this.now;
  }

  private tighten(to: Mode, flag: number): void {
    this.m.haltFlags |= flag;
    if (to > this.m.mode) this.setMode(to);
  }

  /* VIEWS (at this transaction's time) */

  allows(action: Action): boolean {
    const mode = this.m.mode;
    return (
      mode <= Mode.Cautious ||
      (mode === Mode.ReduceOnly && action !== Action.Increase && action !== Action.LpDeposit) ||
      (mode === Mode.Halted && action === Action.Deposit)
    );
  }

  poolEquityNow(): bigint {
    return this.poolEquity(this.s.guard.lastGoodPrice, this.currentFundingIndex());
  }

  poolWithdrawable(): bigint {
    if (!this.allows(Action.LpWithdraw)) return 0n;
    const price = this.s.guard.lastGoodPrice;
    const spare =
      this.poolEquity(price, this.currentFundingIndex()) -
      mulWadUp(this.notional(this.m.agg.netSize, price), this.m.risk.minBacking);
    const cash = this.m.agg.poolCash;
    return max(min(spare, cash), 0n);
  }

  fundingRate(): bigint {
    const r = this.m.risk;
    const rate = tdiv(this.m.agg.netSize * r.maxFundingRate, r.skewScale);
    const cap = r.maxFundingRate;
    return max(min(rate, cap), -cap);
  }

  currentFundingIndex(): bigint {
    return this.fundingIndexAt(this.s.guard.lastGoodPrice);
  }

  accountHealth(account: Address) {
    const price = this.s.guard.lastGoodPrice;
    const a = this.acct(account);
    const owed = ceilDiv(a.size * (this.currentFundingIndex() - a.fundingIndex), VALUE_DIVISOR);
    const equity = this.equityAt(a, price) - owed;
    const notional = this.notional(a.size, price);
    const initialRequired = mulWadUp(notional, this.s.guard.initialMargin);
    const maintenanceRequired = mulWadUp(notional, this.s.guard.maintenanceMargin);
    return {
      equity,
      initialRequired,
      maintenanceRequired,
      notional,
      liquidatable: a.size !== 0n && equity < maintenanceRequired,
    };
  }

  /* INTERNAL: PRICES AND FUNDING */

  private price(action: Action, side: bigint): bigint {
    const r = update(this.s, this.now);
    this.accrueFunding(r.lastGood);
    const c = r.oracleClass;
    if (c === OracleClass.Valid) return r.price;
    if (action === Action.Increase || action === Action.Withdraw || action === Action.LpWithdraw) {
      this.obs.riskAddingAnomaly = c;
      throw new BreakerSignal(c);
    }
    if (
      action === Action.Liquidate &&
      r.price !== 0n &&
      (c === OracleClass.Stale || c === OracleClass.AtBounds || c === OracleClass.Diverged)
    ) {
      return side > 0n ? max(r.price, r.lastGood) : min(r.price, r.lastGood);
    }
    throw new ModelRevert("MarketOracleNotValid", [c]);
  }

  private syncFunding(): bigint {
    const price = update(this.s, this.now).lastGood;
    this.accrueFunding(price);
    return price;
  }

  private fundingIndexAt(price: bigint): bigint {
    const dt = usub(this.now, this.m.agg.lastFundingTime);
    return this.m.agg.fundingIndex + tdiv(this.fundingRate() * price, WAD) * dt;
  }

  private accrueFunding(price: bigint): void {
    if (this.now === this.m.agg.lastFundingTime) return;
    this.m.agg.fundingIndex = this.fundingIndexAt(price);
    this.m.agg.lastFundingTime = this.now;
  }

  private settleFunding(a: MarginAccount): void {
    const index = this.m.agg.fundingIndex;
    if (a.size !== 0n) {
      const owed = ceilDiv(a.size * (index - a.fundingIndex), VALUE_DIVISOR);
      if (owed !== 0n) {
        this.creditMargin(a, -owed);
        this.m.agg.poolCash += owed;
      }
      this.m.agg.sizeTimesIndex += a.size * (index - a.fundingIndex);
    }
    a.fundingIndex = index;
  }

  /* INTERNAL: POSITIONS */

  private trade(a: MarginAccount, delta: bigint, price: bigint): bigint {
    const agg = this.m.agg;
    const size = a.size;
    const openNotional = a.openNotional;
    const newSize = size + delta;
    if (size === 0n && a.margin > 0n) agg.idleMargin = usub(agg.idleMargin, a.margin);
    let closing = 0n;
    if (size !== 0n && size > 0n !== delta > 0n) closing = abs(delta) >= abs(size) ? -size : delta;
    const opening = delta - closing;
    let basisRemoved = 0n;
    let realised = 0n;
    if (closing !== 0n) {
      basisRemoved = closing === -size ? openNotional : tdiv(openNotional * -closing, size);
      const proceeds = floorDiv(-closing * price, VALUE_DIVISOR);
      realised = proceeds - basisRemoved;
      this.creditMargin(a, realised);
      agg.poolCash -= realised;
    }
    const basisAdded = opening === 0n ? 0n : ceilDiv(opening * price, VALUE_DIVISOR);
    a.openNotional = openNotional - basisRemoved + basisAdded;
    agg.netOpenNotional += basisAdded - basisRemoved;
    if (size > 0n) agg.longOpenInterest = usub(agg.longOpenInterest, size);
    else agg.shortOpenInterest = usub(agg.shortOpenInterest, -size);
    if (newSize > 0n) agg.longOpenInterest += newSize;
    else agg.shortOpenInterest += -newSize;
    agg.netSize += delta;
    agg.sizeTimesIndex += delta * a.fundingIndex;
    a.size = newSize;
    if (newSize === 0n && a.margin > 0n) agg.idleMargin += a.margin;
    if (agg.poolCash < 0n) throw new ModelRevert("MarketPoolCannotPay", [realised, agg.poolCash + realised]);
    return realised;
  }

  private chargeFee(a: MarginAccount, absDelta: bigint, price: bigint): void {
    const fee = mulWadUp(this.notional(absDelta, price), this.m.risk.tradingFee);
    if (fee === 0n) return;
    const toInsurance = mulWad(fee, this.m.risk.insuranceFeeShare);
    this.creditMargin(a, -fee);
    this.m.agg.insurance += toInsurance;
    this.m.agg.poolCash += fee - toInsurance;
  }

  private creditMargin(a: MarginAccount, amount: bigint): void {
    const agg = this.m.agg;
    const before = a.margin;
    const after = before + amount;
    a.margin = after;
    const pb = before > 0n ? before : 0n;
    const pa = after > 0n ? after : 0n;
    agg.totalMargin = usub(agg.totalMargin, pb) + pa;
    if (a.size === 0n) agg.idleMargin = usub(agg.idleMargin, pb) + pa;
  }

  private requireInitialMargin(a: MarginAccount, price: bigint): void {
    let im = this.s.guard.initialMargin;
    if (this.m.mode >= Mode.Cautious) im = mulWad(im, this.m.safety.cautiousImMultiplier);
    const required = mulWadUp(this.notional(a.size, price), im);
    const equity = this.equityAt(a, price);
    if (equity < required) throw new ModelRevert("MarketInsufficientMargin", [equity, required]);
  }

  private requireBacked(price: bigint): void {
    const required = mulWadUp(this.notional(this.m.agg.netSize, price), this.m.risk.minBacking);
    const equity = this.poolEquity(price, this.m.agg.fundingIndex);
    if (equity < required) throw new ModelRevert("MarketInsufficientBacking", [equity, required]);
  }

  private selfCorrect(price: bigint): void {
    const equity = this.poolEquity(price, this.m.agg.fundingIndex);
    if (equity + this.m.agg.insurance < 0n) {
      this.tighten(Mode.Halted, HaltFlag.Insolvent);
    } else if (equity < mulWadUp(this.notional(this.m.agg.netSize, price), this.m.risk.minBacking)) {
      this.tighten(Mode.ReduceOnly, 0);
    }
  }

  private requireAllowed(action: Action): void {
    if (!this.allows(action)) throw new ModelRevert("MarketNotAllowed", [action, this.m.mode]);
  }

  private equityAt(a: MarginAccount, price: bigint): bigint {
    return a.margin + floorDiv(a.size * price, VALUE_DIVISOR) - a.openNotional;
  }

  private notional(size: bigint, price: bigint): bigint {
    return ceilDiv(abs(size) * price, VALUE_DIVISOR);
  }

  private poolEquity(price: bigint, index: bigint): bigint {
    const agg = this.m.agg;
    const fundingOwed = floorDiv(agg.netSize * index - agg.sizeTimesIndex, VALUE_DIVISOR);
    const traderPnl = ceilDiv(agg.netSize * price, VALUE_DIVISOR) - agg.netOpenNotional;
    return agg.poolCash + fundingOwed - traderPnl;
  }

  /* INVARIANTS (Market._checkInvariants) */

  private checkInvariants(touchedMargin: bigint): void {
    const agg = this.m.agg;
    const credits = agg.totalMargin + agg.insurance + (agg.poolCash > 0n ? agg.poolCash : 0n);
    const balance = this.s.tokens.get(this.s.addresses.market) ?? 0n;
    if (balance < credits) throw new InvariantSignal(Invariant.TokenConservation, credits, balance);
    if (agg.longOpenInterest - agg.shortOpenInterest !== agg.netSize) {
      throw new InvariantSignal(
        Invariant.OpenInterest,
        agg.netSize,
        agg.longOpenInterest - agg.shortOpenInterest,
      );
    }
    if (agg.poolCash < 0n) throw new InvariantSignal(Invariant.PoolCash, 0n, agg.poolCash);
    if (touchedMargin < 0n) throw new InvariantSignal(Invariant.NoNegativeMargin, 0n, touchedMargin);
  }

  /* STATE HELPERS */

  acct(account: Address): MarginAccount {
    let a = this.m.accounts.get(account);
    if (!a) {
      a = zeroAccount();
      this.m.accounts.set(account, a);
    }
    return a;
  }

  private transfer(from: Address, to: Address, amount: bigint, error: string): void {
    const tokens = this.s.tokens;
    const balance = tokens.get(from) ?? 0n;
    // OpenZeppelin's ERC20 names the shortfall; solady's SafeTransferLib errors carry no arguments.
    if (balance < amount)
      throw new ModelRevert(error, error === "ERC20InsufficientBalance" ? [from, balance, amount] : []);
    tokens.set(from, balance - amount);
    tokens.set(to, (tokens.get(to) ?? 0n) + amount);
  }
}

const stepOk = (from: bigint, to: bigint): boolean => from === 0n || (to <= 2n * from && 2n * to >= from);
