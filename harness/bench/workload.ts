import { type Address, encodeFunctionData, type Hex } from "viem";
import {
  lensAbi,
  liquidityPoolAbi,
  marketAbi,
  mockAggregatorAbi,
  mockErc20Abi,
} from "../../src-ts/generated/abis.js";
import type { FastChain, FastTx } from "../fast/fastChain.js";
import type { SystemAddresses } from "../system/deploySystem.js";

/**
 * The representative fuzz step the bench times until the scenario layer's own commands can be run by the
 * runner: a market transaction (a trade, a margin deposit or an oracle round, drawn from a seeded PRNG),
 * its inclusion, one Lens read of the market and every trader, and checks of that read against a model
 * (sizes, net size, open interest, token conservation, mode).
 */
export type BenchAction = {
  kind: "trade" | "deposit" | "price";
  tx: FastTx;
  actor: Address;
  /** trade: the size change the model books once the transaction is in. */
  sizeDelta?: bigint | undefined;
};

export type WorkloadParameters = {
  addresses: SystemAddresses;
  /** Trading accounts (unlocked); `priceSetter` publishes oracle rounds. */
  traders: readonly Address[];
  priceSetter: Address;
  seed: number;
};

export type Workload = {
  readonly traders: readonly Address[];
  /** The next action; the model moves when `apply` is called (after inclusion). */
  next(): BenchAction;
  apply(action: BenchAction): void;
  /** Calldata of the one Lens read each check uses. */
  readonly lensCall: { to: Address; data: Hex };
  /** Throws BenchCheckError when the Lens snapshot disagrees with the model. */
  check(snapshot: LensSnapshot): void;
};

export type LensSnapshot = readonly [
  {
    mode: number;
    collateralBalance: bigint;
    agg: {
      longOpenInterest: bigint;
      shortOpenInterest: bigint;
      netSize: bigint;
      totalMargin: bigint;
      insurance: bigint;
      poolCash: bigint;
    };
  },
  readonly { account: Address; state: { size: bigint } }[],
];

export class BenchCheckError extends Error {
  override name = "BenchCheckError";
}

const unit = 10n ** 18n;
const maxSize = 20n * unit;

export function createWorkload(parameters: WorkloadParameters): Workload {
  const { addresses, traders, priceSetter } = parameters;
  const random = mulberry32(parameters.seed);
  const sizes = new Map<Address, bigint>(traders.map((t) => [t, 0n]));
  let sinceRound = 0;
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const market = (data: Hex, from: Address): FastTx => ({ from, to: addresses.market, data });

  return {
    traders,
    lensCall: {
      to: addresses.lens,
      data: encodeFunctionData({ abi: lensAbi, functionName: "snapshot", args: [addresses.market, traders] }),
    },
    next() {
      const roll = random();
      // A round at least every 20 actions (one block each): trades need a round at most 5 minutes old.
      if (roll < 0.05 || ++sinceRound >= 20) {
        sinceRound = 0;
        // An oracle round within 1% of 2,000: always Valid.
        const answer = 2000_00000000n + BigInt(Math.round((random() * 2 - 1) * 20_00000000));
        const data = encodeFunctionData({
          abi: mockAggregatorAbi,
          functionName: "setAnswer",
          args: [answer],
        });
        return {
          kind: "price",
          actor: priceSetter,
          tx: { from: priceSetter, to: addresses.primaryFeed, data },
        };
      }
      const actor = pick(traders);
      if (roll < 0.1) {
        const data = encodeFunctionData({ abi: marketAbi, functionName: "deposit", args: [1_000_000n] });
        return { kind: "deposit", actor, tx: market(data, actor) };
      }
      const size = sizes.get(actor) ?? 0n;
      let delta = BigInt(Math.floor(random() * 100) + 1) * 10n ** 16n * (random() < 0.5 ? -1n : 1n);
      if (size + delta > maxSize || size + delta < -maxSize) delta = -delta;
      const data = encodeFunctionData({ abi: marketAbi, functionName: "modifyPosition", args: [delta, 0n] });
      return { kind: "trade", actor, tx: market(data, actor), sizeDelta: delta };
    },
    apply(action) {
      const delta = action.sizeDelta;
      if (delta !== undefined) sizes.set(action.actor, (sizes.get(action.actor) ?? 0n) + delta);
    },
    check([m, accounts]) {
      const fail = (what: string, expected: unknown, actual: unknown) => {
        throw new BenchCheckError(`${what}: expected ${expected}, got ${actual}`);
      };
      let net = 0n;
      for (const a of accounts) {
        const expected = sizes.get(a.account) ?? 0n;
        if (a.state.size !== expected) fail(`size of ${a.account}`, expected, a.state.size);
        net += expected;
      }
      if (m.agg.netSize !== net) fail("net size", net, m.agg.netSize);
      if (m.agg.longOpenInterest - m.agg.shortOpenInterest !== net) {
        fail("long - short open interest", net, m.agg.longOpenInterest - m.agg.shortOpenInterest);
      }
      const credits = m.agg.totalMargin + m.agg.insurance + (m.agg.poolCash > 0n ? m.agg.poolCash : 0n);
      if (m.collateralBalance < credits)
        fail("token conservation (balance >= credits)", credits, m.collateralBalance);
      if (m.mode !== 0) fail("mode", 0, m.mode);
    },
  };
}

export type SetupWorkloadParameters = {
  fast: FastChain;
  addresses: SystemAddresses;
  traders: readonly Address[];
  lp: Address;
};

/** Funds the LP pool and the traders (untimed; automine on). Margin is ample for every trade drawn. */
export async function setupWorkload(parameters: SetupWorkloadParameters): Promise<void> {
  const { fast, addresses, traders, lp } = parameters;
  const token = (from: Address, functionName: "mint" | "approve", args: readonly [Address, bigint]) =>
    fast.send({
      from,
      to: addresses.collateral,
      data: encodeFunctionData({ abi: mockErc20Abi, functionName, args }),
    });
  const lpAssets = 10_000_000n * 10n ** 6n;
  await token(lp, "mint", [lp, lpAssets]);
  await token(lp, "approve", [addresses.pool, lpAssets]);
  await expectSuccess(
    fast.send({
      from: lp,
      to: addresses.pool,
      data: encodeFunctionData({ abi: liquidityPoolAbi, functionName: "deposit", args: [lpAssets, lp] }),
    }),
    "LP deposit",
  );
  for (const trader of traders) {
    await token(trader, "mint", [trader, 10n ** 15n]);
    await token(trader, "approve", [addresses.market, 2n ** 255n]);
    await expectSuccess(
      fast.send({
        from: trader,
        to: addresses.market,
        data: encodeFunctionData({ abi: marketAbi, functionName: "deposit", args: [200_000n * 10n ** 6n] }),
      }),
      "margin deposit",
    );
  }
  // Rounds published last: a risk-increasing trade needs a round at most TradePricing.MAX_TRADE_AGE old (each
  // setup transaction above is a block of its own).
  for (const feed of [addresses.primaryFeed, addresses.secondaryFeed]) {
    const data = encodeFunctionData({
      abi: mockAggregatorAbi,
      functionName: "setAnswer",
      args: [2000_00000000n],
    });
    await expectSuccess(fast.send({ from: lp, to: feed, data }), "oracle round");
  }
}

async function expectSuccess(receipt: Promise<{ status: string }>, what: string): Promise<void> {
  if ((await receipt).status !== "success") throw new BenchCheckError(`bench setup: ${what} reverted`);
}

/** A small seeded PRNG: the same seed draws the same actions. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
