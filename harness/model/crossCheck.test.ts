/**
 * The model against the real contracts: a scripted sequence of actions runs on an anvil node and on the model
 * side by side. After every step the revert (decoded custom error and arguments) or the success (trip or not,
 * and the protocol's events) must match the model's prediction, and the chain's Lens snapshot must equal the
 * model's field by field. The protocol invariants are checked on the chain's snapshot as well.
 */
import { type Address, type Hash, toFunctionSelector } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AnvilNode, startAnvil } from "../chain/anvil.js";
import { type ChainClients, createChainClients } from "../chain/clients.js";
import { sendAndWait } from "../chain/sendAndWait.js";
import { decodeRevert, readSnapshot, receiptEvents } from "./chainState.js";
import { type DeployedSystem, deploySystem, modelOf } from "./deploySystem.js";
import { nearZeroMarginReduce } from "./fixtures.js";
import {
  type AccountGhost,
  checkState,
  checkTransition,
  diffState,
  diffValues,
  toJson,
} from "./invariants.js";
import { executeSelectors, type LiquidateEffects, type MarketModel } from "./market.js";
import { ceilDiv, UINT256_MAX } from "./math.js";
import type { ActionResult, RevertName } from "./result.js";
import { Mode, normalizeAddress, OracleClass, type Snapshot } from "./types.js";

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
type Outcome = "ok" | "tripped" | RevertName;

type StepParameters = {
  from: Address;
  target: Target;
  functionName: string;
  /** Evaluated after the model moved to the step's block time. */
  args: readonly unknown[] | (() => readonly unknown[]);
  /** Seconds after the latest block (default 12, the node's block interval). */
  dt?: bigint | undefined;
  /** The model's side of the step; undefined for a step that cannot revert (a feed update). */
  model: () => ActionResult<unknown> | undefined;
  /** The outcome the script intends: keeps the scenario honest if an earlier step drifts. */
  expect: Outcome;
};

/** Drives one deployed system and its model through steps, comparing everything after each. */
class Harness {
  readonly system: DeployedSystem;
  readonly model: MarketModel;
  readonly accounts: readonly Address[];
  readonly ghosts = new Map<Address, AccountGhost>();
  private previous: Snapshot | undefined;
  steps = 0;

  constructor(system: DeployedSystem, accounts: readonly Address[]) {
    this.system = system;
    this.model = modelOf(system);
    this.accounts = accounts;
  }

  /** Runs one step on both sides and compares; returns the model's prediction. */
  async step(label: string, p: StepParameters): Promise<ActionResult<unknown> | undefined> {
    const { publicClient, testClient } = clients;
    const latest = await publicClient.getBlock({ blockTag: "latest" });
    const timestamp = latest.timestamp + (p.dt ?? 12n);
    await testClient.setNextBlockTimestamp({ timestamp });
    this.model.warp(timestamp);

    const args = typeof p.args === "function" ? p.args() : p.args;
    const predicted = p.model();
    const outcome: Outcome = !predicted
      ? "ok"
      : !predicted.ok
        ? predicted.error
        : predicted.tripped
          ? "tripped"
          : "ok";
    const where = `step ${++this.steps} "${label}"`;
    expect(outcome, `${where}: the model's outcome is not the one the script intends`).toBe(p.expect);

    const wallet = clients.walletClients[clients.accounts.indexOf(p.from)];
    if (!wallet) throw new Error(`${where}: ${p.from} is not a dev account`);
    const receipt = await sendAndWait(clients, {
      label,
      allowRevert: true,
      send: (): Promise<Hash> =>
        wallet.writeContract({
          address: this.system.addresses[p.target],
          abi: abiOf(this.system, p.target),
          functionName: p.functionName,
          args,
          gas: 5_000_000n, // fixed, so a reverting transaction is mined rather than refused at estimation
        } as never),
    });
    const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
    expect(block.timestamp, `${where}: block time`).toBe(timestamp);

    if (receipt.status === "reverted") {
      const revert = await decodeRevert({ clients, system: this.system, hash: receipt.transactionHash });
      expect(predicted?.ok === false ? predicted.error : "success", `${where}: chain reverted`).toBe(
        revert.errorName,
      );
      if (predicted && !predicted.ok)
        expect(diffValues("args", predicted.args, revert.args), where).toEqual([]);
    } else {
      expect(predicted?.ok ?? true, `${where}: chain succeeded but the model predicted a revert`).toBe(true);
      if (predicted?.ok) {
        const chainEvents = receiptEvents(this.system, receipt);
        expect(
          chainEvents.some((e) => e.name === "InvariantViolated"),
          `${where}: trip`,
        ).toBe(predicted.tripped);
        expect(diffValues("events", predicted.events, chainEvents), `${where}: events`).toEqual([]);
      }
    }

    const chain = await readSnapshot({ clients, system: this.system, accounts: this.accounts });
    const model = this.model.snapshot({
      accounts: this.accounts,
      timestamp: chain.market.timestamp,
      blockNumber: chain.market.blockNumber,
    });
    const diff = diffState(model, chain);
    expect(diff, `${where}: model vs chain\n${toJson(diff, 2)}`).toEqual([]);
    const violations = [
      ...checkState({ snapshot: chain, complete: true, ghosts: this.ghosts }),
      ...(this.previous ? checkTransition(this.previous, chain) : []),
    ];
    expect(violations, `${where}: invariants`).toEqual([]);
    this.previous = chain;
    return predicted;
  }

  /* shorthands */

  mint(to: Address, amount: bigint) {
    return this.step(`mint ${amount} to ${to.slice(0, 8)}`, {
      from: this.system.addresses.owner,
      target: "collateral",
      functionName: "mint",
      args: [to, amount],
      model: () => this.model.mint({ to, amount }),
      expect: "ok",
    });
  }

  approve(owner: Address, spender: "market" | "pool") {
    const address = this.system.addresses[spender];
    return this.step(`approve ${spender} for ${owner.slice(0, 8)}`, {
      from: owner,
      target: "collateral",
      functionName: "approve",
      args: [address, UINT256_MAX],
      model: () => this.model.approve({ owner, spender: address, amount: UINT256_MAX }),
      expect: "ok",
    });
  }

  /** Publishes `price` on the secondary feed, then the primary (so they never diverge when the price is read). */
  async setPrice(price: number, dt?: bigint): Promise<void> {
    const feeds = [
      ["secondary", "secondaryFeed"],
      ["primary", "primaryFeed"],
    ] as const;
    for (const [i, [feed, target]] of feeds.entries()) {
      await this.step(`${feed} feed ${price}`, {
        from: this.system.addresses.owner,
        target,
        functionName: "setAnswer",
        args: [answer(price)],
        dt: i === 0 ? dt : undefined,
        model: () => {
          this.model.setAnswer({ feed, answer: answer(price) });
          return undefined;
        },
        expect: "ok",
      });
    }
  }

  deposit(account: Address, amount: bigint | (() => bigint), outcome: Outcome = "ok", dt?: bigint) {
    let value = 0n;
    return this.step(`deposit by ${account.slice(0, 8)}`, {
      from: account,
      target: "market",
      functionName: "deposit",
      args: () => {
        value = typeof amount === "function" ? amount() : amount;
        return [value];
      },
      dt,
      model: () => {
        const r = this.model.deposit({ account, amount: value });
        const ghost = this.ghosts.get(normalizeAddress(account));
        if (ghost && r.ok && !r.tripped) ghost.deposited += value;
        return r;
      },
      expect: outcome,
    });
  }

  withdraw(account: Address, amount: bigint | (() => bigint), outcome: Outcome = "ok", dt?: bigint) {
    let value = 0n;
    return this.step(`withdraw by ${account.slice(0, 8)}`, {
      from: account,
      target: "market",
      functionName: "withdraw",
      args: () => {
        value = typeof amount === "function" ? amount() : amount;
        return [value];
      },
      dt,
      model: () => {
        const r = this.model.withdraw({ account, amount: value });
        const ghost = this.ghosts.get(normalizeAddress(account));
        if (ghost && r.ok && !r.tripped) ghost.withdrawn += value;
        return r;
      },
      expect: outcome,
    });
  }

  modify(account: Address, sizeDelta: bigint, outcome: Outcome = "ok", priceLimit = 0n, dt?: bigint) {
    return this.step(`modify ${sizeDelta} by ${account.slice(0, 8)}`, {
      from: account,
      target: "market",
      functionName: "modifyPosition",
      args: [sizeDelta, priceLimit],
      dt,
      model: () => this.model.modifyPosition({ account, sizeDelta, priceLimit }),
      expect: outcome,
    });
  }

  close(account: Address, outcome: Outcome = "ok") {
    return this.step(`close by ${account.slice(0, 8)}`, {
      from: account,
      target: "market",
      functionName: "closePosition",
      args: [0n],
      model: () => this.model.closePosition({ account }),
      expect: outcome,
    });
  }

  async liquidate(liquidator: Address, account: Address, outcome: Outcome = "ok") {
    const r = await this.step(`liquidate ${account.slice(0, 8)}`, {
      from: liquidator,
      target: "market",
      functionName: "liquidate",
      args: [account],
      model: () => this.model.liquidate({ account, liquidator }),
      expect: outcome,
    });
    return r?.ok && !r.tripped ? (r.effects as LiquidateEffects) : undefined;
  }

  refresh(caller: Address, dt?: bigint) {
    return this.step("refresh", {
      from: caller,
      target: "market",
      functionName: "refresh",
      args: [],
      dt,
      model: () => this.model.refresh(),
      expect: "ok",
    });
  }
}

function abiOf(system: DeployedSystem, target: Target) {
  switch (target) {
    case "market":
      return system.abis.market;
    case "pool":
      return system.abis.pool;
    case "collateral":
      return system.abis.collateral;
    default:
      return system.abis.feed;
  }
}

describe("model vs contracts", () => {
  test("the model's self-call selectors are the contract's", async () => {
    const system = await deploySystem({ clients });
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
      system.abis.market.flatMap((item) => (item.type === "function" ? [toFunctionSelector(item)] : [])),
    );
    for (const [key, signature] of Object.entries(signatures)) {
      const selector = toFunctionSelector(signature);
      expect(executeSelectors[key as keyof typeof signatures]).toBe(selector);
      expect(declared.has(selector), signature).toBe(true);
    }
  });

  test("a scripted session: trading, funding, oracle classes, liquidations with and without bad debt, LPs", async () => {
    const system = await deploySystem({ clients });
    const [owner, lp, alice, bob, carol, dave, eve, keeper] = clients.accounts as Address[] & { length: 8 };
    if (!owner || !lp || !alice || !bob || !carol || !dave || !eve || !keeper)
      throw new Error("need 8 dev accounts");
    const h = new Harness(system, [owner, lp, alice, bob, carol, dave, eve, keeper]);
    const m = h.model;
    h.ghosts.set(normalizeAddress(carol), { deposited: 0n, withdrawn: 0n, traded: false });

    await h.mint(lp, 2_000_000n * USD);
    for (const account of [alice, bob]) await h.mint(account, 20_000n * USD);
    for (const account of [carol, dave, eve, owner]) await h.mint(account, 20_000n * USD);
    await h.approve(lp, "pool");
    for (const account of [alice, bob, carol, dave, eve, owner]) await h.approve(account, "market");

    await h.step("LP deposits 1,000,000", {
      from: lp,
      target: "pool",
      functionName: "deposit",
      args: [1_000_000n * USD, lp],
      model: () => m.lpDeposit({ caller: lp, assets: 1_000_000n * USD }),
      expect: "ok",
    });
    await h.deposit(alice, 18_000n * USD);
    await h.modify(alice, 10n * UNIT);
    await h.deposit(bob, 5_000n * USD);
    await h.modify(bob, -30n * UNIT, "MarketInsufficientMargin");
    await h.modify(bob, -5n * UNIT);
    await h.modify(alice, UNIT, "MarketPriceLimit", 1999n * UNIT);
    await h.liquidate(keeper, alice, "MarketNotLiquidatable");
    await h.deposit(eve, 0n, "MarketZeroAmount");
    await h.deposit(carol, 2_000n * USD);

    // +7.5%, then half an hour of funding at a net long skew.
    await h.setPrice(2150);
    await h.refresh(keeper, 1800n);
    await h.withdraw(alice, 1_000n * USD);
    await h.withdraw(alice, 50_000n * USD, "MarketInsufficientFreeMargin");

    // Dave opens at 2,150 with 50 USD above the initial margin and the fee; two readings later (-11.6%) he is
    // below maintenance with margin left: liquidated without bad debt.
    await h.deposit(dave, () => marginFor(m, 10n * UNIT, 50n * USD));
    await h.modify(dave, 10n * UNIT);
    await h.setPrice(2000);
    await h.refresh(keeper);
    await h.setPrice(1900);
    const daveLiquidation = await h.liquidate(keeper, dave);
    expect(daveLiquidation?.badDebt).toBeNull();
    expect(daveLiquidation?.reward).toBeGreaterThan(0n);
    expect(m.accountOf(dave).margin > 0n).toBe(true);

    // Eve opens at 1,900 the same way; the price falls 9% a reading until her loss exceeds her margin.
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

    await h.step("insurance funded", {
      from: owner,
      target: "market",
      functionName: "fundInsurance",
      args: [500n * USD],
      model: () => m.fundInsurance({ from: owner, amount: 500n * USD }),
      expect: "ok",
    });
    await h.step("LP withdraws 100,000", {
      from: lp,
      target: "pool",
      functionName: "withdraw",
      args: [100_000n * USD, lp, lp],
      model: () => m.lpWithdraw({ caller: lp, assets: 100_000n * USD }),
      expect: "ok",
    });
    await h.step("LP redeems more than allowed", {
      from: lp,
      target: "pool",
      functionName: "redeem",
      args: [10n ** 30n, lp, lp],
      model: () => m.lpRedeem({ caller: lp, shares: 10n ** 30n }),
      expect: "ERC4626ExceededMaxRedeem",
    });
    await h.withdraw(carol, 2_000n * USD);

    // An hour without a new round: the price is Stale for every action that trusts it.
    await h.modify(alice, -UNIT, "MarketOracleNotValid", 0n, 3700n);
    expect(m.peek().class).toBe(OracleClass.Stale);
    await h.deposit(alice, 100n * USD);
    await h.close(bob, "MarketOracleNotValid");
    await h.setPrice(price);
    await h.close(bob);
    await h.close(alice);
    await h.step("donation to the market", {
      from: alice,
      target: "collateral",
      functionName: "transfer",
      args: [system.addresses.market, 100n * USD],
      model: () => m.transfer({ from: alice, to: system.addresses.market, amount: 100n * USD }),
      expect: "ok",
    });
    await h.step("LP redeems what it may", {
      from: lp,
      target: "pool",
      functionName: "redeem",
      args: () => [m.maxRedeem(lp), lp, lp],
      model: () => m.lpRedeem({ caller: lp, shares: m.maxRedeem(lp) }),
      expect: "ok",
    });
    await h.withdraw(dave, () => m.accountOf(dave).margin);
    expect(h.steps).toBeGreaterThanOrEqual(50);
    expect(m.mode).toBe(Mode.Normal);
  }, 60_000);

  // A contract bug the model predicted and the chain confirms (the same root cause as BUG-1 in
  // test/integration/KnownBugs.t.sol): `_settleFunding` credits pool cash with funding an underwater account
  // cannot pay, so a 1-wei deposit by that account breaks TokenConservation and halts the market for good.
  // This test asserts today's behaviour (model and chain agree); when the contract is fixed, the model must
  // follow and the expected outcome below changes.
  test("a 1-wei deposit into an account underwater on funding halts the market", async () => {
    const system = await deploySystem({ clients });
    const [owner, lp, alice, dave, keeper] = clients.accounts as Address[];
    if (!owner || !lp || !alice || !dave || !keeper) throw new Error("need 5 dev accounts");
    const h = new Harness(system, [owner, lp, alice, dave, keeper]);
    const m = h.model;

    await h.mint(lp, 1_000_000n * USD);
    await h.mint(alice, 20_000n * USD);
    await h.mint(dave, 5_000n * USD);
    await h.approve(lp, "pool");
    await h.approve(alice, "market");
    await h.approve(dave, "market");
    await h.step("LP deposits", {
      from: lp,
      target: "pool",
      functionName: "deposit",
      args: [1_000_000n * USD, lp],
      model: () => m.lpDeposit({ caller: lp, assets: 1_000_000n * USD }),
      expect: "ok",
    });
    await h.deposit(alice, 10_000n * USD);
    await h.modify(alice, 10n * UNIT);
    await h.deposit(dave, 2_100n * USD);
    await h.modify(dave, 10n * UNIT);
    await h.setPrice(1850);
    await h.refresh(keeper);
    await h.setPrice(1700);
    // The largest reduce that keeps dave's margin >= 0 (found on the model): dave stays in, underwater.
    await h.step("dave reduces to ~0 margin", {
      from: dave,
      target: "market",
      functionName: "modifyPosition",
      args: () => [nearZeroMarginReduce(m, dave), 0n],
      model: () => m.modifyPosition({ account: dave, sizeDelta: nearZeroMarginReduce(m, dave) }),
      expect: "ok",
    });
    await h.deposit(dave, 1n, "tripped", 60n);
    expect(m.mode).toBe(Mode.Halted);
    const trip = (await readSnapshot({ clients, system, accounts: [] })).market.mode;
    expect(trip).toBe(Mode.Halted);
    await h.liquidate(keeper, dave, "MarketNotAllowed");
    await h.close(alice, "MarketNotAllowed");
  }, 60_000);
});

/** What to deposit to open `size` at the last good price: the initial margin, the fee, and `buffer`. */
function marginFor(m: MarketModel, size: bigint, buffer: bigint): bigint {
  const notional = ceilDiv(size * m.lastGoodPrice().price, m.state.market.valueDivisor);
  const im = (notional * m.marginRatios().initialMargin + UNIT - 1n) / UNIT;
  const fee = (notional * m.riskParams().tradingFee + UNIT - 1n) / UNIT;
  return im + fee + buffer;
}
