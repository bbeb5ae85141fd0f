import type { Address } from "viem";
import type { System } from "../../system/system.js";
import { emptySettlement, type FeedState, type Mode, type ModelState } from "./types.js";

export type ModelFromChainParameters = {
  system: System;
  /** Accounts whose collateral balances the model tracks from the start. */
  accounts: readonly Address[];
  timestamp: bigint;
};

/**
 * The model's starting point: the configuration of a freshly deployed system (parameters, the guard's
 * first reading, the feeds' first rounds), read once. From there on the model predicts every change
 * itself; this must run before any trading, LP or pool action (the pool's limiter window is assumed
 * untouched, as it is right after deployment).
 */
export async function modelStateFromChain(parameters: ModelFromChainParameters): Promise<ModelState> {
  const { system, accounts, timestamp } = parameters;
  const { market, oracle, pool, collateral } = system;
  const a = system.addresses;
  const [risk, safety, agg, mode, guardian, owner, haltFlags, haltedAt, settlement] = await Promise.all([
    market.read.riskParams(),
    market.read.safetyParams(),
    market.read.aggregates(),
    market.read.mode(),
    market.read.guardian(),
    market.read.owner(),
    market.read.haltFlags(),
    market.read.haltedAt(),
    market.read.settlement(),
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
  const [supply, outflowWindow, maxOutflow] = await Promise.all([
    pool.read.totalSupply(),
    pool.read.outflowWindow(),
    pool.read.maxOutflow(),
  ]);
  if (supply !== 0n || agg.totalMargin !== 0n || settlement.settledAt !== 0n) {
    throw new Error(
      "modelStateFromChain: the system is not fresh (the model must start right after deployment)",
    );
  }
  const tracked = [...accounts, a.market, a.pool];
  const balances = await Promise.all(tracked.map((account) => collateral.read.balanceOf([account])));

  return {
    addresses: { market: a.market, pool: a.pool, guardian, timelock: owner },
    now: timestamp,
    primary: await feedState(system.primaryFeed),
    secondary: await feedState(system.secondaryFeed),
    guard: {
      params: {
        ...params,
        maxAge: BigInt(params.maxAge),
        secondaryMaxAge: BigInt(params.secondaryMaxAge),
        sequencerGracePeriod: BigInt(params.sequencerGracePeriod),
        jumpResetAfter: BigInt(params.jumpResetAfter),
        liquidationHorizon: BigInt(params.liquidationHorizon),
      },
      minAnswer,
      maxAnswer,
      lastGoodPrice,
      lastGoodAt,
      lastRoundId: BigInt(lastRoundId),
      variance,
      initialMargin: im,
      maintenanceMargin: mm,
    },
    market: {
      mode: mode as Mode,
      haltFlags,
      haltedAt,
      resumeMode: 0,
      validStreak: 0n,
      streakRound: 0n,
      breakerAt: 0n,
      risk: { ...risk },
      safety: {
        ...safety,
        maxHaltDuration: BigInt(safety.maxHaltDuration),
        settlementWindow: BigInt(safety.settlementWindow),
        breakerCooldown: BigInt(safety.breakerCooldown),
        breakerValidReadings: BigInt(safety.breakerValidReadings),
      },
      agg: { ...agg },
      accounts: new Map(),
      settlement: emptySettlement(),
      settlementPaid: 0n,
      claimed: new Set(),
    },
    pool: {
      supply,
      shares: new Map(),
      windowStart: 0n,
      windowBase: 0n,
      windowNet: 0n,
      outflowWindow,
      maxOutflow,
    },
    tokens: new Map(tracked.map((account, i) => [account, balances[i] ?? 0n])),
  };
}

async function feedState(feed: System["primaryFeed"]): Promise<FeedState> {
  const [decimals, latestRound, reportedOverride, minAnswer, maxAnswer] = await Promise.all([
    feed.read.decimals(),
    feed.read.latestRound(),
    feed.read.reportedRoundOverride(),
    feed.read.minAnswer(),
    feed.read.maxAnswer(),
  ]);
  const rounds = new Map<bigint, { answer: bigint; updatedAt: bigint }>();
  for (let id = 1n; id <= latestRound; id++) {
    const [answer, , updatedAt] = await feed.read.rounds([id]);
    rounds.set(id, { answer, updatedAt });
  }
  return {
    scale: 10n ** BigInt(18 - decimals),
    latestRound: BigInt(latestRound),
    reportedOverride: BigInt(reportedOverride),
    rounds,
    minAnswer,
    maxAnswer,
  };
}
