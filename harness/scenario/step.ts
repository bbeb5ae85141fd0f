import { type Address, getAbiItem, type Hex, type TransactionReceipt, toFunctionSelector } from "viem";
import { lensAbi, liquidityPoolAbi, marketAbi, oracleGuardAbi } from "../../src-ts/generated/abis.js";
import { safeAbi } from "../../src-ts/protocol/governanceAbis.js";
import type { TxObservation } from "../coverage/coverage.js";
import { type Answers, type CallRef, type Speculation, SpeculationError } from "../engine/speculation.js";
import { createLogParser } from "../fast/decodeLogs.js";
import { createResultDecoder } from "../fast/decodeResult.js";
import { encodeFunctionData } from "../fast/encodeCall.js";
import { type ExitAttempt, emptyFacts, type ObservedEvent, type StepFacts } from "../invariants/facts.js";
import { addTo, type Ghosts } from "../invariants/ghosts.js";
import { checkModelEquality } from "../invariants/modelEquality.js";
import { judgeCampaignPromises } from "../invariants/promises/index.js";
import { checkUserPromises } from "../invariants/promises.js";
import { checkProtocolInvariants } from "../invariants/protocol.js";
import { checkTransitions } from "../invariants/transitions.js";
import { violate } from "../invariants/violation.js";
import { Cause, enumName, Mode, OracleClass } from "../model/types.js";
import { type ChainSnapshot, readSnapshot } from "../system/system.js";
import { InvariantViolation, type JsonValue, type NamedCommand } from "./contract.js";
import { type ModelAction, type ModelPort, type Outcome, protocolActions } from "./model/port.js";
import { type Actors, actorOf } from "./world/actors.js";
import { type ChainResult, outcomeOf, send, sendBlock, type TxRequest } from "./world/exec.js";
import type { World } from "./world/world.js";

/** The fast-check model: the reference model behind its port, and who is who. */
export type ScenarioModel = { port: ModelPort; readonly actors: Actors };

export type ScenarioCommand = NamedCommand<ScenarioModel, World>;

export type Planned = {
  action: ModelAction;
  request: TxRequest;
};

export type Acted = { expected: Outcome; actual: ChainResult };

type Prediction = {
  expected: Outcome;
  exit: Omit<ExitAttempt, "ok" | "error" | "paid"> | undefined;
  /** The mode and oracle reading the transaction met (behaviour coverage), for protocol actions. */
  met: { mode: string; oracleClass: string } | undefined;
};

const isProtocolAction = (kind: string) => (protocolActions as readonly string[]).includes(kind);

/** A transaction a speculative step planned: where its simulated result will be, and its block. */
type PlannedTx = {
  planned: Planned;
  prediction: Prediction;
  at: CallRef;
  number: bigint;
  timestamp: bigint;
  /** accountHealth and accountOf of a withdrawal's sender, read right after it. */
  after?: { health: CallRef; state: CallRef } | undefined;
};

const execTransaction = toFunctionSelector(getAbiItem({ abi: safeAbi, name: "execTransaction" }));

// The calldata of every step's reads, encoded once per actor list (encoding hashes the signature each time).
const stepReadsCache = new WeakMap<readonly Address[], { snapshot: Hex; settlementPaid: Hex }>();
function stepReads(market: Address, accounts: readonly Address[]) {
  let data = stepReadsCache.get(accounts);
  if (!data) {
    data = {
      snapshot: encodeFunctionData({ abi: lensAbi, functionName: "snapshot", args: [market, accounts] }),
      settlementPaid: encodeFunctionData({ abi: marketAbi, functionName: "settlementPaid" }),
    };
    stepReadsCache.set(accounts, data);
  }
  return data;
}

// Compiled once: the Lens snapshot is decoded on every simulated step (harness/fast/decodeResult.ts).
const parseGuardLogs = createLogParser(oracleGuardAbi);
const parsePoolLogs = createLogParser(liquidityPoolAbi);
const decodeLens = createResultDecoder({ abi: lensAbi, functionName: "snapshot" });
const decodeSettlementPaid = createResultDecoder({ abi: marketAbi, functionName: "settlementPaid" });
const decodeAccountHealth = createResultDecoder({ abi: marketAbi, functionName: "accountHealth" });
const decodeAccountOf = createResultDecoder({ abi: marketAbi, functionName: "accountOf" });

/** Collateral a settlement claim paid, from the market's own event. */
function paidOut(actual: ChainResult): bigint | undefined {
  for (const event of actual.events) {
    if (event.eventName === "Claimed") return event.args.amount;
    if (event.eventName === "PoolClaimed") return event.args.assets;
  }
  return undefined;
}

/** Ghosts follow the chain's outcome (what users actually did), not the model's prediction. */
function recordGhosts(g: Ghosts, action: ModelAction, actual: ChainResult, paid: bigint | undefined): void {
  if (actual.status !== "ok") return;
  switch (action.kind) {
    case "deposit":
      addTo(g.deposited, action.from, action.amount);
      return;
    case "withdraw":
      addTo(g.withdrawn, action.from, action.amount);
      return;
    case "modify":
    case "close":
      g.exposed.add(action.from);
      return;
    case "executeOrder":
      g.exposed.add(action.account);
      return;
    case "claim":
      addTo(g.claimed, action.from, paid ?? 0n);
      g.settlementPaid += paid ?? 0n;
      g.settled.add(action.from);
      return;
    case "realise":
      g.settled.add(action.account);
      return;
    case "lpClaim":
      g.settlementPaid += paid ?? 0n;
      return;
  }
}

/**
 * One command's run: acts on model and chain in lockstep, collects what the promises need, then reads the
 * Lens once and runs every check. Outcome mismatches are reported after the chain-only invariants, so a
 * real protocol failure is named as such rather than as a model disagreement.
 */
export class Step {
  readonly facts: StepFacts = emptyFacts();
  readonly index: number;
  private readonly mismatches: { label: string; expected: Outcome; actual: ChainResult }[] = [];
  private readonly covered: Omit<TxObservation, "command">[] = [];
  /**
   * Set when the step runs on the engine's simulated blocks: its transactions are planned into blocks and
   * its checks deferred until the engine flushes (in step order); the model's outcome stands in for the
   * chain's meanwhile, and any difference is a model-outcome failure at this step.
   */
  private readonly speculation: Speculation | undefined;
  private readonly planned: PlannedTx[] = [];

  /** Whether this step runs on simulated blocks (see `speculation`). */
  get speculative(): boolean {
    return this.speculation !== undefined;
  }

  constructor(
    readonly m: ScenarioModel,
    readonly w: World,
  ) {
    this.speculation = w.speculation?.active ? w.speculation : undefined;
    this.index = w.steps.length + (w.speculation?.pendingSteps ?? 0);
  }

  /**
   * The step of one command. In a run on the engine, once the pending blocks approach what one simulation
   * request holds, they are simulated, checked and mined first, and the run goes on simulating from there.
   */
  static async begin(_command: ScenarioCommand, m: ScenarioModel, w: World): Promise<Step> {
    const s = w.speculation;
    if (s?.full) {
      s.active = false;
      await s.flush({ commit: true });
      s.active = true;
    }
    return new Step(m, w);
  }

  /** One transaction in its own block. */
  async act(planned: Planned): Promise<Acted> {
    if (this.speculation) return this.speculate([planned], planned.action.kind === "withdraw")[0] as Acted;
    const prediction = this.predict(planned, this.w.clock.next());
    const actual = await send(this.w, planned.request);
    const acted = this.settle(planned, prediction, actual);
    if (planned.action.kind === "withdraw" && actual.status === "ok") {
      await this.readAfter(planned.action.from, actual.receipt.blockNumber);
    }
    return acted;
  }

  /** The account as the chain has it right after the step's last transaction (a read at its block). */
  private async readAfter(account: Address, blockNumber: bigint): Promise<void> {
    const { market } = this.w.system;
    const [[equity, initialRequired], state] = await Promise.all([
      market.read.accountHealth([account], { blockNumber }),
      market.read.accountOf([account], { blockNumber }),
    ]);
    const tx = this.facts.txs[this.facts.txs.length - 1];
    if (tx) tx.after = { margin: state.margin, size: state.size, equity, initialRequired };
  }

  /** Several transactions in one block, in order. */
  async block(planned: readonly Planned[]): Promise<Acted[]> {
    if (planned.length === 0) return [];
    if (this.speculation) return this.speculate(planned, false);
    const ts = this.w.clock.next();
    const predictions = planned.map((p) => this.predict(p, ts));
    const actual = await sendBlock(
      this.w,
      planned.map((p) => p.request),
    );
    return planned.map((p, i) => this.settle(p, predictions[i] as Prediction, actual[i] as ChainResult));
  }

  /** A transaction someone else sent (the keeper library): predicted after the fact, in block order. */
  mirror(planned: Planned, actual: ChainResult): Acted {
    if (this.speculation)
      throw new SpeculationError("mirror: a transaction someone else sent needs the real chain");
    return this.settle(planned, this.predict(planned, this.w.clock.latest), actual);
  }

  /**
   * Plans one block of `planned` on the engine: the model predicts each transaction at the block's time,
   * and that prediction is what the command sees until the flush (see `speculation`).
   */
  private speculate(planned: readonly Planned[], readAfter: boolean): Acted[] {
    const s = this.speculation as Speculation;
    const { clock } = this.w;
    const timestamp = clock.next();
    const number = clock.block + 1n;
    const predictions = planned.map((p) => this.predict(p, timestamp));
    planned.forEach((p, i) => {
      const { expected } = predictions[i] as Prediction;
      if (expected.status === "reverted") return;
      const { safe } = this.w;
      if (p.request.to === safe && p.request.data.startsWith(execTransaction)) s.safeExecutions++;
      if (p.action.kind === "timelockDelay") s.timelockDelay = p.action.delay;
    });
    const refs = s.block(
      number,
      timestamp,
      planned.map((p) => p.request),
    );
    const { market } = this.w.system.addresses;
    planned.forEach((p, i) => {
      const after =
        readAfter && p.action.kind === "withdraw"
          ? {
              health: s.read(
                market,
                encodeFunctionData({ abi: marketAbi, functionName: "accountHealth", args: [p.action.from] }),
              ),
              state: s.read(
                market,
                encodeFunctionData({ abi: marketAbi, functionName: "accountOf", args: [p.action.from] }),
              ),
            }
          : undefined;
      this.planned.push({
        planned: p,
        prediction: predictions[i] as Prediction,
        at: refs[i] as CallRef,
        number,
        timestamp,
        after,
      });
    });
    clock.minedAt(number, timestamp);
    return planned.map((p, i) => {
      const expected = (predictions[i] as Prediction).expected;
      return { expected, actual: standIn(p, expected, number) };
    });
  }

  private predict(planned: Planned, ts: bigint): Prediction {
    const exit = this.exitContext(planned.action);
    const { port } = this.m;
    const met = isProtocolAction(planned.action.kind)
      ? { mode: enumName(Mode, port.mode()), oracleClass: enumName(OracleClass, port.oracleClass(ts)) }
      : undefined;
    const raw = port.apply(planned.action, ts);
    if (raw.riskAddingAnomaly !== undefined) {
      this.facts.anomalies.push({ action: planned.request.label, oracleClass: raw.riskAddingAnomaly });
    }
    return { expected: raw, exit, met };
  }

  private settle(
    planned: Planned,
    prediction: Prediction,
    actual: ChainResult,
    timestamp: bigint = this.w.clock.latest,
  ): Acted {
    const { expected, exit, met } = prediction;
    if (met) {
      this.covered.push({
        ...met,
        action: planned.action.kind,
        outcome: actual.status,
        error: actual.status === "reverted" ? actual.error : undefined,
      });
    }
    if (!sameOutcome(expected, actual))
      this.mismatches.push({ label: planned.request.label, expected, actual });
    this.w.log?.(`  [${this.index}] ${planned.request.label}: ${JSON.stringify(describe(actual))}`);
    if (planned.action.kind === "setMode" && actual.status === "ok") this.facts.governanceSetMode = true;
    this.facts.txs.push(observe(this.w, planned, actual, timestamp));
    const paid = paidOut(actual);
    recordGhosts(this.w.ghosts, planned.action, actual, paid);
    if (exit) {
      this.facts.exits.push({
        ...exit,
        ok: actual.status === "ok",
        error:
          actual.status === "reverted" ? actual.error : actual.status === "ok" ? undefined : actual.status,
        paid,
      });
    }
    return { expected, actual };
  }

  /** Withdrawals and claims by accounts without a position are exits the promises judge. */
  private exitContext(action: ModelAction): Omit<ExitAttempt, "ok" | "error" | "paid"> | undefined {
    if (action.kind !== "withdraw" && action.kind !== "claim") return undefined;
    // An account that has claimed is owed nothing more: a second claim is no exit.
    if (action.kind === "claim" && this.m.port.claimed(action.from)) return undefined;
    const account = this.m.port.account(action.from);
    if (account.size !== 0n) return undefined;
    return {
      account: action.from,
      kind: action.kind,
      mode: this.m.port.mode(),
      amount: action.kind === "withdraw" ? action.amount : account.margin,
      marginBefore: account.margin,
    };
  }

  /** What this step's transactions did, into the run's behaviour coverage (mode changes as the chain reports them). */
  private cover(command: string): void {
    const coverage = this.w.coverage;
    coverage.recordCall(command);
    for (const tx of this.covered) coverage.recordTx({ command, ...tx });
    for (const tx of this.facts.txs) {
      for (const e of tx.market) {
        if (e.eventName !== "ModeChanged") continue;
        const { from, to, cause } = e.args as { from: number; to: number; cause: number };
        coverage.recordTransition(command, enumName(Mode, from), enumName(Mode, to), enumName(Cause, cause));
      }
    }
  }

  /**
   * Reads the Lens, records the step, and runs every check (throws InvariantViolation). On the engine, the
   * reads are planned at the end of the step's last block and the rest waits for the flush.
   */
  async finish(command: ScenarioCommand): Promise<ChainSnapshot | undefined> {
    const { w, m } = this;
    if (this.speculation) {
      this.defer(command, this.speculation);
      return undefined;
    }
    const snapshot = await readSnapshot(w.system, m.actors.accounts);
    m.port.advanceTo(w.clock.latest);
    const settlementPaid = snapshot.market.mode === 4 ? await w.system.market.read.settlementPaid() : 0n;
    this.judge(
      command.toString(),
      command,
      snapshot,
      settlementPaid,
      m.port.view(m.actors.accounts),
      m.port.now,
    );
    return snapshot;
  }

  /** finish() on the engine: what the checks need from the model is taken now, the chain's part later. */
  private defer(command: ScenarioCommand, s: Speculation): void {
    const { w, m } = this;
    const { lens, market } = w.system.addresses;
    const data = stepReads(market, m.actors.accounts);
    const snapshotAt = s.read(lens, data.snapshot);
    const paidAt = s.read(market, data.settlementPaid);
    m.port.advanceTo(w.clock.latest);
    const view = m.port.view(m.actors.accounts);
    const now = m.port.now;
    const description = command.toString();
    s.defer((answers) => {
      for (const tx of this.planned) this.settleSimulated(tx, answers);
      const [marketView, accounts] = decodeLens(answers(snapshotAt).returnData);
      const paid = decodeSettlementPaid(answers(paidAt).returnData);
      this.judge(description, command, { market: marketView, accounts }, paid, view, now);
    });
  }

  /** A planned transaction's simulated result, settled as a mined one would be. */
  private settleSimulated(tx: PlannedTx, answers: Answers): void {
    const result = answers(tx.at);
    const receipt = {
      status: result.ok ? "success" : "reverted",
      logs: result.logs,
      blockNumber: tx.number,
      gasUsed: result.gasUsed,
    } as TransactionReceipt;
    const actual = outcomeOf(
      this.w,
      tx.planned.request.label,
      receipt,
      result.ok ? undefined : result.returnData,
    );
    this.settle(tx.planned, tx.prediction, actual, tx.timestamp);
    if (tx.after && actual.status === "ok") {
      const [equity, initialRequired] = decodeAccountHealth(answers(tx.after.health).returnData);
      const state = decodeAccountOf(answers(tx.after.state).returnData);
      const last = this.facts.txs[this.facts.txs.length - 1];
      if (last) last.after = { margin: state.margin, size: state.size, equity, initialRequired };
    }
  }

  /** Records the step and runs every check against the chain's snapshot and the model's view. */
  private judge(
    description: string,
    command: ScenarioCommand,
    snapshot: ChainSnapshot,
    settlementPaid: bigint,
    modelView: ReturnType<ModelPort["view"]>,
    modelNow: bigint,
  ): void {
    const { w, m } = this;
    w.steps.push({
      index: this.index,
      command: description,
      name: command.name,
      args: command.args() as Record<string, JsonValue>,
      block: snapshot.market.blockNumber.toString(),
      timestamp: snapshot.market.timestamp.toString(),
    });
    observeProgress(w, snapshot);
    this.cover(command.name);

    const step = this.index;
    // Order is precedence: protocol invariants, then the promises (the independent oracle), then the model.
    const judge = (check: () => void) => {
      try {
        check();
      } catch (error) {
        if (!(error instanceof InvariantViolation) || !w.tolerate(error.info)) throw error;
        w.toleratedSeen.push(error.info);
      }
    };
    judge(() =>
      checkProtocolInvariants({
        snapshot,
        step,
        settlementPaid,
        allowInvariantTrip: this.facts.expectInvariantTrip,
      }),
    );
    judge(() => checkUserPromises({ snapshot, ghosts: w.ghosts, facts: this.facts, step }));
    const breaches = judgeCampaignPromises({
      txs: this.facts.txs,
      snapshot,
      history: w.history,
      bounds: w.bounds,
      step,
      addresses: { market: w.system.addresses.market, timelock: w.timelock, guardian: w.safe },
      role: (account) => roleOf(m.actors, account),
      actorOf: (account) => actorOf(m.actors, account),
      exercise: (promise) => w.coverage.recordPromise(promise),
    });
    for (const b of breaches) {
      judge(() =>
        violate({
          invariant: b.promise,
          kind: "promise",
          expected: b.expected,
          actual: b.actual,
          actors: [...new Set(b.actors.map((a) => roleOf(m.actors, a)))],
          step,
        }),
      );
    }
    const previous = w.previous;
    w.previous = {
      mode: snapshot.market.mode,
      haltFlags: snapshot.market.haltFlags,
      price: snapshot.market.price,
    };
    judge(() => checkTransitions({ previous, snapshot, facts: this.facts, step, timelock: w.timelock }));
    // The model's disagreements pass only when a caller asks (a replay on a copy with a fixed bug put back,
    // where the model follows the fixed rules); the run then goes on with the chain as the truth.
    const mismatch = this.mismatches[0];
    if (mismatch) {
      judge(() =>
        violate({
          invariant: "model-outcome",
          expected: { tx: mismatch.label, ...describe(mismatch.expected) },
          actual: { tx: mismatch.label, ...describe(mismatch.actual) },
          step,
        }),
      );
    }
    if (snapshot.market.timestamp !== modelNow) {
      violate({ invariant: "clock", expected: modelNow, actual: snapshot.market.timestamp, step });
    }
    judge(() => checkModelEquality({ view: modelView, snapshot, step }));
  }
}

function sameOutcome(expected: Outcome, actual: ChainResult): boolean {
  if (expected.status !== actual.status) return false;
  if (expected.status === "reverted" && actual.status === "reverted") {
    return expected.error === actual.error && argsKey(expected.args ?? []) === argsKey(actual.args);
  }
  if (expected.status === "tripped" && actual.status === "tripped")
    return expected.oracleClass === actual.oracleClass;
  if (expected.status === "invariant" && actual.status === "invariant")
    return expected.invariant === actual.invariant;
  return true;
}

const argsKey = (args: readonly unknown[]): string =>
  args.map((a) => (typeof a === "string" ? a.toLowerCase() : String(a))).join(",");

function describe(o: Outcome | ChainResult): Record<string, JsonValue> {
  switch (o.status) {
    case "ok":
      return { status: "ok" };
    case "reverted":
      return { status: "reverted", error: o.error, args: (o.args ?? []).map(String) };
    case "tripped":
      return { status: "tripped", oracleClass: enumName(OracleClass, o.oracleClass) };
    case "invariant":
      return { status: "invariant", invariant: o.invariant };
  }
}

/** What the chain says a mined transaction did, for the campaign promises (independent of the model). */
function observe(
  w: World,
  planned: Planned,
  actual: ChainResult,
  timestamp: bigint,
): StepFacts["txs"][number] {
  const { action, request: r } = planned;
  const only = (address: Address) => (log: { address: Address }) =>
    log.address.toLowerCase() === address.toLowerCase();
  const logs = actual.receipt.logs;
  const named = (events: readonly { eventName: string; args: unknown }[]): ObservedEvent[] =>
    events.map((e) => ({ eventName: e.eventName, args: e.args as Record<string, unknown> }));
  const { kind, ...input } = action;
  return {
    from: r.from,
    to: r.to,
    label: r.label,
    call: kind,
    input,
    status: actual.status,
    error: actual.status === "reverted" ? actual.error : undefined,
    block: actual.receipt.blockNumber,
    timestamp,
    market: named(actual.events),
    guard: named(parseGuardLogs(logs).filter(only(w.system.addresses.oracle))),
    pool: named(parsePoolLogs(logs).filter(only(w.system.addresses.pool))),
  };
}

function observeProgress(w: World, snapshot: ChainSnapshot): void {
  w.modesSeen.add(enumName(Mode, snapshot.market.mode));
  for (const a of snapshot.accounts) {
    if (a.state.size === 0n || a.maintenanceRequired === 0n) continue;
    const health = Number((a.equity * 10_000n) / a.maintenanceRequired) / 10_000;
    if (w.worstHealth === null || health < w.worstHealth) w.worstHealth = health;
  }
}

/** An address's role in the scenario ("t3", "lp0", "griefer"), or the address itself. */
export function roleOf(actors: Actors, account: Address): string {
  const a = account.toLowerCase();
  const is = (x: Address | undefined) => x !== undefined && x.toLowerCase() === a;
  if (is(actors.griefer)) return "griefer";
  if (is(actors.attacker)) return "attacker";
  if (is(actors.neverTrader)) return "never";
  if (is(actors.operator)) return "operator";
  const index = (list: readonly Address[], prefix: string) => {
    const i = list.findIndex(is);
    return i < 0 ? undefined : `${prefix}${i}`;
  };
  return (
    index(actors.traders, "t") ??
    index(actors.lps, "lp") ??
    index(actors.keepers, "k") ??
    index(actors.safeOwners, "safeOwner") ??
    account
  );
}

/**
 * What a speculative step's command sees as the chain's result until the flush: the model's outcome (the
 * flush checks it against the simulated one).
 */
function standIn(planned: Planned, expected: Outcome, blockNumber: bigint): ChainResult {
  const status = expected.status === "reverted" ? "reverted" : "success";
  const receipt = { status, logs: [], blockNumber } as unknown as TransactionReceipt;
  const base = { receipt, label: planned.request.label, events: [] };
  if (expected.status === "reverted")
    return { ...base, status: "reverted", error: expected.error, args: expected.args ?? [] };
  return { ...base, ...expected } as ChainResult;
}

/** Shorthand for the common request shape. */
export const request = (from: Address, to: Address, data: `0x${string}`, label: string): TxRequest => ({
  from,
  to,
  data,
  label,
});
