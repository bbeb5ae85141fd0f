/**
 * A small stand-in ScenarioHarness for the runner's own tests: a few real protocol actions (deposit,
 * withdraw, open, close, price moves, time, liquidation) on a real market, checked after every step by the
 * project's own protocol invariants (harness/invariants/protocol.ts) and, on request, a deliberately tight toy
 * check. It is a test double for the runner's control flow (generation, shrinking, artifacts, replay, the
 * CLIs), not a second scenario layer: it predicts nothing and keeps no rule of the protocol. Its model is what
 * the commands size themselves from (which traders are flat, with what margin), read back from the chain
 * after every step. The real scenario cannot serve here: its baseline already holds 20,000 of margin per
 * trader, so a toy cap would fail before any command, and the runner tests want a failure that shrinks to
 * a known minimal sequence in a few cheap runs.
 */
import * as fc from "fast-check";
import { type Abi, type Address, encodeFunctionData, type Hex, maxUint256 } from "viem";
import {
  liquidityPoolAbi,
  marketAbi,
  mockAggregatorAbi,
  mockErc20Abi,
  solidityEnums,
} from "../../../src-ts/generated/abis.js";
import { sendAndWait } from "../../chain/sendAndWait.js";
import { type Baseline, takeBaseline } from "../../chain/snapshots.js";
import { increaseTime } from "../../chain/time.js";
import { checkProtocolInvariants } from "../../invariants/protocol.js";
import {
  InvariantViolation,
  type JsonValue,
  type NamedCommand,
  type ScenarioHarness,
  type ScenarioKind,
  type StepRecord,
} from "../../scenario/contract.js";
import { readSnapshot } from "../../system/system.js";
import type { ChainWorld } from "../world.js";

const unit = 1_000_000n; // the default collateral has 6 decimals
const initialAnswer = 2000n * 10n ** 8n;
const modeNames = Object.keys(solidityEnums.Mode);
// Dev accounts: 0 deployer, 1-3 Safe owners, then ours.
// Two traders: enough for interplay, few enough that random sequences often act on the same account.
const traderAccounts = [4, 5] as const;
const keeperAccount = 8;
const lpAccount = 9;

/** What the commands size themselves from: the traders as the chain had them after the last step, and the price path. */
export class StandInModel {
  /** Margin of every trader without a position. */
  readonly idle = new Map<number, bigint>(traderAccounts.map((_, i) => [i, 0n]));
  readonly open = new Set<number>();
  /** The feeds' next answer (the stand-in's own price path). */
  answer = initialAnswer;
}

export type StandInReal = {
  readonly world: ChainWorld;
  readonly traders: readonly Address[];
  /** The traders, then the keeper and the LP: every account with margin or shares (the invariants sum them). */
  readonly accounts: readonly Address[];
  readonly steps: StepRecord[];
  readonly modes: Set<string>;
  worstHealth: number | null;
  toyMarginCap: bigint | undefined;
};

type Cmd = NamedCommand<StandInModel, StandInReal>;

abstract class StandInCommand implements Cmd {
  abstract readonly name: string;
  abstract args(): Record<string, JsonValue>;
  abstract check(model: Readonly<StandInModel>): boolean;
  protected abstract act(model: StandInModel, real: StandInReal): Promise<void>;

  async run(model: StandInModel, real: StandInReal): Promise<void> {
    const step = real.steps.length;
    await this.act(model, real);
    await afterStep(this, model, real, step);
  }

  toString(): string {
    const args = Object.entries(this.args()).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    return `${this.name}(${args.join(", ")})`;
  }
}

class Deposit extends StandInCommand {
  readonly name = "deposit";
  constructor(
    readonly trader: number,
    readonly amount: number,
  ) {
    super();
  }
  args() {
    return { trader: this.trader, amount: this.amount };
  }
  check() {
    return true;
  }
  protected async act(_model: StandInModel, real: StandInReal) {
    await send(real, nth(traderAccounts, this.trader), {
      to: real.world.system.addresses.market,
      data: encodeFunctionData({
        abi: marketAbi,
        functionName: "deposit",
        args: [BigInt(this.amount) * unit],
      }),
      label: this.toString(),
    });
  }
}

class Withdraw extends StandInCommand {
  readonly name = "withdraw";
  constructor(
    readonly trader: number,
    readonly percent: number,
  ) {
    super();
  }
  args() {
    return { trader: this.trader, percent: this.percent };
  }
  check(model: Readonly<StandInModel>) {
    return this.amount(model) > 0n;
  }
  private amount(model: Readonly<StandInModel>) {
    return ((model.idle.get(this.trader) ?? 0n) * BigInt(this.percent)) / 100n;
  }
  protected async act(model: StandInModel, real: StandInReal) {
    await send(real, nth(traderAccounts, this.trader), {
      to: real.world.system.addresses.market,
      data: encodeFunctionData({ abi: marketAbi, functionName: "withdraw", args: [this.amount(model)] }),
      label: this.toString(),
    });
  }
}

class Open extends StandInCommand {
  readonly name = "open";
  constructor(
    readonly trader: number,
    readonly side: "long" | "short",
    readonly leverageTenths: number,
  ) {
    super();
  }
  args() {
    return { trader: this.trader, side: this.side, leverageTenths: this.leverageTenths };
  }
  check(model: Readonly<StandInModel>) {
    return (model.idle.get(this.trader) ?? 0n) > 0n;
  }
  protected async act(model: StandInModel, real: StandInReal) {
    const margin = model.idle.get(this.trader) ?? 0n;
    // notional (collateral units) * 1e20 / answer (8 decimals) = size in WAD.
    const notional = (margin * BigInt(this.leverageTenths)) / 10n;
    const size = ((notional * 10n ** 20n) / model.answer) * (this.side === "long" ? 1n : -1n);
    if (size === 0n) return;
    await send(real, nth(traderAccounts, this.trader), {
      to: real.world.system.addresses.market,
      data: encodeFunctionData({ abi: marketAbi, functionName: "modifyPosition", args: [size, 0n] }),
      label: this.toString(),
    });
  }
}

class Close extends StandInCommand {
  readonly name = "close";
  constructor(readonly trader: number) {
    super();
  }
  args() {
    return { trader: this.trader };
  }
  check(model: Readonly<StandInModel>) {
    return model.open.has(this.trader);
  }
  protected async act(_model: StandInModel, real: StandInReal) {
    await send(real, nth(traderAccounts, this.trader), {
      to: real.world.system.addresses.market,
      data: encodeFunctionData({ abi: marketAbi, functionName: "closePosition", args: [0n] }),
      label: this.toString(),
    });
  }
}

class MovePrice extends StandInCommand {
  readonly name = "movePrice";
  constructor(readonly bps: number) {
    super();
  }
  args() {
    return { bps: this.bps };
  }
  check() {
    return true;
  }
  protected async act(model: StandInModel, real: StandInReal) {
    model.answer = (model.answer * BigInt(10_000 + this.bps)) / 10_000n;
    await publishAndRefresh(model, real, this.toString());
  }
}

class Advance extends StandInCommand {
  readonly name = "advance";
  constructor(readonly seconds: number) {
    super();
  }
  args() {
    return { seconds: this.seconds };
  }
  check() {
    return true;
  }
  protected async act(model: StandInModel, real: StandInReal) {
    await increaseTime(real.world.clients, { seconds: this.seconds, label: this.toString() });
    // A fresh round at the same price keeps the feeds from going stale.
    await publishAndRefresh(model, real, this.toString());
  }
}

class Liquidate extends StandInCommand {
  readonly name = "liquidate";
  constructor(readonly trader: number) {
    super();
  }
  args() {
    return { trader: this.trader };
  }
  check(model: Readonly<StandInModel>) {
    return model.open.has(this.trader);
  }
  protected async act(_model: StandInModel, real: StandInReal) {
    await send(real, keeperAccount, {
      to: real.world.system.addresses.market,
      data: encodeFunctionData({
        abi: marketAbi,
        functionName: "liquidate",
        args: [nth(real.traders, this.trader)],
      }),
      label: this.toString(),
    });
  }
}

async function publishAndRefresh(model: StandInModel, real: StandInReal, label: string) {
  const { addresses } = real.world.system;
  const answer = encodeFunctionData({
    abi: mockAggregatorAbi,
    functionName: "setAnswer",
    args: [model.answer],
  });
  await send(real, 0, { to: addresses.primaryFeed, data: answer, label, strict: true });
  await send(real, 0, { to: addresses.secondaryFeed, data: answer, label, strict: true });
  const refresh = encodeFunctionData({ abi: marketAbi, functionName: "refresh" });
  await send(real, keeperAccount, { to: addresses.market, data: refresh, label });
}

type SendParameters = { to: Address; data: Hex; label: string; strict?: boolean };

/** Sends from a dev account with explicit gas (so a reverting call is mined, not refused) and waits. */
async function send(real: StandInReal, from: number, p: SendParameters): Promise<"success" | "reverted"> {
  const wallet = nth(real.world.clients.walletClients, from);
  const receipt = await sendAndWait(real.world.clients, {
    label: p.label,
    allowRevert: !p.strict,
    send: () => wallet.sendTransaction({ to: p.to, data: p.data, gas: 3_000_000n }),
  });
  return receipt.status;
}

function violate(invariant: string, expected: JsonValue, actual: JsonValue, step: number) {
  throw new InvariantViolation({
    invariant,
    expected,
    actual,
    diff: [{ path: invariant, expected: String(expected), actual: String(actual) }],
    step,
  });
}

/** Records the step, updates progress observations and the commands' view of the traders, then runs every check. */
async function afterStep(command: StandInCommand, model: StandInModel, real: StandInReal, step: number) {
  const { system } = real.world;
  const snap = await readSnapshot(system, real.accounts);
  const m = snap.market;
  real.steps.push({
    index: step,
    command: command.toString(),
    name: command.name,
    args: command.args(),
    block: m.blockNumber.toString(),
    timestamp: m.timestamp.toString(),
  });
  real.modes.add(modeNames[m.mode] ?? String(m.mode));
  for (const a of snap.accounts) {
    if (a.state.size === 0n || a.maintenanceRequired === 0n) continue;
    const health = Number((a.equity * 10_000n) / BigInt(a.maintenanceRequired)) / 10_000;
    real.worstHealth = real.worstHealth === null ? health : Math.min(real.worstHealth, health);
  }
  real.traders.forEach((_, i) => {
    const { size, margin } = nth(snap.accounts, i).state;
    if (size === 0n) {
      model.open.delete(i);
      model.idle.set(i, margin > 0n ? margin : 0n);
    } else {
      model.idle.delete(i);
      model.open.add(i);
    }
  });

  const settlementPaid =
    m.mode === solidityEnums.Mode.Settlement ? await system.market.read.settlementPaid() : 0n;
  checkProtocolInvariants({ snapshot: snap, step, settlementPaid });
  if (real.toyMarginCap !== undefined && m.agg.totalMargin > real.toyMarginCap) {
    violate("toy-margin-cap", `<= ${real.toyMarginCap}`, m.agg.totalMargin.toString(), step);
  }
}

const trader = fc.integer({ min: 0, max: traderAccounts.length - 1 });
const arbitraries = {
  deposit: fc
    .record({ trader, amount: fc.integer({ min: 1, max: 20_000 }) })
    .map((a) => new Deposit(a.trader, a.amount)),
  withdraw: fc
    .record({ trader, percent: fc.integer({ min: 1, max: 100 }) })
    .map((a) => new Withdraw(a.trader, a.percent)),
  open: fc
    .record({
      trader,
      side: fc.constantFrom("long" as const, "short" as const),
      // Mostly leveraged: positions near their margin limits are where the interesting bugs live.
      leverageTenths: fc.integer({ min: 20, max: 95 }),
    })
    .map((a) => new Open(a.trader, a.side, a.leverageTenths)),
  close: trader.map((t) => new Close(t)),
  movePrice: fc
    .integer({ min: -900, max: 900 }) // the oracle's jump band is 10%
    .filter((bps) => bps !== 0)
    .map((bps) => new MovePrice(bps)),
  advance: fc.integer({ min: 60, max: 3000 }).map((s) => new Advance(s)),
  liquidate: trader.map((t) => new Liquidate(t)),
};

// Weights per scenario kind (an arbitrary listed twice is drawn twice as often).
const mixes: Partial<Record<ScenarioKind, (keyof typeof arbitraries)[]>> = {
  oracle: ["deposit", "open", "movePrice", "movePrice", "advance", "advance", "close", "liquidate"],
  cascade: ["deposit", "deposit", "open", "open", "movePrice", "advance", "liquidate", "liquidate", "close"],
  mixed: ["deposit", "withdraw", "open", "close", "movePrice", "advance", "liquidate"],
};

/** Rebuilds a stand-in command from its artifact form; throws on an unknown name or bad args. */
export function rebuildStandIn(name: string, args: Record<string, JsonValue>): Cmd {
  const int = (key: string, min: number, max: number) => {
    const v = args[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw new Error(
        `${name}: argument "${key}" must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const t = () => int("trader", 0, traderAccounts.length - 1);
  switch (name) {
    case "deposit":
      return new Deposit(t(), int("amount", 1, 1_000_000));
    case "withdraw":
      return new Withdraw(t(), int("percent", 1, 100));
    case "open": {
      const side = args.side;
      if (side !== "long" && side !== "short")
        throw new Error(`open: argument "side" must be "long" or "short"`);
      return new Open(t(), side, int("leverageTenths", 1, 1000));
    }
    case "close":
      return new Close(t());
    case "movePrice":
      return new MovePrice(int("bps", -9_999, 100_000));
    case "advance":
      return new Advance(int("seconds", 0, 10 ** 9));
    case "liquidate":
      return new Liquidate(t());
    default:
      throw new Error(`unknown command "${name}"`);
  }
}

export type CreateStandInHarnessParameters = {
  world: ChainWorld;
  /** Adds a deliberately tight check ("toy-margin-cap": total margin <= cap) for tests that need a failure. */
  toyMarginCap?: bigint | undefined;
};

export type StandInHarness = ScenarioHarness<StandInModel, StandInReal> & { readonly baseline: Baseline };

/** Funds traders, the keeper and the LP pool on the world's node, takes the baseline, returns the harness. */
export async function createStandInHarness(
  parameters: CreateStandInHarnessParameters,
): Promise<StandInHarness> {
  const { world, toyMarginCap } = parameters;
  const { clients, system } = world;
  const { addresses } = system;
  const tx = (from: number, to: Address, abi: Abi, functionName: string, args: readonly unknown[]) =>
    send({ world } as StandInReal, from, {
      to,
      data: encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]),
      label: `setup ${functionName}`,
      strict: true,
    });
  for (const i of [...traderAccounts, keeperAccount]) {
    await tx(0, addresses.collateral, mockErc20Abi, "mint", [nth(clients.accounts, i), 1_000_000n * unit]);
    await tx(i, addresses.collateral, mockErc20Abi, "approve", [addresses.market, maxUint256]);
  }
  const lp = nth(clients.accounts, lpAccount);
  await tx(0, addresses.collateral, mockErc20Abi, "mint", [lp, 2_000_000n * unit]);
  await tx(lpAccount, addresses.collateral, mockErc20Abi, "approve", [addresses.pool, maxUint256]);
  await tx(lpAccount, addresses.collateral, mockErc20Abi, "approve", [addresses.market, maxUint256]);
  await tx(lpAccount, addresses.pool, liquidityPoolAbi, "deposit", [1_000_000n * unit, lp]);
  await tx(lpAccount, addresses.market, marketAbi, "fundInsurance", [10_000n * unit]);
  const baseline = await takeBaseline(clients, { label: "stand-in baseline" });
  const traders = traderAccounts.map((i) => nth(clients.accounts, i));
  const accounts = [...traders, nth(clients.accounts, keeperAccount), lp];

  return {
    baseline,
    commands(kind, maxCommands, replayPath) {
      return fc.commands(
        (mixes[kind] ?? (mixes.mixed as (keyof typeof arbitraries)[])).map(
          (k) => arbitraries[k] as fc.Arbitrary<Cmd>,
        ),
        // size "max": use the whole length budget from the first run (fuzzing, not unit testing).
        { maxCommands, replayPath, size: "max" },
      );
    },
    rebuild: rebuildStandIn,
    async setup() {
      await baseline.resetToBaseline();
      const snap = await readSnapshot(system, []);
      const real: StandInReal = {
        world,
        traders,
        accounts,
        steps: [],
        modes: new Set([modeNames[snap.market.mode] ?? "?"]),
        worstHealth: null,
        toyMarginCap,
      };
      return { model: new StandInModel(), real };
    },
    trace: (real) => real.steps,
    stats: (real) => ({ modes: [...real.modes], worstHealth: real.worstHealth }),
  };
}

/** `xs[i]`, which the stand-in's fixed tables always have. */
function nth<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`stand-in: no element ${i}`);
  return x;
}
