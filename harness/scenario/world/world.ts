import { type Address, getAddress, maxUint256 } from "viem";
import { liquidityPoolAbi, marketAbi, mockErc20Abi } from "../../../src-ts/generated/abis.js";
import { timelockAbi } from "../../../src-ts/protocol/governanceAbis.js";
import type { ChainClients } from "../../chain/clients.js";
import { type Baseline, takeBaseline } from "../../chain/snapshots.js";
import type { BehaviourCoverage } from "../../coverage/coverage.js";
import type { Speculation } from "../../engine/speculation.js";
import { encodeFunctionData } from "../../fast/encodeCall.js";
import { addTo, copyGhosts, emptyGhosts, type Ghosts } from "../../invariants/ghosts.js";
import {
  type CampaignHistory,
  copyHistory,
  emptyHistory,
  type PromiseBounds,
  statedBounds,
} from "../../invariants/promises/index.js";
import type { PreviousView } from "../../invariants/transitions.js";
import type { SystemState } from "../../model/state.js";
import { readSnapshot, type System } from "../../system/system.js";
import type { FailureInfo, StepRecord } from "../contract.js";
import { ModelAdapter } from "../model/adapter.js";
import { modelFromChain } from "../model/fromChain.js";
import type { ModelAction, Outcome } from "../model/port.js";
import { type Actors, assignActors } from "./actors.js";
import { Clock } from "./clock.js";
import { emptyScenarioCoverage } from "./coverage.js";
import { type ChainResult, send, sendBlock, type TxRequest } from "./exec.js";
import { createScenarioKeepers, type ScenarioKeepers } from "./keepers.js";

export const unit = 1_000_000n; // the collateral has 6 decimals

/** What each role holds at the baseline. */
export const funding = {
  traderWallet: 100_000n * unit,
  traderMargin: 20_000n * unit,
  neverTraderWallet: 50_000n * unit,
  neverTraderMargin: 10_000n * unit,
  lpWallet: 2_000_000n * unit,
  lpSeed: 1_000_000n * unit,
  operatorWallet: 10_000n * unit,
  insuranceSeed: 5_000n * unit,
} as const;

/** The real side of a scenario: the node, the deployed system, who plays what, and what happened. */
export type World = {
  readonly clients: ChainClients;
  readonly system: System;
  readonly actors: Actors;
  readonly safe: Address;
  readonly timelock: Address;
  clock: Clock;
  ghosts: Ghosts;
  steps: StepRecord[];
  /** Market modes seen in this run and the lowest health (equity / maintenance), for progress lines. */
  modesSeen: Set<string>;
  worstHealth: number | null;
  /** Timelock salts must be unique per operation; a counter keeps them deterministic. */
  operations: number;
  /** The project's keeper, fresh for every run. */
  keepers: ScenarioKeepers;
  /** Mode, halt causes and price after the previous step (transition checks compare against it). */
  previous: PreviousView;
  /** What the campaign promises remember (from the chain only), and the bounds they hold the protocol to. */
  history: CampaignHistory;
  readonly bounds: PromiseBounds;
  /**
   * Failures to let pass (known open bugs, or everything but the one a campaign targets): recorded in
   * `toleratedSeen` and the run goes on, so a campaign looking for other bugs is not cut short by one already
   * in the corpus. Nothing by default.
   */
  tolerate: (failure: FailureInfo) => boolean;
  toleratedSeen: FailureInfo[];
  /** What this run made the protocol do (harness/coverage), reset with the baseline. */
  coverage: BehaviourCoverage;
  /**
   * Set while a run executes on the engine's simulated blocks (harness/engine/): steps plan their blocks
   * and defer their checks to it. Undefined: every step acts on the real chain.
   */
  speculation?: Speculation | undefined;
  /** Optional transaction log (label, predicted and actual outcome), for debugging a scenario. */
  log?: ((line: string) => void) | undefined;
};

export type WorldBaseline = {
  world: World;
  /** The model's state at the baseline; every run starts from a copy. */
  modelState: SystemState;
  /**
   * Puts the chain and the world back at the baseline (the model is the caller's: copy modelState).
   * `chain: false` leaves the chain alone, for a caller that knows it is still at the baseline.
   */
  reset(parameters?: { chain?: boolean | undefined }): Promise<void>;
};

/**
 * Funds every actor on a freshly deployed system, with every funding transaction also applied to the
 * model (which starts from the deployment), checks that both agree, and takes the baseline snapshot.
 */
export async function createWorld(parameters: OpenWorldParameters): Promise<WorldBaseline> {
  const { world, model } = await openWorld(parameters);
  const { clients } = parameters;
  await fund(world, model);
  await observeBaseline(world);
  const previous: PreviousView = { ...world.previous };
  const history = copyHistory(world.history);
  const baseline: Baseline = await takeBaseline(clients, { label: "scenario baseline" });
  const modelState = structuredClone(model.model.state);
  const clock = world.clock.copy();
  const ghosts = copyGhosts(world.ghosts);
  return {
    world,
    modelState,
    async reset(parameters = {}) {
      if (parameters.chain !== false)
        await baseline.resetToBaseline({ label: "scenario: reset to baseline" });
      world.clock = clock.copy();
      world.ghosts = copyGhosts(ghosts);
      world.steps = [];
      world.modesSeen = new Set(["Normal"]);
      world.worstHealth = null;
      world.operations = 0;
      world.keepers = createScenarioKeepers(world);
      world.previous = { ...previous };
      world.history = copyHistory(history);
      world.toleratedSeen = [];
      world.coverage = emptyScenarioCoverage();
      world.speculation = undefined;
    },
  };
}

export type OpenWorldParameters = { clients: ChainClients; system: System };

/**
 * The world around a freshly deployed system before anyone is funded: who plays what (the impersonated
 * roles get ether), the clock, the promises' bounds and memory, and the model read from the chain. A script
 * that sets up its own accounts (the model cross-check) starts here; createWorld funds every actor on top.
 */
export async function openWorld(
  parameters: OpenWorldParameters,
): Promise<{ world: World; model: ModelAdapter }> {
  const { clients, system } = parameters;
  const actors = assignActors(clients.accounts.map((a) => getAddress(a)));
  for (const account of actors.impersonated) {
    await clients.testClient.setBalance({ address: account, value: 10n ** 22n });
    await clients.testClient.impersonateAccount({ address: account });
  }
  const latest = await clients.publicClient.getBlock({ blockTag: "latest" });
  const interval = BigInt(clients.node.blockTimestampInterval ?? 12);
  const world: World = {
    clients,
    system,
    actors,
    safe: system.addresses.guardian,
    timelock: system.addresses.timelock,
    clock: new Clock(latest.timestamp, latest.number, interval),
    ghosts: emptyGhosts(),
    steps: [],
    modesSeen: new Set(["Normal"]),
    worstHealth: null,
    operations: 0,
    keepers: undefined as unknown as ScenarioKeepers,
    previous: { mode: 0, haltFlags: 0, price: 0n },
    history: emptyHistory(),
    bounds: await readBounds(clients, system),
    tolerate: () => false,
    toleratedSeen: [],
    coverage: emptyScenarioCoverage(),
  };
  world.keepers = createScenarioKeepers(world);
  const model = new ModelAdapter(
    await modelFromChain({
      system,
      accounts: [actors.operator, ...actors.accounts],
      timestamp: latest.timestamp,
    }),
  );
  await observeBaseline(world);
  return { world, model };
}

/** What the transition checks and the campaign promises start from: the chain as it is now. */
async function observeBaseline(world: World): Promise<void> {
  const snapshot = await readSnapshot(world.system, world.actors.accounts);
  const view = snapshot.market;
  world.previous = { mode: view.mode, haltFlags: view.haltFlags, price: view.price };
  world.history = baselineHistory(snapshot);
}

async function fund(w: World, model: ModelAdapter): Promise<void> {
  const { actors, system } = w;
  const a = system.addresses;
  const token = a.collateral;
  const wallets: [Address, bigint][] = [
    [actors.operator, funding.operatorWallet],
    [actors.neverTrader, funding.neverTraderWallet],
    [actors.attacker, funding.traderWallet],
    ...actors.traders.map((t): [Address, bigint] => [t, funding.traderWallet]),
    ...actors.lps.map((l): [Address, bigint] => [l, funding.lpWallet]),
  ];
  const block: Planned[] = [];
  for (const [account, amount] of wallets) {
    block.push({
      action: { kind: "mint", to: account, amount },
      request: tx(
        account,
        token,
        encodeFunctionData({ abi: mockErc20Abi, functionName: "mint", args: [account, amount] }),
      ),
    });
  }
  // The griefer holds nothing and approves nothing.
  for (const account of [actors.operator, ...actors.accounts.filter((x) => x !== actors.griefer)]) {
    for (const spender of [a.market, a.pool]) {
      block.push({
        action: { kind: "approve", owner: account, spender, amount: maxUint256 },
        request: tx(
          account,
          token,
          encodeFunctionData({ abi: mockErc20Abi, functionName: "approve", args: [spender, maxUint256] }),
        ),
      });
    }
  }
  await expectAll(w, model, block);

  const margins: [Address, bigint][] = [
    [actors.neverTrader, funding.neverTraderMargin],
    [actors.attacker, funding.traderMargin],
    ...actors.traders.map((t): [Address, bigint] => [t, funding.traderMargin]),
  ];
  const lp = actors.lps[0] as Address;
  await expectAll(w, model, [
    {
      action: { kind: "lpDeposit", from: lp, assets: funding.lpSeed },
      request: tx(
        lp,
        a.pool,
        encodeFunctionData({ abi: liquidityPoolAbi, functionName: "deposit", args: [funding.lpSeed, lp] }),
      ),
    },
    {
      action: { kind: "fundInsurance", from: actors.operator, amount: funding.insuranceSeed },
      request: tx(
        actors.operator,
        a.market,
        encodeFunctionData({ abi: marketAbi, functionName: "fundInsurance", args: [funding.insuranceSeed] }),
      ),
    },
    ...margins.map(
      ([account, amount]): Planned => ({
        action: { kind: "deposit", from: account, amount },
        request: tx(
          account,
          a.market,
          encodeFunctionData({ abi: marketAbi, functionName: "deposit", args: [amount] }),
        ),
      }),
    ),
  ]);
  for (const [account, amount] of margins) addTo(w.ghosts.deposited, account, amount);
}

type Planned = { action: ModelAction; request: TxRequest };

function tx(from: Address, to: Address, data: `0x${string}`): TxRequest {
  return { from, to, data, label: "baseline funding" };
}

/** Funding must simply work: any revert or model disagreement here is a broken setup, not a finding. */
async function expectAll(w: World, model: ModelAdapter, planned: Planned[]): Promise<void> {
  const ts = w.clock.next();
  const expected: Outcome[] = planned.map((p) => model.apply(p.action, ts));
  const [only] = planned;
  const results: ChainResult[] =
    planned.length === 1 && only
      ? [await send(w, only.request)]
      : await sendBlock(
          w,
          planned.map((p) => p.request),
        );
  results.forEach((result, i) => {
    if (result.status !== "ok" || expected[i]?.status !== "ok") {
      throw new Error(
        `scenario baseline funding failed at ${planned[i]?.action.kind}: chain ${JSON.stringify(result.status)} ${"error" in result ? result.error : ""}, model ${expected[i]?.status}`,
      );
    }
  });
}

/** The protocol's own parameters the promises use, read from the deployed system, plus the stated bounds. */
async function readBounds(clients: ChainClients, system: System): Promise<PromiseBounds> {
  const [safety, oracle, maxOutflow, outflowWindow, delay] = await Promise.all([
    system.market.read.safetyParams(),
    system.oracle.read.params(),
    system.pool.read.maxOutflow(),
    system.pool.read.outflowWindow(),
    clients.publicClient.readContract({
      address: system.addresses.timelock,
      abi: timelockAbi,
      functionName: "getMinDelay",
    }),
  ]);
  return {
    ...statedBounds,
    breakerValidReadings: Number(safety.breakerValidReadings),
    breakerCooldown: BigInt(safety.breakerCooldown),
    timelockDelay: delay,
    maxOutflow,
    outflowWindow,
    jumpBand: oracle.jumpBand,
    maxConfirmedJump: oracle.maxConfirmedJump,
    divergenceBand: oracle.divergenceBand,
    secondaryMaxAge: BigInt(oracle.secondaryMaxAge),
    jumpResetAfter: BigInt(oracle.jumpResetAfter),
    maxAge: BigInt(oracle.maxAge),
    mmMaxStep: oracle.mmMaxStep,
    liquidationHorizon: BigInt(oracle.liquidationHorizon),
    persistSeconds: BigInt(oracle.jumpResetAfter),
  };
}

/**
 * The promises' memory at the baseline: its snapshot, the pool's equity, the accepted price, and what each
 * actor put in during funding (margin, and the LP seed at its share of equity).
 */
function baselineHistory(snapshot: Awaited<ReturnType<typeof readSnapshot>>): CampaignHistory {
  const h = emptyHistory();
  const m = snapshot.market;
  h.last = snapshot;
  h.baselinePoolEquity = m.poolEquity;
  h.poolValueCeiling = m.agg.poolCash + m.agg.totalMargin;
  h.rounds.push({ roundId: 0n, price: m.price, at: m.priceUpdatedAt });
  for (const a of snapshot.accounts) {
    const lp = m.poolShareSupply === 0n ? 0n : (a.lpShares * m.poolEquity) / m.poolShareSupply;
    const put = (a.state.margin > 0n ? a.state.margin : 0n) + lp;
    if (lp > 0n) h.lps.add(a.account.toLowerCase() as Address);
    if (put > 0n) h.putIn.set(a.account.toLowerCase() as Address, put);
  }
  return h;
}
