import type { Address } from "viem";
import { ModelPanic, min } from "./math.js";
import { type GuardResult, MarketTx, ModelRevert, type TxObservations } from "./market.js";
import { classify, latestRoundData, pushAnswer } from "./oracle.js";
import type {
  AccountHealth,
  FeedName,
  FeedView,
  ModelAction,
  ModelPort,
  ModelView,
  Outcome,
} from "./port.js";
import type { ModelState } from "./types.js";

/**
 * The lean reference model: the whole modelled world in one plain object, each transaction applied to a
 * clone that replaces it unless the transaction reverts (as the EVM does). Implements ModelPort.
 */
export class LeanModel implements ModelPort {
  constructor(private s: ModelState) {}

  get now(): bigint {
    return this.s.now;
  }

  /** The state itself (tests and fromChain use it; commands go through the port). */
  get state(): Readonly<ModelState> {
    return this.s;
  }

  fork(): LeanModel {
    return new LeanModel(structuredClone(this.s));
  }

  advanceTo(timestamp: bigint): void {
    if (timestamp > this.s.now) this.s.now = timestamp;
  }

  apply(action: ModelAction, timestamp: bigint): Outcome {
    const draft = structuredClone(this.s);
    draft.now = timestamp;
    const obs: TxObservations = {};
    const tx = new MarketTx(draft, timestamp, obs);
    let outcome: Outcome;
    try {
      outcome = fromGuard(dispatch(tx, draft, action), obs);
      this.s = draft;
    } catch (error) {
      if (error instanceof ModelRevert)
        outcome = { status: "reverted", error: error.error, args: error.args };
      else if (error instanceof ModelPanic)
        outcome = { status: "reverted", error: "Panic", args: [error.message] };
      else throw error;
      if (obs.riskAddingAnomaly !== undefined) outcome.riskAddingAnomaly = obs.riskAddingAnomaly;
    }
    // A reverted transaction still fills a block.
    this.s.now = timestamp;
    return outcome;
  }

  view(accounts: readonly Address[]): ModelView {
    const s = this.s;
    const t = this.tx();
    const g = s.guard;
    const outflow = t.outflowAvailable();
    return {
      market: {
        mode: s.market.mode,
        haltFlags: s.market.haltFlags,
        haltedAt: s.market.haltedAt,
        oracleClass: classify(s, s.now).oracleClass,
        price: g.lastGoodPrice,
        priceUpdatedAt: g.lastGoodAt,
        initialMargin: g.initialMargin,
        maintenanceMargin: g.maintenanceMargin,
        variance: g.variance,
        fundingRate: t.fundingRate(),
        fundingIndexNow: t.currentFundingIndex(),
        poolEquity: t.poolEquityNow(),
        poolWithdrawable: min(t.poolWithdrawable(), outflow),
        poolOutflowAvailable: outflow,
        collateralBalance: this.wallet(s.addresses.market),
        poolShareSupply: s.pool.supply,
        risk: { ...s.market.risk },
        agg: { ...s.market.agg },
        settlement: { ...s.market.settlement },
        timestamp: s.now,
      },
      accounts: accounts.map((account) => ({
        account,
        state: { ...this.account(account) },
        ...t.accountHealth(account),
        walletBalance: this.wallet(account),
        lpShares: this.lpShares(account),
      })),
    };
  }

  mode() {
    return this.s.market.mode;
  }
  haltFlags() {
    return this.s.market.haltFlags;
  }
  haltedAt() {
    return this.s.market.haltedAt;
  }
  account(account: Address) {
    return (
      this.s.market.accounts.get(account) ?? { margin: 0n, size: 0n, openNotional: 0n, fundingIndex: 0n }
    );
  }
  health(account: Address): AccountHealth {
    return this.tx().accountHealth(account);
  }
  price() {
    return this.s.guard.lastGoodPrice;
  }
  initialMarginRatio() {
    return this.s.guard.initialMargin;
  }
  feed(which: FeedName): FeedView {
    const feed = this.s[which];
    const { roundId, answer, updatedAt } = latestRoundData(feed);
    return {
      answer,
      round: roundId,
      updatedAt,
      latestRound: feed.latestRound,
      latestAnswer: feed.rounds.get(feed.latestRound)?.answer ?? 0n,
      reportedOverride: feed.reportedOverride,
      minAnswer: feed.minAnswer,
      maxAnswer: feed.maxAnswer,
    };
  }
  lpShares(account: Address) {
    return this.s.pool.shares.get(account) ?? 0n;
  }
  wallet(account: Address) {
    return this.s.tokens.get(account) ?? 0n;
  }
  aggregates() {
    return this.s.market.agg;
  }
  risk() {
    return this.s.market.risk;
  }
  safety() {
    return this.s.market.safety;
  }
  settlement() {
    return this.s.market.settlement;
  }
  claimed(account: Address) {
    return this.s.market.claimed.has(account);
  }
  settlementPaid() {
    return this.s.market.settlementPaid;
  }
  peekClass(timestamp: bigint) {
    return classify(this.s, timestamp).oracleClass;
  }

  // Views never write, but MarketTx.acct() may insert a zero account; a clone keeps the state pristine.
  private tx(): MarketTx {
    return new MarketTx(structuredClone(this.s), this.s.now);
  }
}

function dispatch(tx: MarketTx, s: ModelState, action: ModelAction): GuardResult {
  const ok: GuardResult = { kind: "ok" };
  switch (action.kind) {
    case "deposit":
      return tx.deposit(action.from, action.amount);
    case "withdraw":
      return tx.withdraw(action.from, action.amount);
    case "modify":
      return tx.modify(action.from, action.sizeDelta, action.priceLimit);
    case "close":
      return tx.close(action.from, action.priceLimit);
    case "liquidate":
      return tx.liquidate(action.account, action.from);
    case "fundInsurance":
      return tx.fundInsurance(action.from, action.amount);
    case "refresh":
      tx.refresh();
      return ok;
    case "lpDeposit":
      return tx.lpDeposit(action.from, action.assets);
    case "lpRedeem":
      return tx.lpRedeem(action.from, action.shares);
    case "lpClaim":
      tx.lpClaim(action.from, action.shares);
      return ok;
    case "escalate":
      tx.escalate(action.from, action.to);
      return ok;
    case "setMode":
      tx.setModeByOwner(action.from, action.to);
      return ok;
    case "setRiskParams":
      tx.setRiskParams(action.from, action.params);
      return ok;
    case "settle":
      tx.settle(action.from);
      return ok;
    case "realise":
      tx.realise(action.account);
      return ok;
    case "claim":
      tx.claim(action.from);
      return ok;
    case "feedAnswer":
      pushAnswer(s[action.feed], action.answer, action.updatedAt ?? tx.now);
      return ok;
    case "feedReportedRound":
      s[action.feed].reportedOverride = action.roundId;
      return ok;
    case "feedBounds":
      s[action.feed].minAnswer = action.minAnswer;
      s[action.feed].maxAnswer = action.maxAnswer;
      return ok;
    case "mint":
      s.tokens.set(action.to, (s.tokens.get(action.to) ?? 0n) + action.amount);
      return ok;
    case "noop":
      return ok;
  }
}

function fromGuard(result: GuardResult, obs: TxObservations): Outcome {
  const outcome: Outcome =
    result.kind === "ok"
      ? { status: "ok", value: obs.value }
      : result.kind === "tripped"
        ? { status: "tripped", oracleClass: result.oracleClass }
        : { status: "invariant", invariant: result.invariant };
  if (obs.riskAddingAnomaly !== undefined) outcome.riskAddingAnomaly = obs.riskAddingAnomaly;
  return outcome;
}
