/**
 * The model against the real contracts: scripted sequences of actions run on an anvil node and on the model
 * side by side, through the scenario layer's own pipeline (harness/scenario/step.ts) on a system deployed
 * the one way (script/Deploy.s.sol). Every step is checked as a fuzz step is: the outcome (decoded custom
 * error and arguments, or the trip) must match the model's prediction, the chain's Lens snapshot must equal
 * the model's field by field, and the protocol invariants, the user promises, the campaign promises and the
 * mode transitions must hold. On top, the script checks that every event of the market, the guard and the
 * pool is the one the model predicts, and that each step has the outcome the script intends.
 */
import { type Address, toFunctionSelector } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { liquidityPoolAbi, marketAbi, mockAggregatorAbi, mockErc20Abi } from "../../src-ts/generated/abis.js";
import { type AnvilNode, startAnvil } from "../chain/anvil.js";
import { type ChainClients, createChainClients } from "../chain/clients.js";
import { encodeFunctionData } from "../fast/encodeCall.js";
import { InvariantViolation } from "../invariants/violation.js";
import type { ModelAdapter } from "../scenario/model/adapter.js";
import type { ModelAction, Outcome } from "../scenario/model/port.js";
import { type ScenarioCommand, type ScenarioModel, Step } from "../scenario/step.js";
import { warp } from "../scenario/world/exec.js";
import { openWorld, type World } from "../scenario/world/world.js";
import { deployAndBind } from "../system/system.js";
import { receiptEvents } from "./chainState.js";
import { defaultRiskParams as defaultRisk } from "./defaults.js";
import { diffValues, toJson } from "./diff.js";
import { nearZeroMarginReduce } from "./fixtures.js";
import { executeSelectors, type MarketModel } from "./market.js";
import { ceilDiv, UINT256_MAX } from "./math.js";
import type { RevertName } from "./result.js";
import { HaltFlag, Mode, OracleClass, type RiskParams } from "./types.js";

const USD = 10n ** 6n;
const UNIT = 10n ** 18n;
const answer = (price: number) => BigInt(price) * 10n ** 8n;

let node: AnvilNode | undefined;
let clients: ChainClients;

beforeAll(async () => {
  node = await startAnvil({ label: "model cross-check" });
  clients = await createChainClients({ node });
}, 30_000);

afterAll(async () => {
  await clients?.close();
  await node?.stop();
});

type Target = "market" | "pool" | "collateral" | "primaryFeed" | "secondaryFeed";
type Intended = "ok" | "tripped" | RevertName;

const abis = {
  market: marketAbi,
  pool: liquidityPoolAbi,
  collateral: mockErc20Abi,
  primaryFeed: mockAggregatorAbi,
  secondaryFeed: mockAggregatorAbi,
} as const;

type StepParameters = {
  from: Address;
  target: Target;
  functionName: string;
  /** Built at the step's block time, the model already moved there: the call's arguments and its model action. */
  call: () => { args: readonly unknown[]; action: ModelAction };
  /** Seconds after the latest block (default: the node's block interval). */
  dt?: bigint | undefined;
  /** The outcome the script intends: keeps the scenario honest if an earlier step drifts. */
  expect: Intended;
};

/** What a liquidation did, from the chain's own events (Liquidated and, with bad debt, BadDebt). */
type Liquidation = {
  price: bigint;
  reward: bigint;
  badDebt: { deficit: bigint; socialised: bigint } | null;
};

/**
 * A fresh deployment through the one deploy path (risk parameters, if given, at construction: governance may
 * only step them), with the scenario's world and model around it. Governance's own calls are sent as the
 * timelock (the owner) and the Safe (the guardian) themselves: the contracts check who calls, not how the
 * call got there (the scenario's governance commands take the long way, through the Safe and the delay).
 */
async function open(risk?: RiskParams): Promise<Script> {
  // Without the immediacy premium (as the unit suites): the scripts' margins and cash are sized for the trading fee;
  // the premium has its own tests (orders.test.ts, ForeseeableRoundDoesNotPay) and the fuzz campaigns deploy with it.
  const system = await deployAndBind({ clients, risk, immediacyFee: 0n });
  const { world, model } = await openWorld({ clients, system });
  for (const address of [world.timelock, world.safe]) {
    await clients.testClient.setBalance({ address, value: 10n ** 20n });
    await clients.testClient.impersonateAccount({ address });
  }
  return new Script(world, model);
}

/** Who plays what in the scripts: the scenario's roles (harness/scenario/world/actors.ts) under script names. */
function cast(s: Script) {
  const a = s.world.actors;
  const [alice, bob, carol, dave, eve] = a.traders as Address[] & { length: 8 };
  const [lp] = a.lps as Address[];
  const [keeper] = a.keepers as Address[];
  if (!alice || !bob || !carol || !dave || !eve || !lp || !keeper) throw new Error("too few actors");
  return {
    owner: s.world.timelock,
    guardian: s.world.safe,
    operator: a.operator,
    lp,
    keeper,
    alice,
    bob,
    carol,
    dave,
    eve,
  };
}

/** The step a script takes, as the scenario's pipeline records it (its trace, its failure reports). */
function scripted(label: string): ScenarioCommand {
  return {
    name: "script",
    args: () => ({ label }),
    check: () => true,
    run: async () => {},
    toString: () => label,
  };
}

/** Drives a script through the scenario's Step, one transaction per step, with the script's own checks on top. */
class Script {
  readonly scenario: ScenarioModel;

  constructor(
    readonly world: World,
    readonly port: ModelAdapter,
  ) {
    // Every actor's account is compared after each step, and the operator's too: it mints and funds insurance.
    const { actors } = world;
    this.scenario = { port, actors: { ...actors, accounts: [actors.operator, ...actors.accounts] } };
  }

  get model(): MarketModel {
    return this.port.model;
  }

  get steps(): number {
    return this.world.steps.length;
  }

  /**
   * Known limitations the script demonstrates on purpose: violations of these checks are recorded in
   * `world.toleratedSeen` instead of failing the step (every other check still runs).
   */
  knownLimitations(...invariants: string[]): void {
    this.world.tolerate = (failure) => invariants.includes(failure.invariant);
  }

  /** The tolerated checks that did fail, by name. */
  get knownViolations(): string[] {
    return this.world.toleratedSeen.map((failure) => failure.invariant);
  }

  /** Acts on chain and model through the scenario's Step and runs every check; returns the model's prediction. */
  async step(
    label: string,
    p: StepParameters,
  ): Promise<{ expected: Outcome; events: ReturnType<typeof receiptEvents> }> {
    const w = this.world;
    if (p.dt !== undefined && p.dt !== w.clock.interval) await warp(w, p.dt);
    this.port.advanceTo(w.clock.next());
    const { args, action } = p.call();
    const data = encodeFunctionData({ abi: abis[p.target], functionName: p.functionName, args } as never);
    const to = w.system.addresses[p.target];
    const command = scripted(label);
    const step = new Step(this.scenario, w);
    const { expected, actual } = await step.act({ action, request: { from: p.from, to, data, label } });
    const where = `step ${step.index} "${label}"`;
    try {
      await step.finish(command);
    } catch (error) {
      // The pipeline's report, with what was expected and found, under the script's name for the step.
      if (error instanceof InvariantViolation)
        throw new Error(`${where}: ${error.message}\n${toJson(error.info, 2)}`, { cause: error });
      throw error;
    }

    const outcome = expected.status === "reverted" ? expected.error : expected.status;
    expect(outcome, `${where}: the model's outcome is not the one the script intends`).toBe(p.expect);
    const events = receiptEvents(w.system.addresses, actual.receipt);
    if (expected.predictedEvents)
      expect(diffValues("events", expected.predictedEvents, events), `${where}: events`).toEqual([]);
    return { expected, events };
  }

  /* shorthands */

  /** A market call; `action` is the model's side of it. */
  call(
    from: Address,
    functionName: string,
    args: readonly unknown[],
    action: ModelAction,
    outcome: Intended = "ok",
    dt?: bigint,
  ) {
    return this.step(`${functionName} by ${from.slice(0, 8)}`, {
      from,
      target: "market",
      functionName,
      call: () => ({ args, action }),
      dt,
      expect: outcome,
    });
  }

  mint(to: Address, amount: bigint) {
    return this.step(`mint ${amount} to ${to.slice(0, 8)}`, {
      from: this.world.actors.operator,
      target: "collateral",
      functionName: "mint",
      call: () => ({ args: [to, amount], action: { kind: "mint", to, amount } }),
      expect: "ok",
    });
  }

  approve(owner: Address, spender: "market" | "pool") {
    const address = this.world.system.addresses[spender];
    return this.step(`approve ${spender} for ${owner.slice(0, 8)}`, {
      from: owner,
      target: "collateral",
      functionName: "approve",
      call: () => ({
        args: [address, UINT256_MAX],
        action: { kind: "approve", owner, spender: address, amount: UINT256_MAX },
      }),
      expect: "ok",
    });
  }

  /** A collateral transfer (a donation, when `to` is the market). */
  transfer(from: Address, to: Address, amount: bigint) {
    return this.step(`transfer ${amount} from ${from.slice(0, 8)}`, {
      from,
      target: "collateral",
      functionName: "transfer",
      call: () => ({ args: [to, amount], action: { kind: "transfer", from, to, amount } }),
      expect: "ok",
    });
  }

  /** Publishes `price` on the secondary feed, then the primary (so they never diverge when the price is read). */
  async setPrice(price: number, dt?: bigint): Promise<void> {
    await this.feedRound("secondary", price, undefined, dt);
    await this.feedRound("primary", price);
  }

  /** Publishes `price` on the primary alone, the secondary's last round made older than secondaryMaxAge: unconfirmed. */
  async setPrimaryUnconfirmed(price: number): Promise<void> {
    const s = this.model.state;
    await this.feedRound("secondary", price, () => s.now - BigInt(s.oracle.params.secondaryMaxAge) - 1n);
    await this.feedRound("primary", price);
  }

  /** One feed round: `setAnswer(answer)`, or `setAnswerAt(answer, updatedAt)` when `updatedAt` is given. */
  feedRound(feed: "primary" | "secondary", price: number, updatedAt?: () => bigint, dt?: bigint) {
    return this.step(`${feed} feed ${price}${updatedAt ? " (dated)" : ""}`, {
      from: this.world.actors.operator,
      target: feed === "primary" ? "primaryFeed" : "secondaryFeed",
      functionName: updatedAt ? "setAnswerAt" : "setAnswer",
      call: () => {
        const at = updatedAt?.();
        return {
          args: at === undefined ? [answer(price)] : [answer(price), at],
          action: { kind: "feedAnswer", feed, answer: answer(price), updatedAt: at },
        };
      },
      dt,
      expect: "ok",
    });
  }

  deposit(account: Address, amount: bigint | (() => bigint), outcome: Intended = "ok", dt?: bigint) {
    return this.step(`deposit by ${account.slice(0, 8)}`, {
      from: account,
      target: "market",
      functionName: "deposit",
      call: () => {
        const value = typeof amount === "function" ? amount() : amount;
        return { args: [value], action: { kind: "deposit", from: account, amount: value } };
      },
      dt,
      expect: outcome,
    });
  }

  withdraw(account: Address, amount: bigint | (() => bigint), outcome: Intended = "ok", dt?: bigint) {
    return this.step(`withdraw by ${account.slice(0, 8)}`, {
      from: account,
      target: "market",
      functionName: "withdraw",
      call: () => {
        const value = typeof amount === "function" ? amount() : amount;
        return { args: [value], action: { kind: "withdraw", from: account, amount: value } };
      },
      dt,
      expect: outcome,
    });
  }

  modify(
    account: Address,
    sizeDelta: bigint | (() => bigint),
    outcome: Intended = "ok",
    priceLimit = 0n,
    dt?: bigint,
  ) {
    return this.step(`modify by ${account.slice(0, 8)}`, {
      from: account,
      target: "market",
      functionName: "modifyPosition",
      call: () => {
        const size = typeof sizeDelta === "function" ? sizeDelta() : sizeDelta;
        return {
          args: [size, priceLimit],
          action: { kind: "modify", from: account, sizeDelta: size, priceLimit },
        };
      },
      dt,
      expect: outcome,
    });
  }

  close(account: Address, outcome: Intended = "ok") {
    return this.call(
      account,
      "closePosition",
      [0n],
      { kind: "close", from: account, priceLimit: 0n },
      outcome,
    );
  }

  async liquidate(
    liquidator: Address,
    account: Address,
    outcome: Intended = "ok",
  ): Promise<Liquidation | undefined> {
    const { events } = await this.call(
      liquidator,
      "liquidate",
      [account],
      { kind: "liquidate", from: liquidator, account },
      outcome,
    );
    const liquidated = events.find((e) => e.name === "Liquidated")?.args;
    if (!liquidated) return undefined;
    const badDebt = events.find((e) => e.name === "BadDebt")?.args;
    return {
      price: liquidated.price as bigint,
      reward: liquidated.keeperReward as bigint,
      badDebt: badDebt
        ? { deficit: badDebt.deficit as bigint, socialised: badDebt.socialised as bigint }
        : null,
    };
  }

  refresh(caller: Address, dt?: bigint) {
    return this.call(caller, "refresh", [], { kind: "refresh", from: caller }, "ok", dt);
  }

  fundInsurance(from: Address, amount: bigint, outcome: Intended = "ok") {
    return this.call(from, "fundInsurance", [amount], { kind: "fundInsurance", from, amount }, outcome);
  }

  lpDeposit(lp: Address, assets: bigint) {
    return this.step(`LP deposits ${assets}`, {
      from: lp,
      target: "pool",
      functionName: "deposit",
      call: () => ({ args: [assets, lp], action: { kind: "lpDeposit", from: lp, assets } }),
      expect: "ok",
    });
  }

  lpWithdraw(lp: Address, assets: bigint, outcome: Intended = "ok") {
    return this.step(`LP withdraws ${assets}`, {
      from: lp,
      target: "pool",
      functionName: "withdraw",
      call: () => ({ args: [assets, lp, lp], action: { kind: "lpWithdraw", from: lp, assets } }),
      expect: outcome,
    });
  }

  lpRedeem(lp: Address, shares: bigint | (() => bigint), outcome: Intended = "ok") {
    return this.step("LP redeems", {
      from: lp,
      target: "pool",
      functionName: "redeem",
      call: () => {
        const value = typeof shares === "function" ? shares() : shares;
        return { args: [value, lp, lp], action: { kind: "lpRedeem", from: lp, shares: value } };
      },
      expect: outcome,
    });
  }

  lpClaim(lp: Address) {
    return this.step("LP claims", {
      from: lp,
      target: "pool",
      functionName: "claimSettlement",
      call: () => {
        const shares = this.model.sharesOf(lp);
        return { args: [shares, lp], action: { kind: "lpClaim", from: lp, shares } };
      },
      expect: "ok",
    });
  }
}

describe("model vs contracts", () => {
  test("the model's self-call selectors are the contract's", () => {
    const signatures = {
      deposit: "executeDeposit(address,uint256)",
      withdraw: "executeWithdraw(address,uint256)",
      modify: "executeModify(address,int256,uint256)",
      liquidate: "executeLiquidate(address,address)",
      poolDeposit: "executePoolDeposit(uint256)",
      poolWithdraw: "executePoolWithdraw(address,uint256)",
      fundInsurance: "executeFundInsurance(address,uint256)",
    } as const;
    const declared = new Set(
      marketAbi.flatMap((item) => (item.type === "function" ? [toFunctionSelector(item)] : [])),
    );
    for (const [key, signature] of Object.entries(signatures)) {
      const selector = toFunctionSelector(signature);
      expect(executeSelectors[key as keyof typeof signatures]).toBe(selector);
      expect(declared.has(selector), signature).toBe(true);
    }
  });

  test("a scripted session: trading, funding, oracle classes, liquidations with and without bad debt, LPs", async () => {
    const h = await open();
    const { operator, lp, alice, bob, carol, dave, eve, keeper } = cast(h);
    const m = h.model;

    await h.mint(lp, 2_000_000n * USD);
    for (const account of [alice, bob]) await h.mint(account, 20_000n * USD);
    for (const account of [carol, dave, eve, operator]) await h.mint(account, 20_000n * USD);
    await h.approve(lp, "pool");
    for (const account of [alice, bob, carol, dave, eve, operator]) await h.approve(account, "market");

    await h.lpDeposit(lp, 1_000_000n * USD);
    await h.deposit(alice, 18_000n * USD);
    // The deployment's round is minutes old by now: an increase needs one at most MAX_TRADE_AGE old.
    await h.setPrice(2000);
    await h.modify(alice, 10n * UNIT);
    await h.deposit(bob, 5_000n * USD);
    await h.modify(bob, -30n * UNIT, "MarketInsufficientMargin");
    await h.modify(bob, -5n * UNIT);
    await h.modify(alice, UNIT, "MarketPriceLimit", 1999n * UNIT);
    await h.liquidate(keeper, alice, "MarketNotLiquidatable");
    await h.deposit(eve, 0n, "MarketZeroAmount");
    await h.deposit(carol, 2_000n * USD);

    // An hour later (the LP's shares past their holding period) +7.5%, then half an hour of funding at a net long
    // skew.
    await h.setPrice(2150, 3_600n);
    await h.refresh(keeper, 1800n);
    await h.withdraw(alice, 1_000n * USD);
    await h.withdraw(alice, 50_000n * USD, "MarketInsufficientFreeMargin");

    // Dave opens at 2,150 with 50 USD above the initial margin and the fee; a reading later (-7%) he is below
    // maintenance with margin left: liquidated without bad debt.
    await h.deposit(dave, () => marginFor(m, 10n * UNIT, 50n * USD));
    await h.setPrice(2150); // a fresh round for the increase (MAX_TRADE_AGE)
    await h.modify(dave, 10n * UNIT);
    await h.setPrice(2000);
    const daveLiquidation = await h.liquidate(keeper, dave);
    await h.setPrice(1900);
    await h.refresh(keeper);
    expect(daveLiquidation?.badDebt).toBeNull();
    expect(daveLiquidation?.reward).toBeGreaterThan(0n);
    expect(m.accountOf(dave).margin > 0n).toBe(true);

    // Eve opens at 1,900 the same way, once the stable price has followed the fall (TradePricing, 1 %/min) and on
    // a fresh round; the price falls 9% a reading until her loss exceeds her margin.
    await h.refresh(keeper, 900n);
    await h.setPrice(1900);
    await h.deposit(eve, () => marginFor(m, 10n * UNIT, 50n * USD));
    await h.modify(eve, 10n * UNIT);
    let price = 1900;
    while (m.accountHealth(eve).equity >= 0n) {
      price = Math.round(price * 0.91);
      await h.setPrice(price);
      await h.refresh(keeper);
    }
    const eveLiquidation = await h.liquidate(keeper, eve);
    expect(eveLiquidation?.badDebt?.socialised).toBeGreaterThan(0n);
    expect(m.accountOf(eve).margin).toBe(0n);
    expect(price).toBeLessThan(1600);
    // The fees' insurance covered a part (below its floor: Cautious), the LPs the rest (ReduceOnly).
    expect(m.mode).toBe(Mode.ReduceOnly);
    await h.modify(bob, -UNIT, "MarketNotAllowed");

    await h.fundInsurance(operator, 500n * USD);
    await h.lpWithdraw(lp, 100_000n * USD);
    await h.lpRedeem(lp, 10n ** 30n, "ERC4626ExceededMaxRedeem");
    await h.withdraw(carol, 2_000n * USD);

    // An hour without a new round: the price is Stale for every action that trusts it.
    await h.modify(alice, -UNIT, "MarketOracleNotValid", 0n, 3700n);
    expect(m.peek().class).toBe(OracleClass.Stale);
    await h.deposit(alice, 100n * USD);
    await h.close(bob, "MarketOracleNotValid");
    await h.setPrice(price);
    await h.close(bob);
    await h.close(alice);
    await h.transfer(alice, h.world.system.addresses.market, 100n * USD);
    await h.lpRedeem(lp, () => m.maxRedeem(lp));
    await h.withdraw(dave, () => m.accountOf(dave).margin);
    expect(h.steps).toBeGreaterThanOrEqual(50);
    expect(m.mode).toBe(Mode.ReduceOnly);
  }, 60_000);

  // The first version of the contracts tripped TokenConservation here and halted for good (a finding of this
  // model, fixed in the contracts): a deposit no longer papers over a funding debt beyond the margin.
  test("a 1-wei deposit into an account underwater on funding is refused; the liquidator takes the debt", async () => {
    const h = await open();
    const { lp, alice, dave, keeper } = cast(h);
    const m = h.model;

    await h.mint(lp, 1_000_000n * USD);
    await h.mint(alice, 20_000n * USD);
    await h.mint(dave, 5_000n * USD);
    await h.approve(lp, "pool");
    await h.approve(alice, "market");
    await h.approve(dave, "market");
    await h.lpDeposit(lp, 1_000_000n * USD);
    await h.deposit(alice, 10_000n * USD);
    // The deployment's round is minutes old by now: an increase needs one at most MAX_TRADE_AGE old.
    await h.setPrice(2000);
    await h.modify(alice, 10n * UNIT);
    await h.deposit(dave, 2_100n * USD);
    await h.modify(dave, 10n * UNIT);
    await h.setPrice(1850);
    await h.refresh(keeper);
    await h.setPrice(1700);
    // The largest reduce that keeps dave's margin >= 0 (found on the model): dave stays in, underwater.
    await h.modify(dave, () => nearZeroMarginReduce(m, dave));
    await h.deposit(dave, 1n, "MarketAccountInsolvent", 60n);
    expect(m.mode).toBe(Mode.Normal);
    const taken = await h.liquidate(keeper, dave);
    expect(taken?.badDebt?.deficit).toBeGreaterThan(0n);
    await h.close(alice);
  }, 60_000);

  test("profit is withdrawable only once real; a close is paid at most the profit cap, per window", async () => {
    const h = await open();
    const { lp, alice, keeper } = cast(h);
    const m = h.model;
    await h.mint(lp, 100_000n * USD);
    await h.mint(alice, 20_000n * USD);
    await h.approve(lp, "pool");
    await h.approve(alice, "market");
    await h.lpDeposit(lp, 100_000n * USD);
    await h.deposit(alice, 20_000n * USD);
    // The deployment's round is minutes old by now: an increase needs one at most MAX_TRADE_AGE old.
    await h.setPrice(2000);
    await h.modify(alice, 40n * UNIT);
    // A second winner shares the market's room: its claim counts in every close's pro-rata share.
    await h.mint(keeper, 5_000n * USD);
    await h.approve(keeper, "market");
    await h.deposit(keeper, 5_000n * USD);
    await h.modify(keeper, 10n * UNIT);
    for (const price of [2100, 2200, 2300, 2400]) {
      await h.setPrice(price, 1800n);
      await h.refresh(keeper);
    }
    await h.refresh(keeper, 300n); // the stable price follows the last step (TradePricing, 1 %/min)
    // Up 16,000 on paper: the margin alone must meet the initial requirement after a withdrawal.
    await h.withdraw(alice, () => BigInt(m.accountOf(alice).margin) - 100n * USD, "MarketInsufficientMargin");
    await h.withdraw(alice, 1_000n * USD);
    // Half the position realises 8,000 against a pool of about 100,000 not counting it: paid ~10,000 at most.
    await h.modify(alice, -20n * UNIT);
    // The rest in the same window: capped by what the window has left.
    await h.close(alice);
    const read = async () => h.world.system.market.read.profitWindow();
    await h.close(keeper);
    const [paid, start] = await read();
    expect({ paid, start }).toEqual(m.profitWindow());
    expect(paid).toBeLessThan(20_000n * USD);
    // A day later the window renews.
    await h.deposit(alice, 1n * USD, "ok", 86_400n);
    await h.setPrice(2400, 12n);
    await h.modify(alice, 10n * UNIT);
    await h.setPrice(2600, 1800n);
    await h.refresh(keeper);
    await h.refresh(keeper, 600n); // the stable price follows the step (TradePricing, 1 %/min)
    await h.close(alice);
    const [paid2, start2] = await read();
    expect({ paid: paid2, start: start2 }).toEqual(m.profitWindow());
    expect(start2).toBeGreaterThan(start);
    // Open at 2,400, closed 40 minutes later after 2,600: a position held through a move, not a round trip around
    // one round (front-run-bounded judges 10 blocks and 2 minutes), so no promise is let pass here.
    expect(h.knownViolations).toEqual([]);
  }, 60_000);

  test("breaker trip and reset, guardian and owner modes, Cautious trading, liquidation on a Diverged reading", async () => {
    const h = await open();
    const { owner, guardian, lp, alice, bob, dave, keeper } = cast(h);
    const m = h.model;
    await h.mint(lp, 2_000_000n * USD);
    for (const account of [alice, bob, dave]) {
      await h.mint(account, 20_000n * USD);
      await h.approve(account, "market");
    }
    await h.approve(lp, "pool");
    await h.lpDeposit(lp, 1_000_000n * USD);
    await h.deposit(alice, 18_000n * USD);
    await h.deposit(bob, 5_000n * USD);
    await h.deposit(dave, () => marginFor(m, 10n * UNIT, 50n * USD));
    // The deployment's round is minutes old by now: an increase needs one at most MAX_TRADE_AGE old.
    await h.setPrice(2000);
    await h.modify(alice, 10n * UNIT);
    await h.modify(dave, 10n * UNIT);

    // A +15% reading nothing confirms: the increase trips the breaker (committed: the transaction succeeds, the market halts).
    await h.setPrimaryUnconfirmed(2300);
    await h.modify(alice, UNIT, "tripped");
    expect([m.mode, m.haltFlags]).toEqual([Mode.Halted, HaltFlag.Breaker]);
    await h.deposit(alice, 1n);
    await h.modify(alice, -UNIT, "MarketNotAllowed");
    await h.liquidate(keeper, dave, "MarketNotAllowed");
    await h.refresh(keeper); // still TooVolatile
    for (const price of [2000, 2010, 2020]) {
      await h.setPrice(price);
      await h.refresh(keeper);
    }
    expect(m.mode).toBe(Mode.Halted); // three new rounds, but the cooldown has not passed
    await h.refresh(keeper, 900n);
    expect([m.mode, m.haltFlags]).toEqual([Mode.Normal, 0]);
    // Tripped again, the guardian pins the halt: the breaker's reset no longer reopens it; the owner does.
    await h.setPrimaryUnconfirmed(2300);
    await h.modify(alice, UNIT, "tripped");
    await h.call(guardian, "escalate", [Mode.Halted], { kind: "escalate", from: guardian, to: Mode.Halted });
    for (const price of [2020, 2010, 2020]) {
      await h.setPrice(price);
      await h.refresh(keeper);
    }
    await h.refresh(keeper, 900n);
    expect([m.mode, m.haltFlags]).toEqual([Mode.Halted, HaltFlag.Guardian]);
    await h.call(owner, "setMode", [Mode.Normal], { kind: "setMode", from: owner, to: Mode.Normal });

    // The guardian tightens; Cautious raises the initial margin.
    await h.call(
      alice,
      "escalate",
      [Mode.Cautious],
      { kind: "escalate", from: alice, to: Mode.Cautious },
      "MarketOnlyGuardian",
    );
    await h.call(guardian, "escalate", [Mode.Cautious], {
      kind: "escalate",
      from: guardian,
      to: Mode.Cautious,
    });
    await h.call(
      guardian,
      "escalate",
      [Mode.Normal],
      { kind: "escalate", from: guardian, to: Mode.Normal },
      "MarketNotTighter",
    );
    await h.setPrice(2020); // a fresh round for the increases (MAX_TRADE_AGE)
    await h.modify(bob, -30n * UNIT, "MarketInsufficientMargin");
    await h.modify(bob, -5n * UNIT);

    // The price falls; then the primary diverges from the secondary: dave is liquidated at the kinder side.
    await h.setPrice(1850);
    await h.refresh(keeper);
    await h.feedRound("primary", 1750);
    expect(m.peek().class).toBe(OracleClass.Diverged);
    const taken = await h.liquidate(keeper, dave);
    expect(taken?.price).toBe(1850n * UNIT);

    // Out of order (a newer round dated before the last accepted one): Stale; the same second: accepted.
    const lastGoodAt = () => m.lastGoodPrice().updatedAt;
    await h.feedRound("primary", 1851, () => lastGoodAt() - 5n);
    await h.refresh(keeper);
    expect(m.lastGoodPrice().price).toBe(1850n * UNIT);
    await h.feedRound("primary", 1852, lastGoodAt);
    const variance = m.state.oracle.variance;
    await h.refresh(keeper);
    expect(m.lastGoodPrice().price).toBe(1852n * UNIT);
    expect(m.state.oracle.variance).toBe(variance);

    // Halted by the guardian: nobody may settle before maxHaltDuration; the owner reopens the market.
    await h.call(guardian, "escalate", [Mode.Halted], { kind: "escalate", from: guardian, to: Mode.Halted });
    await h.call(keeper, "settle", [], { kind: "settle", from: keeper }, "MarketNotSettleable");
    await h.call(
      keeper,
      "setMode",
      [Mode.Normal],
      { kind: "setMode", from: keeper, to: Mode.Normal },
      "OwnableUnauthorizedAccount",
    );
    await h.call(owner, "setMode", [Mode.Normal], { kind: "setMode", from: owner, to: Mode.Normal });
    expect([m.mode, m.haltFlags]).toEqual([Mode.Normal, 0]);
    const risk = m.riskParams();
    const steep: RiskParams = { ...risk, tradingFee: 3n * risk.tradingFee };
    await h.call(
      owner,
      "setRiskParams",
      [steep],
      { kind: "setRiskParams", from: owner, params: steep },
      "MarketStepTooLarge",
    );
    const doubled: RiskParams = { ...risk, tradingFee: 2n * risk.tradingFee };
    await h.call(owner, "setRiskParams", [doubled], { kind: "setRiskParams", from: owner, params: doubled });
    await h.close(alice);
  }, 60_000);

  // The breaker's streak counter is a uint8 that counts every new Valid round refreshed inside the cooldown;
  // it saturates at 255 (it once overflowed into a Panic that kept the breaker from ever resetting while the
  // feed stayed healthy). Model and chain agree the 256th round is harmless and the breaker resets after.
  test("the breaker's uint8 streak saturates after 255 new rounds inside the cooldown", async () => {
    const h = await open();
    const { owner, lp, alice } = cast(h);
    const m = h.model;
    await h.mint(lp, 1_000_000n * USD);
    await h.approve(lp, "pool");
    await h.mint(alice, 20_000n * USD);
    await h.approve(alice, "market");
    await h.lpDeposit(lp, 1_000_000n * USD);
    await h.deposit(alice, 10_000n * USD);
    await h.setPrimaryUnconfirmed(2300);
    await h.modify(alice, UNIT, "tripped");
    await h.setPrice(2000, 1n);
    for (let i = 0; m.state.market.validStreak < 255 && i < 300; i++) {
      await h.refresh(owner, 1n);
      if (m.state.market.validStreak < 255) await h.feedRound("primary", 2000 + (i % 2), undefined, 1n);
    }
    expect(m.state.market.validStreak).toBe(255);
    await h.feedRound("primary", 2002, undefined, 1n);
    await h.refresh(owner, 1n); // the 256th new round: no overflow
    expect([m.mode, m.state.market.validStreak]).toEqual([Mode.Halted, 255]);
    // Past the cooldown, a refresh of a fresh Valid round resets the breaker.
    await h.setPrice(2001, 900n);
    await h.refresh(owner);
    expect([m.mode, m.haltFlags]).toEqual([Mode.Normal, 0]);
  }, 120_000);

  test("funding receivables the pool cannot pay are deferred until it can", async () => {
    // No backing required and no LPs: the pool's only cash is its share of the fees. Funding at its cap.
    const risk = { ...defaultRisk(), minBacking: 0n, maxFundingRate: 10n ** 14n, skewScale: 5n * UNIT };
    const h = await open(risk);
    // That a winner can always close rests on the backing requirement, switched off here on purpose.
    h.knownLimitations("profit-can-close");
    const { alice, bob } = cast(h);
    for (const account of [alice, bob]) {
      await h.mint(account, 20_000n * USD);
      await h.approve(account, "market");
    }
    await h.deposit(alice, 10_000n * USD);
    await h.deposit(bob, 1_000n * USD);
    // The deployment's round is minutes old by now: an increase needs one at most MAX_TRADE_AGE old.
    await h.setPrice(2000);
    await h.modify(alice, 10n * UNIT);
    await h.modify(bob, -UNIT);
    await h.setPrice(2000, 100n); // bob is owed 0.2 USD a second, more than the pool's cash by now
    await h.deposit(bob, 1n * USD);
    await h.withdraw(bob, 1n * USD);
    await h.modify(bob, UNIT / 2n, "MarketPoolCannotPay");
    await h.deposit(alice, 1n); // alice's payable fills the pool
    await h.deposit(bob, 1n);
    await h.close(bob);
    expect(h.knownViolations).toContain("profit-can-close");
  }, 60_000);

  // A contract behaviour the model predicts and the chain confirms: finalisation counts only the deficits that
  // realise() recorded in the window (IMarket's NatSpec says claims and finalisation realise accounts
  // themselves; they do not). With an underwater account left unrealised the ratio assumes the pool can pay
  // every winner in full, the winner's claim exceeds the assets cap and reverts, for good, while the LPs'
  // claim goes through: the claims depend on what happened in the window and on who claims first.
  test("an underwater account nobody realised: the winner's claim is refused for good, the LPs' is paid", async () => {
    const risk = { ...defaultRisk(), minBacking: 0n };
    const h = await open(risk);
    const { owner, lp, bob, dave } = cast(h);
    h.knownLimitations("claims-within-assets"); // README, Known limitations
    const m = h.model;
    await h.mint(lp, 100n * USD);
    await h.approve(lp, "pool");
    for (const account of [bob, dave]) {
      await h.mint(account, 10_000n * USD);
      await h.approve(account, "market");
    }
    await h.lpDeposit(lp, 100n * USD);
    await h.deposit(dave, 2_100n * USD);
    await h.deposit(bob, 5_000n * USD);
    // The deployment's round is minutes old by now: an increase needs one at most MAX_TRADE_AGE old.
    await h.setPrice(2000);
    await h.modify(dave, 10n * UNIT);
    await h.modify(bob, -10n * UNIT);
    await h.setPrice(1850);
    await h.refresh(owner);
    await h.setPrice(1700);
    await h.refresh(owner);
    expect(m.accountHealth(dave).equity).toBeLessThan(-900n * USD);
    await h.call(owner, "settle", [], { kind: "settle", from: owner });
    await h.call(bob, "claim", [], { kind: "claim", from: bob }, "MarketSettlementExhausted", 86_400n);
    await h.lpClaim(lp);
    expect(m.collateralBalanceOf(lp)).toBeGreaterThan(100n * USD);
    await h.call(bob, "claim", [], { kind: "claim", from: bob }, "MarketSettlementExhausted");
    await h.call(dave, "claim", [], { kind: "claim", from: dave });
    // The scenario layer's promise names it from finalisation on.
    expect(h.knownViolations).toContain("claims-within-assets");
  }, 60_000);

  test("settlement: the snapshot, realisation, claims, the LPs' claim; the outflow limiter before it", async () => {
    const h = await open();
    const { owner, lp, alice, bob, carol, dave, keeper } = cast(h);
    const m = h.model;
    await h.mint(lp, 2_000_000n * USD);
    await h.approve(lp, "pool");
    for (const account of [alice, bob, carol, dave]) {
      await h.mint(account, 20_000n * USD);
      await h.approve(account, "market");
    }
    await h.lpDeposit(lp, 1_000_000n * USD);
    await h.deposit(alice, 10_000n * USD);
    await h.deposit(bob, 10_000n * USD);
    await h.deposit(carol, 3_000n * USD);
    await h.deposit(dave, () => marginFor(m, 10n * UNIT, 50n * USD));
    // The deployment's round is minutes old by now: an increase needs one at most MAX_TRADE_AGE old.
    await h.setPrice(2000);
    await h.modify(alice, 10n * UNIT);
    await h.modify(bob, -20n * UNIT);
    await h.modify(dave, 10n * UNIT);

    // A day later, the limiter allows a quarter of the equity out, net.
    await h.setPrice(2000, 86_400n);
    const room = m.outflowAvailable();
    expect(room).toBeLessThan(m.poolWithdrawable());
    await h.lpWithdraw(lp, room);
    await h.lpWithdraw(lp, 1n, "ERC4626ExceededMaxWithdraw");

    // Dave goes underwater with no keeper around.
    let price = 2000;
    while (m.accountHealth(dave).equity >= 0n) {
      price = Math.round(price * 0.93);
      await h.setPrice(price);
      await h.refresh(keeper);
    }
    await h.call(keeper, "settle", [], { kind: "settle", from: keeper }, "MarketNotSettleable");
    await h.call(owner, "settle", [], { kind: "settle", from: owner });
    expect(m.mode).toBe(Mode.Settlement);
    await h.refresh(keeper);
    await h.deposit(carol, 1n, "MarketNotAllowed");
    await h.call(
      carol,
      "fundInsurance",
      [1n],
      { kind: "fundInsurance", from: carol, amount: 1n },
      "MarketNotAllowed",
    );
    await h.call(carol, "claim", [], { kind: "claim", from: carol });
    await h.call(carol, "claim", [], { kind: "claim", from: carol }, "MarketAlreadyClaimed");
    await h.call(alice, "claim", [], { kind: "claim", from: alice }, "MarketSettlementPending");
    await h.call(
      keeper,
      "realise",
      [bob],
      { kind: "realise", from: keeper, account: bob },
      "MarketNotLiquidatable",
    );
    await h.call(keeper, "realise", [dave], { kind: "realise", from: keeper, account: dave });
    await h.call(
      keeper,
      "realise",
      [alice],
      { kind: "realise", from: keeper, account: alice },
      "MarketRealiseWindowClosed",
      86_400n,
    );
    for (const account of [alice, bob]) await h.call(account, "claim", [], { kind: "claim", from: account });
    expect(m.settlement()).toMatchObject({ finalised: true, traderRatio: 10n ** 18n });
    await h.lpClaim(lp);
    expect(m.settlementPaid()).toBeLessThanOrEqual(m.settlement().assets);
  }, 60_000);
});

/** What to deposit to open `size` at the last good price: the initial margin, the fee, and `buffer`. */
function marginFor(m: MarketModel, size: bigint, buffer: bigint): bigint {
  const notional = ceilDiv(size * m.lastGoodPrice().price, m.state.market.valueDivisor);
  const im = (notional * m.marginRatios().initialMargin + UNIT - 1n) / UNIT;
  const fee = (notional * m.riskParams().tradingFee + UNIT - 1n) / UNIT;
  return im + fee + buffer;
}
