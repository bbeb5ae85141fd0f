import type { Address } from "viem";
import { latestRoundData } from "../../model/feeds.js";
import type { MarketModel } from "../../model/market.js";
import { minHoldingPeriod } from "../../model/pool.js";
import type { ActionResult } from "../../model/result.js";
import type {
  AccountHealth,
  FeedName,
  FeedView,
  ModelAction,
  ModelPort,
  ModelView,
  Outcome,
} from "./port.js";

/**
 * harness/model's MarketModel behind the scenario layer's ModelPort: every ModelAction becomes the model's own
 * call at the transaction's block time, and its ActionResult the scenario's Outcome. Nothing is modelled here.
 */
export class ModelAdapter implements ModelPort {
  constructor(readonly model: MarketModel) {}

  get now(): bigint {
    return this.model.now;
  }

  advanceTo(timestamp: bigint): void {
    if (timestamp > this.model.now) this.model.warp(timestamp);
  }

  apply(action: ModelAction, timestamp: bigint): Outcome {
    // A reverted transaction still fills a block: the time moves whatever the outcome.
    this.model.warp(timestamp);
    return outcomeOf(dispatch(this.model, action));
  }

  view(accounts: readonly Address[]): ModelView {
    return this.model.snapshot({ accounts });
  }

  probe(action: ModelAction, timestamp: bigint): Outcome {
    return new ModelAdapter(this.model.clone()).apply(action, timestamp);
  }

  peek() {
    return this.model.peek();
  }

  mode() {
    return this.model.mode;
  }
  haltedAt() {
    return this.model.haltedAt;
  }
  exitOpensAt() {
    return this.model.exitOpensAt();
  }
  account(account: Address) {
    return this.model.accountOf(account);
  }
  health(account: Address): AccountHealth {
    const { equity, initialRequired, maintenanceRequired, notional, liquidatable } =
      this.model.accountView(account);
    return { equity, initialRequired, maintenanceRequired, notional, liquidatable };
  }
  price() {
    return this.model.lastGoodPrice().price;
  }
  initialMarginRatio() {
    return this.model.marginRatios().initialMargin;
  }
  feed(which: FeedName): FeedView {
    const feed = this.model.feedState(which);
    const data = latestRoundData(feed);
    const { roundId, answer, updatedAt } =
      data === "reverts" ? { roundId: 0n, answer: 0n, updatedAt: 0n } : data;
    return {
      answer,
      round: roundId,
      updatedAt,
      latestRound: feed.latestRound,
      latestAnswer: feed.rounds.get(feed.latestRound)?.answer ?? 0n,
      reportedOverride: feed.reportedRoundOverride,
      minAnswer: feed.minAnswer,
      maxAnswer: feed.maxAnswer,
    };
  }
  lpShares(account: Address) {
    return this.model.sharesOf(account);
  }
  risk() {
    return this.model.riskParams();
  }
  safety() {
    return this.model.safetyParams();
  }
  claimed(account: Address) {
    return this.model.claimed(account);
  }
  lastGoodAt() {
    return this.model.lastGoodPrice().updatedAt;
  }
  oracleParams() {
    return this.model.state.oracle.params;
  }
  maxRedeem(owner: Address, timestamp?: bigint) {
    return this.model.maxRedeem(owner, timestamp);
  }
  totalAssets() {
    return this.model.totalAssets();
  }
  oracleClass(timestamp: bigint) {
    return this.model.peek(timestamp).class;
  }
  minHoldingPeriod() {
    return minHoldingPeriod(this.model.state);
  }
  outflowWindow() {
    const p = this.model.state.pool;
    return { start: p.windowStart, length: p.outflowWindow };
  }
}

/** The model's call for an action; undefined for the feed setters and no-ops, which cannot revert. */
function dispatch(m: MarketModel, action: ModelAction): ActionResult<unknown> | undefined {
  switch (action.kind) {
    case "deposit":
      return m.deposit({ account: action.from, amount: action.amount });
    case "withdraw":
      return m.withdraw({ account: action.from, amount: action.amount });
    case "modify":
      return m.modifyPosition({
        account: action.from,
        sizeDelta: action.sizeDelta,
        priceLimit: action.priceLimit,
      });
    case "close":
      return m.closePosition({ account: action.from, priceLimit: action.priceLimit });
    case "commitOrder":
      return m.commitOrder({
        account: action.from,
        sizeDelta: action.sizeDelta,
        priceLimit: action.priceLimit,
      });
    case "executeOrder":
      return m.executeOrder({ account: action.account, executor: action.from });
    case "liquidate":
      return m.liquidate({ account: action.account, liquidator: action.from });
    case "settleLoss":
      return m.settleLoss({ account: action.account });
    case "fundInsurance":
      return m.fundInsurance({ from: action.from, amount: action.amount });
    case "refresh":
      return m.refresh();
    case "lpDeposit":
      return m.lpDeposit({ caller: action.from, assets: action.assets });
    case "lpRedeem":
      return m.lpRedeem({ caller: action.from, shares: action.shares });
    case "lpWithdraw":
      return m.lpWithdraw({ caller: action.from, assets: action.assets });
    case "lpClaim":
      return m.lpClaim({ caller: action.from, shares: action.shares });
    case "escalate":
      return m.escalate({ caller: action.from, to: action.to });
    case "setMode":
      return m.setMode({ caller: action.from, to: action.to });
    case "setRiskParams":
      return m.setRiskParams({ caller: action.from, params: action.params });
    case "settle":
      return m.settle({ caller: action.from });
    case "realise":
      return m.realise({ account: action.account });
    case "claim":
      return m.claim({ account: action.from });
    case "mint":
      return m.mint({ to: action.to, amount: action.amount });
    case "approve":
      return m.approve({ owner: action.owner, spender: action.spender, amount: action.amount });
    case "transfer":
      return m.transfer({ from: action.from, to: action.to, amount: action.amount });
    case "feedAnswer":
      m.setAnswer({ feed: action.feed, answer: action.answer, updatedAt: action.updatedAt });
      return undefined;
    case "feedReportedRound":
      m.setReportedRound({ feed: action.feed, roundId: action.roundId });
      return undefined;
    case "feedBounds":
      m.setBounds({ feed: action.feed, minAnswer: action.minAnswer, maxAnswer: action.maxAnswer });
      return undefined;
    case "timelockDelay":
      m.setOwnerMinDelay({ delay: action.delay });
      return undefined;
    case "noop":
      return undefined;
  }
}

function outcomeOf(result: ActionResult<unknown> | undefined): Outcome {
  if (!result) return { status: "ok" };
  if (!result.ok) return { status: "reverted", error: result.error, args: result.args };
  const predictedEvents = result.events;
  if (!result.tripped) return { status: "ok", predictedEvents };
  const trip = result.trip;
  return trip.kind === "breaker"
    ? {
        status: "tripped",
        oracleClass: trip.oracleClass,
        riskAddingAnomaly: trip.oracleClass,
        predictedEvents,
      }
    : { status: "invariant", invariant: trip.invariant, predictedEvents };
}
