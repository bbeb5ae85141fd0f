import type { Address } from "viem";
import { timelockAbi } from "../../../src-ts/protocol/governanceAbis.js";
import type { MockAggregatorState } from "../../model/feeds.js";
import { MarketModel } from "../../model/market.js";
import { NO_PENDING_LEVEL } from "../../model/oracle.js";
import { emptyWindow } from "../../model/pool.js";
import type { SystemState } from "../../model/state.js";
import { type Mode, normalizeAddress, zeroAddress } from "../../model/types.js";
import type { System } from "../../system/system.js";

export type ModelFromChainParameters = {
  system: System;
  /** Accounts whose collateral balances the model tracks from the start. */
  accounts: readonly Address[];
  timestamp: bigint;
};

/**
 * harness/model's MarketModel of a freshly deployed system, read from the chain once: the parameters, the
 * guard's first reading, the feeds' rounds, the governance addresses and the tracked balances. From there on
 * the model predicts every change itself. The market's and the pool's internal state that no view exposes
 * (the breaker's streak, the limiter's window) is zero right after deployment, so this must run before any
 * trading, LP or pool action.
 */
export async function modelFromChain(parameters: ModelFromChainParameters): Promise<MarketModel> {
  const { system, accounts, timestamp } = parameters;
  const { market, oracle, pool, collateral } = system;
  const a = system.addresses;
  const [risk, safety, agg, mode, guardian, owner, haltFlags, haltedAt, settlement, settlementPaid] =
    await Promise.all([
      market.read.riskParams(),
      market.read.safetyParams(),
      market.read.aggregates(),
      market.read.mode(),
      market.read.guardian(),
      market.read.owner(),
      market.read.haltFlags(),
      market.read.haltedAt(),
      market.read.settlement(),
      market.read.settlementPaid(),
    ]);
  const [params, [lastGoodPrice, lastGoodAt], lastRoundId, variance, [im, mm], minAnswer, maxAnswer] =
    await Promise.all([
      oracle.read.params(),
      oracle.read.lastGoodPrice(),
      oracle.read.lastRoundId(),
      oracle.read.variance(),
      oracle.read.marginRatios(),
      oracle.read.minAnswer(),
      oracle.read.maxAnswer(),
    ]);
  const [oracleOwner, sequencer, secondary, decimals] = await Promise.all([
    oracle.read.owner(),
    oracle.read.sequencerUptime(),
    oracle.read.secondary(),
    collateral.read.decimals(),
  ]);
  const [supply, outflowWindow, maxOutflow, poolAllowance, tokenSupply] = await Promise.all([
    pool.read.totalSupply(),
    pool.read.outflowWindow(),
    pool.read.maxOutflow(),
    collateral.read.allowance([a.pool, a.market]),
    collateral.read.totalSupply(),
  ]);
  if (supply !== 0n || agg.totalMargin !== 0n || settlement.settledAt !== 0n) {
    throw new Error("modelFromChain: the system is not fresh (the model must start right after deployment)");
  }
  const ownerMinDelay = await minDelayOf(system, owner);
  const tracked = [...new Set([...accounts, a.market, a.pool].map(normalizeAddress))];
  const balances = await Promise.all(tracked.map((account) => collateral.read.balanceOf([account])));
  const [primaryFeed, secondaryFeed] = await Promise.all([
    feedState(system.primaryFeed),
    feedState(system.secondaryFeed),
  ]);
  const scale = (feed: MockAggregatorState) => 10n ** BigInt(18 - feed.decimals);

  const state: SystemState = {
    now: timestamp,
    addresses: {
      market: normalizeAddress(a.market),
      pool: normalizeAddress(a.pool),
      collateral: normalizeAddress(a.collateral),
      oracle: normalizeAddress(a.oracle),
      owner: normalizeAddress(owner),
    },
    ownerMinDelay,
    market: {
      valueDivisor: 10n ** BigInt(36 - decimals),
      pool: normalizeAddress(await market.read.pool()),
      mode: mode as Mode,
      risk: { ...risk },
      agg: { ...agg },
      accounts: new Map(),
      profitWindow: { start: 0n, paid: 0n },
      guardian: normalizeAddress(guardian),
      safety: { ...safety },
      haltedAt,
      haltFlags,
      resumeMode: 0,
      validStreak: 0,
      streakRound: 0n,
      breakerAt: 0n,
      settlement: { ...settlement },
      settlementPaid,
      claimed: new Set(),
      immediacyFee: await market.read.immediacyFee(),
      orders: new Map(),
    },
    oracle: {
      owner: normalizeAddress(oracleOwner),
      primaryScale: scale(primaryFeed),
      secondaryScale: secondary === zeroAddress ? 0n : scale(secondaryFeed),
      hasSecondary: normalizeAddress(secondary) !== zeroAddress,
      hasSequencer: normalizeAddress(sequencer) !== zeroAddress,
      minAnswer,
      maxAnswer,
      params: { ...params },
      lastGoodPrice,
      lastGoodAt,
      lastRoundId: BigInt(lastRoundId),
      variance,
      initialMargin: im,
      maintenanceMargin: mm,
      pending: { ...NO_PENDING_LEVEL },
      // Right after deployment the stable and LP prices stand on the first round (they only leave it on a later
      // accept).
      stablePrice: lastGoodPrice,
      stableAt: timestamp,
      lpFrom: lastGoodPrice,
      lpStart: timestamp,
      lpUntil: timestamp,
    },
    pool: {
      outflowWindow,
      maxOutflow,
      ...emptyWindow(),
    },
    feeds: { primary: primaryFeed, secondary: secondaryFeed, sequencer: null },
    collateral: {
      balances: new Map(tracked.map((account, i) => [account, balances[i] ?? 0n])),
      allowances: new Map([
        [normalizeAddress(a.pool), new Map([[normalizeAddress(a.market), poolAllowance]])],
      ]),
      totalSupply: tokenSupply,
    },
    shares: { balances: new Map(), allowances: new Map(), totalSupply: 0n },
  };
  return new MarketModel(state);
}

/** The TimelockController's delay, or null when the owner is not one (no code, or no such function). */
async function minDelayOf(system: System, owner: Address): Promise<bigint | null> {
  try {
    return await system.clients.publicClient.readContract({
      address: owner,
      abi: timelockAbi,
      functionName: "getMinDelay",
    });
  } catch {
    return null;
  }
}

async function feedState(feed: System["primaryFeed"]): Promise<MockAggregatorState> {
  const [decimals, latestRound, reportedRoundOverride, minAnswer, maxAnswer] = await Promise.all([
    feed.read.decimals(),
    feed.read.latestRound(),
    feed.read.reportedRoundOverride(),
    feed.read.minAnswer(),
    feed.read.maxAnswer(),
  ]);
  const rounds: MockAggregatorState["rounds"] = new Map();
  for (let id = 1n; id <= latestRound; id++) {
    const [answer, startedAt, updatedAt] = await feed.read.rounds([id]);
    rounds.set(id, { answer, startedAt, updatedAt });
  }
  return {
    decimals,
    minAnswer,
    maxAnswer,
    latestRound: BigInt(latestRound),
    reportedRoundOverride: BigInt(reportedRoundOverride),
    rounds,
    reverts: false,
  };
}
