/**
 * The off-chain keeper: liquidates, resets the oracle breaker, settles losers' losses into the pool's cash when
 * the winners are owed more than it holds, settles a market halted too long and realises underwater accounts
 * during the settlement window. `npm run keeper` runs it against any node
 * (src-ts/keeper/main.ts); scenarios run it in-process as part of the system under test.
 *
 * For scenario authors (cascades with present / slow / absent keepers) — the API is small and stable:
 *
 *   const keeper = createKeeper({ publicClient, walletClient, market, lens });   // no RPC happens here
 *   const report = await keeper.tick();                                          // one pass, then returns
 *
 * - present keeper: tick() after every step; slow: every k steps and/or `maxLiquidationsPerTick`; absent:
 *   never. Use a dev account of its own as `walletClient.account` (it collects the rewards).
 * - One keeper per run. Creating one is free. Discovery notices an evm_revert below the last scanned block
 *   and rescans, but a fresh keeper after resetting to a baseline is simpler to reason about.
 * - Every transaction is awaited until mined, so run it with automine on (the nodes' default). It is
 *   deterministic: accounts in first-seen log order, liquidations worst shortfall first, one at a time.
 * - tick() rejects only when it cannot read the chain (node gone). Per-action problems go into
 *   `report.errors`; expected refusals (MarketNotLiquidatable, MarketOracleNotValid, …) into
 *   `report.skipped`. `report.actions` lists what it did (kind, account, reward, tx hash, block) and
 *   `report.modeChanges` the ModeChanged events its own transactions emitted: mirror both in the model.
 * - Per tick: getBlock + getLogs (new blocks only) + one Lens call (per 200 accounts) + oracle.peek; then
 *   per action simulate + estimateGas + send + receipt, and one more Lens call after anything was sent.
 *   Calls go one after another: anvil 1.7 stalls concurrent eth_calls by 30-45 ms (see harness/bench/).
 */
import {
  type Address,
  type ContractFunctionReturnType,
  erc20Abi,
  type PublicClient,
  parseEventLogs,
} from "viem";
import { haltFlags, lensAbi, marketAbi, oracleGuardAbi, solidityEnums } from "../generated/abis.js";
import { settleableLosers } from "../protocol/settleLoss.js";
import { createAccountDiscovery } from "./discovery.js";
import {
  causeNames,
  type KeeperAction,
  type KeeperActionKind,
  type ModeName,
  type TickReport,
} from "./report.js";
import { modeNames } from "./revert.js";
import { settledEquity } from "./settledEquity.js";
import { type KeeperWalletClient, type TransactReturnType, transact } from "./transact.js";

export type { KeeperWalletClient } from "./transact.js";

export type CreateKeeperParameters = {
  publicClient: PublicClient;
  /** Sends the keeper's transactions; its `account` (local or unlocked JSON-RPC) receives the rewards. */
  walletClient: KeeperWalletClient;
  market: Address;
  lens: Address;
  /** First block to look for accounts in (default 0). */
  fromBlock?: bigint | undefined;
  /** Simulate every action but send nothing; the report lists what would have been done. */
  dryRun?: boolean | undefined;
  /** At most this many liquidate/realise calls per tick (default: no limit). A "slow" keeper. */
  maxLiquidationsPerTick?: number | undefined;
  /** How long to wait for each of its transactions to be mined (default 60 s). */
  receiptTimeoutMs?: number | undefined;
};

export type Keeper = {
  /**
   * One pass: discover accounts, read the Lens, act. See the notes at the top of this file. `io`: read and
   * act elsewhere than on the chain (default: the clients given to createKeeper).
   */
  tick(io?: KeeperIo): Promise<TickReport>;
  /** Every account discovered so far, in first-seen order. */
  readonly accounts: readonly Address[];
};

export type CreateKeeperReturnType = Keeper;

const Mode = solidityEnums.Mode;
const haltBreaker = haltFlags.BREAKER;
const oracleValid = solidityEnums.OracleClass.Valid;
/** Accounts per Lens call: each costs tens of thousands of gas inside one eth_call. */
const lensChunk = 200;

// Refusals that only mean "nothing to do": the state moved since the Lens read, or the price is unusable.
const expectedByKind: Record<KeeperActionKind, ReadonlySet<string>> = {
  liquidate: new Set([
    "MarketNotLiquidatable",
    "MarketOracleNotValid",
    "MarketNoPosition",
    "MarketNotAllowed",
  ]),
  settleLoss: new Set([
    "MarketNoLossToSettle",
    "MarketAccountInsolvent",
    "MarketOracleNotValid",
    "MarketNotAllowed",
  ]),
  refresh: new Set(),
  settle: new Set(["MarketNotSettleable"]),
  realise: new Set(["MarketNotLiquidatable", "MarketNoPosition", "MarketNotSettleable", "MarketNotAllowed"]),
};

/** What the keeper reads in one pass: the Lens snapshot of its accounts and the oracle's current reading. */
export type KeeperState = {
  market: LensSnapshot[0];
  accounts: LensSnapshot[1][number][];
  peek: ContractFunctionReturnType<typeof oracleGuardAbi, "view", "peek">;
};
type LensSnapshot = ContractFunctionReturnType<typeof lensAbi, "view", "snapshot">;

/**
 * How a tick reads and acts. createKeeper's own reads the chain and sends transactions (viem clients); a
 * harness that runs the protocol on simulated blocks passes one of its own to tick(), so that the same
 * decisions are taken from what it knows.
 */
export type KeeperIo = {
  /** The latest block, after discovering the accounts that appeared up to it. */
  head(): Promise<{ number: bigint; timestamp: bigint; added: Address[]; rescanned: boolean }>;
  /** Every account known, in first-seen order (ties in shortfall go to the earlier one). */
  accounts(): readonly Address[];
  readState(accounts: readonly Address[]): Promise<KeeperState>;
  exitOpensAt(): Promise<bigint>;
  collateralDecimals(collateral: Address): Promise<number>;
  /** Checks a market call first (an `expected` refusal skips it), then sends it and waits for its block. */
  transact(
    kind: KeeperActionKind,
    account: Address | undefined,
    expected: ReadonlySet<string>,
  ): Promise<TransactReturnType>;
};

export function createKeeper(parameters: CreateKeeperParameters): CreateKeeperReturnType {
  const { publicClient, walletClient, market, lens } = parameters;
  const dryRun = parameters.dryRun ?? false;
  const cap = parameters.maxLiquidationsPerTick ?? Number.POSITIVE_INFINITY;
  const receiptTimeoutMs = parameters.receiptTimeoutMs ?? 60_000;
  const discovery = createAccountDiscovery({ publicClient, market, fromBlock: parameters.fromBlock });
  // Accounts this keeper realised: realise() marks them claimed, which the Lens does not show.
  const realised = new Set<string>();
  let oracle: Address | undefined;
  let collateralDecimals: number | undefined;
  let ticks = 0;

  const readState = async (accounts: readonly Address[]): Promise<KeeperState> => {
    oracle ??= await publicClient.readContract({ address: market, abi: marketAbi, functionName: "oracle" });
    const chunks: Address[][] = [];
    for (let i = 0; i < accounts.length; i += lensChunk) chunks.push(accounts.slice(i, i + lensChunk));
    const read = (list: readonly Address[], blockNumber?: bigint) =>
      publicClient.readContract({
        address: lens,
        abi: lensAbi,
        functionName: "snapshot",
        args: [market, list],
        blockNumber,
      });
    // One call after another, never concurrently: anvil stalls concurrent eth_calls by tens of ms.
    const [view, first] = await read(chunks[0] ?? []);
    const peek = await publicClient.readContract({
      address: oracle,
      abi: oracleGuardAbi,
      functionName: "peek",
    });
    // Later chunks read the same block as the first, so the whole list is one consistent state.
    const rest = [];
    for (const c of chunks.slice(1)) rest.push(await read(c, view.blockNumber));
    return { market: view, accounts: [...first, ...rest.flatMap(([, list]) => list)], peek };
  };

  const chain: KeeperIo = {
    async head() {
      const head = await publicClient.getBlock({ blockTag: "latest" });
      if (head.hash === null || head.number === null)
        throw new Error("the node returned a pending block as latest");
      const { added, rescanned } = await discovery.scan({ head: { number: head.number, hash: head.hash } });
      return { number: head.number, timestamp: head.timestamp, added, rescanned };
    },
    accounts: () => discovery.accounts,
    readState,
    exitOpensAt: () =>
      publicClient.readContract({ address: market, abi: marketAbi, functionName: "exitOpensAt" }),
    async collateralDecimals(collateral) {
      collateralDecimals ??= await publicClient.readContract({
        address: collateral,
        abi: erc20Abi,
        functionName: "decimals",
      });
      return collateralDecimals;
    },
    transact: (kind, account, expected) =>
      transact({
        publicClient,
        walletClient,
        market,
        functionName: kind,
        args: account ? [account] : [],
        dryRun,
        expected,
        receiptTimeoutMs,
      }),
  };

  const tick = async (io: KeeperIo = chain): Promise<TickReport> => {
    const started = Date.now();
    const head = await io.head();
    if (head.rescanned) realised.clear();
    let state = await io.readState(io.accounts());
    const report: TickReport = {
      tick: ++ticks,
      dryRun,
      block: head.number,
      timestamp: head.timestamp,
      modeBefore: modeName(state.market.mode),
      modeAfter: modeName(state.market.mode),
      accounts: io.accounts().length,
      newAccounts: head.added,
      rescanned: head.rescanned,
      liquidatable: 0,
      actions: [],
      skipped: [],
      errors: [],
      modeChanges: [],
      durationMs: 0,
    };

    let sent = false;
    /** Runs one market call and files its outcome in the report. */
    const act = async (
      kind: KeeperActionKind,
      account: Address | undefined,
      action: Omit<KeeperAction, "kind" | "account">,
    ): Promise<TransactReturnType> => {
      const outcome = await io.transact(kind, account, expectedByKind[kind]);
      if (outcome.kind === "skipped") report.skipped.push({ kind, account, reason: outcome.revert.text });
      else if (outcome.kind === "failed") {
        report.errors.push({ kind, account, message: outcome.message, hash: outcome.hash });
      } else {
        const { receipt } = outcome;
        report.actions.push({ kind, account, ...action, hash: outcome.hash, block: receipt?.blockNumber });
        if (receipt) {
          sent = true;
          const events = parseEventLogs({ abi: marketAbi, eventName: "ModeChanged", logs: receipt.logs });
          for (const e of events) {
            if (e.address.toLowerCase() !== market.toLowerCase()) continue;
            report.modeChanges.push({
              from: modeName(e.args.from),
              to: modeName(e.args.to),
              cause: causeNames[e.args.cause] ?? String(e.args.cause),
              block: receipt.blockNumber,
            });
          }
        }
      }
      return outcome;
    };
    const reread = async () => {
      if (!sent) return;
      state = await io.readState(io.accounts());
      sent = false;
    };

    // 1. Oracle: accept a new price before judging health (the Lens reads the last *accepted* price), and
    //    feed the breaker's reset its consecutive Valid readings.
    const m = state.market;
    const validNow = state.peek.class === oracleValid;
    const positions = state.accounts.some((a) => a.state.size !== 0n);
    const breaker = m.mode === Mode.Halted && (m.haltFlags & haltBreaker) !== 0;
    if (validNow && (breaker || (m.mode <= Mode.ReduceOnly && positions && state.peek.price !== m.price))) {
      await act("refresh", undefined, { detail: breaker ? "breaker reset" : "new price" });
      await reread();
    }

    // 2. Liquidations, worst shortfall first (ties: discovery order), at most `cap` per tick. A halt the breaker
    //    alone holds allows them after its cooldown (a refusal before then is expected).
    let budget = cap;
    const breakerOnly = state.market.mode === Mode.Halted && state.market.haltFlags === haltBreaker;
    if (state.market.mode <= Mode.ReduceOnly || breakerOnly) {
      const candidates = state.accounts
        .map((a, index) => ({ a, index, shortfall: a.maintenanceRequired - a.equity }))
        .filter(({ a }) => a.liquidatable)
        .sort((x, y) =>
          x.shortfall === y.shortfall ? x.index - y.index : x.shortfall > y.shortfall ? -1 : 1,
        );
      report.liquidatable = candidates.length;
      for (const { a } of candidates) {
        if (budget <= 0) break;
        const outcome = await act("liquidate", a.account, {
          detail: `equity ${a.equity} < maintenance ${a.maintenanceRequired}`,
        });
        if (outcome.kind === "done") {
          const last = report.actions.at(-1);
          if (last) last.reward = outcome.result;
        }
        if (outcome.kind !== "skipped") budget--;
      }
      await reread();
    }

    // 3. The pool's cash: winners are paid in cash, while the losers' losses are not cash until they close. When
    //    the winners' unrealised profit exceeds the cash, settle the largest solvent losses into it (settleLoss:
    //    the loser's equity and health do not change), so that every winner can close.
    if (state.market.mode <= Mode.ReduceOnly) {
      const pnl = (a: (typeof state.accounts)[number]) => a.equity - a.state.margin;
      const owed = state.accounts.reduce((sum, a) => (pnl(a) > 0n ? sum + pnl(a) : sum), 0n);
      let short = owed - state.market.agg.poolCash;
      for (const { account: a, loss } of settleableLosers(state.accounts)) {
        if (budget <= 0 || short <= 0n) break;
        const outcome = await act("settleLoss", a.account, {
          detail: `loss ${loss}; cash short by ${short}`,
        });
        if (outcome.kind !== "skipped") budget--;
        if (outcome.kind === "done") short -= loss;
      }
      await reread();
    }

    // 4. The exit guarantee: a Halted market may be settled by anyone from exitOpensAt() (after maxHaltDuration
    //    and after governance has had its delay to lift the halt).
    if (state.market.mode === Mode.Halted) {
      const opensAt = await io.exitOpensAt();
      if (state.market.timestamp >= opensAt) {
        await act("settle", undefined, { detail: `halted since ${state.market.haltedAt}` });
        await reread();
      }
    }

    // 5. Settlement window: record every underwater account's deficit before the claim ratio is fixed.
    if (state.market.mode === Mode.Settlement) {
      const s = state.market.settlement;
      // The window is fixed in the snapshot.
      if (state.market.timestamp < s.claimsOpenAt) {
        const decimals = await io.collateralDecimals(state.market.collateral);
        const underwater = state.accounts
          .filter((a) => a.state.size !== 0n && !realised.has(a.account.toLowerCase()))
          .map((a, index) => ({
            a,
            index,
            equity: settledEquity({ account: a.state, settlement: s, collateralDecimals: decimals }),
          }))
          .filter(({ equity }) => equity < 0n)
          .sort((x, y) => (x.equity === y.equity ? x.index - y.index : x.equity < y.equity ? -1 : 1));
        for (const { a, equity } of underwater) {
          if (budget <= 0) break;
          const outcome = await act("realise", a.account, { detail: `equity ${equity}`, equity });
          if (outcome.kind !== "failed" && !dryRun) realised.add(a.account.toLowerCase());
          if (outcome.kind !== "skipped") budget--;
        }
        await reread();
      }
    }

    report.modeAfter = modeName(state.market.mode);
    report.durationMs = Date.now() - started;
    return report;
  };

  return {
    tick,
    get accounts() {
      return discovery.accounts;
    },
  };
}

function modeName(mode: number): ModeName {
  return modeNames[mode] ?? (`Mode${mode}` as ModeName);
}
