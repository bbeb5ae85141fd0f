// The incident library: public incidents replayed against the deployed system (default parameters, a pool of
// about $2M: lp0's 1M seed and lp1's deposit), each with the playbook its post-mortem describes, scaled to
// the pool. Each incident's args are what the fuzzer varies (timing, sizes, who acts when); `canonical` is
// the post-mortem's own shape, which the README table and the npm-test suite run.
import * as fc from "fast-check";
import { moveBps } from "../../invariants/promises/context.js";
import { WAD } from "../../model/math.js";
import { calls } from "../calls.js";
import { BadArgsError, bool, int, ints, oneOf } from "../commands/args.js";
import type { IncidentName, JsonValue } from "../contract.js";
import type { Step as StepType } from "../step.js";
import { describeStoppers } from "./outcome.js";
import { type CommonArgs, type IncidentRun, type KeeperMode, keeperModes } from "./run.js";

type Args = Record<string, JsonValue>;

/**
 * A bound an incident's promise holds the fixed protocol to: bps of the pool's equity when the attack starts
 * (attacker) or of the LP's own holding then (each honest LP), or `maxTake`: the stated bound on what one
 * actor takes from the pool (issue 9 property 2, `statedBounds.maxTakeBps`), read from the world.
 */
export type Bound = bigint | "maxTake";

export type Incident<P extends CommonArgs> = {
  name: IncidentName;
  title: string;
  /** The post-mortem the figures come from. */
  source: { url: string; title: string };
  /** The attack in one line, and the real figures behind the playbook. */
  attack: string;
  figures: string;
  /** Which issue 9 property decides the incident, and the bounds the fixed protocol must meet. */
  property: string;
  attackerProfit: Bound;
  honestLpLoss: Bound;
  /** The attacker uses a second account (t7) as a sock puppet. */
  sock?: boolean;
  canonical: P;
  arbitrary: fc.Arbitrary<P>;
  parse(args: Args): P;
  play(run: IncidentRun, p: P): Promise<void>;
};

/** A manipulation that is never confirmed must pay nothing: fees and rounding only, 10 bps of the pool. */
const nothing = 10n;

const parseCommon = (args: Args): CommonArgs => ({
  lpUnits: int(args, "lpUnits", 0, 2_000_000),
  honestSides: ints(args, "honestSides", -1, 1, [3, 3]),
  honestLeverageBps: int(args, "honestLeverageBps", 1, 100_000),
  keeper: oneOf(args, "keeper", keeperModes),
  lpExitBps: int(args, "lpExitBps", 0, 10_000),
  lpExitAt: int(args, "lpExitAt", 0, 64),
});

const commonArb = (sides?: fc.Arbitrary<number[]>): fc.Arbitrary<CommonArgs> =>
  fc.record({
    lpUnits: fc.integer({ min: 500_000, max: 1_500_000 }),
    honestSides: sides ?? fc.array(fc.integer({ min: -1, max: 1 }), { minLength: 3, maxLength: 3 }),
    honestLeverageBps: fc.integer({ min: 10_000, max: 80_000 }),
    keeper: fc.constantFrom<KeeperMode>(...keeperModes),
    lpExitBps: fc.oneof(fc.constant(0), fc.integer({ min: 1_000, max: 10_000 })),
    lpExitAt: fc.integer({ min: 0, max: 12 }),
  });

const honestDefaults = (sides: number[], leverage = 30_000): CommonArgs => ({
  lpUnits: 1_000_000,
  honestSides: sides,
  honestLeverageBps: leverage,
  keeper: "prompt",
  lpExitBps: 0,
  lpExitAt: 0,
});

/** The market's last good price as a feed answer (8 decimals), for playbooks that act once a level is accepted. */
const accepted = (run: IncidentRun): bigint => (run.m.port.price() * 10n ** 8n) / WAD;

// ---------------------------------------------------------------------------------------------------------
// Mango Markets, 11 Oct 2022.
// Source: Solidus Labs, "The Mango Markets Exploit: An Order Book Analysis" (18 Oct 2022),
// https://www.soliduslabs.com/post/mango-hack — also CertiK, "Mango Market Incident Analysis".
// Two accounts funded with $5M each; 483M MNGO-PERP bought at $0.0382; spot MNGO pumped ~2,300% within ten
// minutes on three venues; $116M borrowed against the unrealised profit and withdrawn. Scaled: $100k
// borrowed (5% of the pool, as $10M was of Mango's ~$190M), long 8x, the pump in rounds under the 10% band
// to about x2, free margin withdrawn while open, then closed; MNGO then fell back.
// ---------------------------------------------------------------------------------------------------------
/** A thin-market pump: `steps` pushes of `stepBps` on both feeds, `stepSeconds` apart, then the cash-out. */
type PumpShape = CommonArgs & {
  units: number;
  leverageBps: number;
  steps: number;
  stepBps: number;
  stepSeconds: number;
  withdrawBps: number;
  /** A rational attacker stops pumping once its unrealised profit reaches this share of the pool (0: never). */
  stopAtPoolBps: number;
  ending: "close" | "abandon";
};
type Pump = PumpShape & {
  /** Withdraw free margin after every this many steps (0: once, at the top). */
  withdrawEvery: number;
};
const pumpEndings = ["close", "abandon"] as const;

const parsePumpShape = (args: Args): PumpShape => ({
  ...parseCommon(args),
  units: int(args, "units", 0, 10_000_000),
  leverageBps: int(args, "leverageBps", 1, 100_000),
  steps: int(args, "steps", 1, 20),
  stepBps: int(args, "stepBps", 1, 990),
  stepSeconds: int(args, "stepSeconds", 12, 3_600),
  withdrawBps: int(args, "withdrawBps", 0, 10_000),
  stopAtPoolBps: int(args, "stopAtPoolBps", 0, 10_000),
  ending: oneOf(args, "ending", pumpEndings),
});

const parsePump = (args: Args): Pump => ({
  ...parsePumpShape(args),
  withdrawEvery: int(args, "withdrawEvery", 0, 20),
});

type Range = [number, number];
const pumpShapeArb = (shape: { steps: Range; stepBps: Range; stepSeconds: Range }) =>
  fc
    .record({
      common: commonArb(),
      units: fc.integer({ min: 20_000, max: 150_000 }),
      leverageBps: fc.integer({ min: 20_000, max: 80_000 }),
      steps: fc.integer({ min: shape.steps[0], max: shape.steps[1] }),
      stepBps: fc.integer({ min: shape.stepBps[0], max: shape.stepBps[1] }),
      stepSeconds: fc.integer({ min: shape.stepSeconds[0], max: shape.stepSeconds[1] }),
      withdrawBps: fc.integer({ min: 0, max: 10_000 }),
      stopAtPoolBps: fc.oneof(fc.constant(0), fc.integer({ min: 2_000, max: 9_500 })),
      ending: fc.constantFrom(...pumpEndings),
    })
    .map(({ common, ...rest }): PumpShape => ({ ...common, ...rest }));

const pumpArb = (shape: { steps: Range; stepSeconds: Range }): fc.Arbitrary<Pump> =>
  fc
    .tuple(pumpShapeArb({ ...shape, stepBps: [300, 990] }), fc.integer({ min: 0, max: 4 }))
    .map(([p, withdrawEvery]) => ({ ...p, withdrawEvery }));

/** Whether the attacker's unrealised profit has reached `bps` of the pool's equity (the last phase's read). */
function pumpedEnough(run: IncidentRun, bps: number): boolean {
  const read = run.last;
  const me = read?.accounts.find((a) => a.account === run.attacker);
  if (bps === 0 || !read || !me) return false;
  return (me.equity - me.state.margin) * 10_000n >= read.market.poolEquity * BigInt(bps);
}

/**
 * The playbook every thin-market pump shares: push both feeds in steps under the band until the attacker's paper
 * profit reaches `stopAtPoolBps` of the pool (`during(step, i, top)` acts in each push's phase), then the long
 * withdraws its free margin (`withdrawAtEnd`), closes unless it abandons, and the pump collapses to the truth.
 */
async function pumpAndCashOut(
  run: IncidentRun,
  p: PumpShape,
  opts: {
    during?: (s: StepType, i: number, top: boolean) => Promise<void>;
    withdrawAtEnd: boolean;
    fallsTo: string;
  },
): Promise<void> {
  const { attacker } = run;
  for (let i = 0; i < p.steps; i++) {
    if (pumpedEnough(run, p.stopAtPoolBps)) break;
    await run.attack(`pump ${i + 1}/${p.steps} +${p.stepBps / 100}%`, async (s) => {
      await run.wait(s, p.stepSeconds);
      await s.block(run.both(p.stepBps));
      await opts.during?.(s, i, i === p.steps - 1 || pumpedEnough(run, p.stopAtPoolBps));
    });
  }
  if (opts.withdrawAtEnd) {
    await run.attack("the long withdraws its profit", async (s) => {
      const take = run.withdrawFree(attacker, p.withdrawBps);
      if (take) await s.act(take);
    });
  }
  if (p.ending === "close")
    await run.attack("closes at the top", (s) => s.act(run.close(attacker)).then(() => {}));
  await run.settleAt(run.truth, opts.fallsTo);
}

/** Long, pumped in steps under the band, profit withdrawn while open, then closed or abandoned. */
async function playPump(run: IncidentRun, p: Pump): Promise<void> {
  const { attacker } = run;
  await run.setup(p.units);
  await run.attack("attacker goes long", (s) => s.act(run.open(attacker, 1, p.leverageBps)).then(() => {}));
  await pumpAndCashOut(run, p, {
    withdrawAtEnd: false,
    fallsTo: "the pump collapses",
    during: async (s, i, top) => {
      if ((p.withdrawEvery > 0 && (i + 1) % p.withdrawEvery === 0) || top) {
        const take = run.withdrawFree(attacker, p.withdrawBps);
        if (take) await s.act(take);
      }
    },
  });
}

const mango: Incident<Pump> = {
  name: "mango",
  title: "Mango Markets (Oct 2022)",
  source: {
    url: "https://www.soliduslabs.com/post/mango-hack",
    title: "Solidus Labs: The Mango Markets Exploit: An Order Book Analysis",
  },
  attack:
    "thin-market pump under the jump band, margin withdrawn while open (backed by unrealised profit), closed",
  figures: "$10M in two accounts, MNGO +2,300% in ~10 min, $116M borrowed against unrealised profit",
  property: "1 (profit withdrawable once real) and 2 (bounded take)",
  attackerProfit: "maxTake",
  honestLpLoss: "maxTake",
  canonical: {
    ...honestDefaults([1, -1, 1]),
    units: 100_000,
    leverageBps: 80_000,
    steps: 8,
    stepBps: 950,
    stepSeconds: 120,
    withdrawBps: 9_900,
    withdrawEvery: 0,
    stopAtPoolBps: 8_000,
    ending: "close",
  },
  arbitrary: pumpArb({ steps: [3, 10], stepSeconds: [12, 600] }),
  parse: parsePump,
  play: playPump,
};

// ---------------------------------------------------------------------------------------------------------
// Moola Market (Celo), 18 Oct 2022.
// Source: Neptune Mutual, "Decoding Moola Market's Price Manipulation Attack",
// https://neptunemutual.com/blog/decoding-moola-markets-price-manipulation-attack/
// MOO pumped ~6,400% on Ubeswap into Moola's TWAP oracle in repeated rounds; MOO used as collateral to
// borrow CELO "back-and-forth" after each push; $9.1M drained, the collateral left behind. Scaled: 5-minute
// pushes under the band (x4), profit withdrawn after every other push, the position abandoned.
// ---------------------------------------------------------------------------------------------------------
const moola: Incident<Pump> = {
  name: "moola",
  title: "Moola Market (Oct 2022)",
  source: {
    url: "https://neptunemutual.com/blog/decoding-moola-markets-price-manipulation-attack/",
    title: "Neptune Mutual: Decoding Moola Market's Price Manipulation Attack",
  },
  attack: "TWAP pumped in 5-minute steps, margin withdrawn after every other push, closed (or abandoned)",
  figures: "MOO +6,400%, $9.1M borrowed against it and kept (93% returned later)",
  property: "1 (profit withdrawable once real) and 2 (bounded take)",
  attackerProfit: "maxTake",
  honestLpLoss: "maxTake",
  canonical: {
    ...honestDefaults([1, -1, -1]),
    units: 100_000,
    leverageBps: 80_000,
    steps: 16,
    stepBps: 900,
    stepSeconds: 300,
    withdrawBps: 9_900,
    withdrawEvery: 2,
    stopAtPoolBps: 8_000,
    ending: "close",
  },
  arbitrary: pumpArb({ steps: [6, 16], stepSeconds: [120, 900] }),
  parse: parsePump,
  play: playPump,
};

// ---------------------------------------------------------------------------------------------------------
// Hyperliquid JELLY, 26 Mar 2025.
// Source: Cointelegraph via AiCoin, "...details of the exploit" (Arkham Intelligence's post-mortem),
// https://aicoin.com/article/450767 — and https://iget.news/index.php/2025/03/28/hyperliquid-came-inches-from-losing-its-230m-vault-over-a-6m-jelly-short
// $7M over three accounts: longs of $2.15M and $1.9M against a $4.1M short; the short's margin removed so
// it was liquidated into the HLP vault, then JELLY pumped 400-500% within the hour; HLP's unrealised loss
// reached ~$12-13.5M before validators delisted and settled at the pre-pump price. Scaled: a long and an
// equal short (sock puppet t7), the short's free margin withdrawn, x4.5 in 16 pushes over an hour.
// ---------------------------------------------------------------------------------------------------------
const jelly: Incident<PumpShape> = {
  name: "jelly",
  title: "Hyperliquid JELLY (Mar 2025)",
  source: {
    url: "https://aicoin.com/article/450767",
    title: "Cointelegraph/Arkham: Hyperliquid JELLY exploit",
  },
  attack:
    "offsetting long + margin-stripped short (sock) liquidated onto the pool, then pumped x4.5 in an hour",
  figures: "$7M over three accounts, JELLY +400-500% in an hour, HLP unrealised loss ~$12M",
  property: "1 and 2 (bounded take); the sock's deficit by the loss waterfall",
  attackerProfit: "maxTake",
  honestLpLoss: "maxTake",
  sock: true,
  canonical: {
    ...honestDefaults([0, 0, 0]),
    units: 100_000,
    leverageBps: 80_000,
    steps: 16,
    stepBps: 990,
    stepSeconds: 225,
    withdrawBps: 9_900,
    stopAtPoolBps: 8_000,
    ending: "close",
  },
  arbitrary: pumpShapeArb({ steps: [6, 18], stepBps: [500, 990], stepSeconds: [60, 600] }),
  parse: parsePumpShape,
  async play(run, p) {
    const [attacker, sock] = run.attackers as [`0x${string}`, `0x${string}`];
    await run.setup(p.units, p.units);
    await run.attack("long and equal short (sock) in one block", async (s) => {
      await s.block([run.open(attacker, 1, p.leverageBps), run.open(sock, -1, p.leverageBps)]);
    });
    await run.attack("the short's margin stripped to its edge", async (s) => {
      const take = run.withdrawFree(sock, 10_000);
      if (take) await s.act(take);
    });
    await pumpAndCashOut(run, p, {
      withdrawAtEnd: true,
      fallsTo: "delisted and settled at the pre-pump price",
    });
  },
};

// ---------------------------------------------------------------------------------------------------------
// Harvest Finance, 26 Oct 2020.
// Source: Harvest Finance, "Harvest Flashloan Economic Attack Post-Mortem",
// https://medium.com/harvest-finance/harvest-flashloan-economic-attack-post-mortem-3cf900d65217
// A $50M flash loan moved Curve's Y pool by ~1% (under Harvest's 3% arbitrage check), deposited at the
// manipulated share price, restored the pool and withdrew: 17 cycles on fUSDC and 13 on fUSDT within 7
// minutes, $24M taken. Scaled: ~1% pushes down, long at the push, close at the restore, 30 cycles, one
// every ~14 s; every round Valid, the volatility estimate (and so everyone's margins) driven up.
// ---------------------------------------------------------------------------------------------------------
type Grind = CommonArgs & {
  units: number;
  leverageBps: number;
  cycles: number;
  pushBps: number;
  cycleSeconds: number;
};

const harvest: Incident<Grind> = {
  name: "harvest",
  title: "Harvest Finance (Oct 2020)",
  source: {
    url: "https://medium.com/harvest-finance/harvest-flashloan-economic-attack-post-mortem-3cf900d65217",
    title: "Harvest Finance: Harvest Flashloan Economic Attack Post-Mortem",
  },
  attack: "grinding under the band: push ~1%, trade at the push, restore, 30 cycles in 7 minutes",
  figures: "$50M flash loan, ~1% moves under a 3% check, 17 + 13 cycles in 7 min, $24M taken",
  property: "4 (manufactured volatility bounded; grinding does not pay)",
  attackerProfit: nothing,
  honestLpLoss: nothing,
  canonical: {
    ...honestDefaults([1, -1, 1], 60_000),
    units: 100_000,
    leverageBps: 50_000,
    cycles: 30,
    pushBps: 100,
    cycleSeconds: 14,
  },
  arbitrary: fc
    .record({
      common: commonArb(),
      units: fc.integer({ min: 20_000, max: 150_000 }),
      leverageBps: fc.integer({ min: 20_000, max: 80_000 }),
      cycles: fc.integer({ min: 5, max: 30 }),
      pushBps: fc.integer({ min: 30, max: 300 }),
      cycleSeconds: fc.integer({ min: 12, max: 120 }),
    })
    .map(({ common, ...rest }): Grind => ({ ...common, ...rest })),
  parse: (args) => ({
    ...parseCommon(args),
    units: int(args, "units", 0, 10_000_000),
    leverageBps: int(args, "leverageBps", 1, 100_000),
    cycles: int(args, "cycles", 1, 40),
    pushBps: int(args, "pushBps", 1, 990),
    cycleSeconds: int(args, "cycleSeconds", 12, 3_600),
  }),
  async play(run, p) {
    const { attacker } = run;
    await run.setup(p.units);
    for (let i = 0; i < p.cycles; i++) {
      await run.attack(
        `cycle ${i + 1}/${p.cycles}: -${p.pushBps / 100}%, long, restore, close`,
        async (s) => {
          const fair = run.m.port.feed("primary").latestAnswer;
          await run.wait(s, p.cycleSeconds);
          const pushed = (fair * BigInt(10_000 - p.pushBps)) / 10_000n;
          await s.block([...run.rounds(pushed, pushed), run.open(attacker, 1, p.leverageBps)]);
          await s.block([...run.rounds(fair, fair), run.close(attacker)]);
        },
      );
    }
    await run.settleAt(run.truth);
  },
};

// ---------------------------------------------------------------------------------------------------------
// bZx, 15 and 18 Feb 2020.
// Source: Finance Magnates, "bZx Suffers Second Attack, $645,000 Worth ETH in Jeopardy",
// https://financemagnates.com/cryptocurrency/news/bzx-suffers-second-attack-645000-worth-eth-in-jeopardy/amp
// In one transaction a 7,500 ETH flash loan bought sUSD on Kyber/Uniswap (bZx's oracle) up to more than $2
// (x2), borrowed against it at the spiked price and repaid: 2,388 ETH profit. Scaled: long 8x, then ONE
// block: both feeds x2, the attacker closes, the feeds are put back.
// ---------------------------------------------------------------------------------------------------------
type Spike = CommonArgs & { units: number; leverageBps: number; spikeBps: number; both: boolean };

const bzx: Incident<Spike> = {
  name: "bzx",
  title: "bZx (Feb 2020)",
  source: {
    url: "https://financemagnates.com/cryptocurrency/news/bzx-suffers-second-attack-645000-worth-eth-in-jeopardy/amp",
    title: "Finance Magnates: bZx Suffers Second Attack, $645,000 Worth ETH in Jeopardy",
  },
  attack: "spike and restore in one block, the attacker closing at the spike",
  figures: "7,500 ETH flash loan, sUSD pushed above $2 (x2) on the oracle's venues, 2,388 ETH profit",
  property: "3 (a level accepted only when confirmed or persistent)",
  attackerProfit: nothing,
  honestLpLoss: nothing,
  canonical: {
    ...honestDefaults([1, -1, 0]),
    units: 100_000,
    leverageBps: 80_000,
    spikeBps: 10_000,
    both: true,
  },
  arbitrary: fc
    .record({
      common: commonArb(),
      units: fc.integer({ min: 20_000, max: 150_000 }),
      leverageBps: fc.integer({ min: 20_000, max: 80_000 }),
      spikeBps: fc.oneof(fc.integer({ min: 1_000, max: 30_000 }), fc.integer({ min: 300, max: 990 })),
      both: fc.boolean(),
    })
    .map(({ common, ...rest }): Spike => ({ ...common, ...rest })),
  parse: (args) => ({
    ...parseCommon(args),
    units: int(args, "units", 0, 10_000_000),
    leverageBps: int(args, "leverageBps", 1, 100_000),
    spikeBps: int(args, "spikeBps", 1, 100_000),
    both: bool(args, "both"),
  }),
  async play(run, p) {
    const { attacker, m, w } = run;
    await run.setup(p.units);
    await run.attack("attacker goes long", (s) => s.act(run.open(attacker, 1, p.leverageBps)).then(() => {}));
    await run.attack(`one block: x${(10_000 + p.spikeBps) / 10_000}, close, restore`, async (s) => {
      const primary = m.port.feed("primary").latestAnswer;
      const secondary = m.port.feed("secondary").latestAnswer;
      const spiked = (primary * BigInt(10_000 + p.spikeBps)) / 10_000n;
      await s.block([
        ...run.rounds(spiked, p.both ? spiked : undefined, false),
        run.close(attacker),
        calls.feedAnswer(w, "primary", primary),
        ...(p.both ? [calls.feedAnswer(w, "secondary", secondary)] : []),
      ]);
    });
    await run.settleAt(run.truth);
  },
};

// ---------------------------------------------------------------------------------------------------------
// Compound DAI, 26 Nov 2020.
// Source: Compound community forum, "DAI Liquidation Event" (Nov 2020 - 2021),
// https://www.comp.xyz/t/dai-liquidation-event/642 — and Decrypt, https://decrypt.co/49657/oracle-exploit-sees-100-million-liquidated-on-compound
// DAI printed $1.30 (+30%) on Coinbase Pro, the oracle's reporter, for about an hour (07:00-08:00 UTC); the
// Uniswap anchor allowed 20%; $85-89M of DAI borrowers (shorts of DAI) liquidated at the outlier. Scaled:
// the primary at +30% re-published every 5 minutes for 65 minutes, the secondary honest (or following part
// way); honest shorts at 6x, the attacker long and liquidating.
// ---------------------------------------------------------------------------------------------------------
type Outlier = CommonArgs & {
  units: number;
  leverageBps: number;
  /** The outlier, in bps above the true price (sKRW: a factor x10,000). */
  premiumBps: number;
  /** The secondary follows this far (bps above truth; 0: it stays honest). */
  secondaryBps: number;
  holdSeconds: number;
  republishSeconds: number;
};

const outlierArb = (premium: fc.Arbitrary<number>, secondary: (premium: number) => fc.Arbitrary<number>) =>
  fc
    .record({
      common: commonArb(),
      units: fc.integer({ min: 20_000, max: 150_000 }),
      leverageBps: fc.integer({ min: 20_000, max: 80_000 }),
      premiumBps: premium,
      holdSeconds: fc.integer({ min: 600, max: 7_200 }),
      republishSeconds: fc.integer({ min: 60, max: 900 }),
    })
    .chain(({ common, premiumBps, ...rest }) =>
      secondary(premiumBps).map(
        (secondaryBps): Outlier => ({ ...common, ...rest, premiumBps, secondaryBps }),
      ),
    );

const parseOutlier = (args: Args): Outlier => {
  const p: Outlier = {
    ...parseCommon(args),
    units: int(args, "units", 0, 10_000_000),
    leverageBps: int(args, "leverageBps", 1, 100_000),
    premiumBps: int(args, "premiumBps", 1, 4_990_000),
    secondaryBps: int(args, "secondaryBps", 0, 4_990_000),
    holdSeconds: int(args, "holdSeconds", 60, 86_400),
    republishSeconds: int(args, "republishSeconds", 12, 3_600),
  };
  if (p.secondaryBps > p.premiumBps) throw new BadArgsError("secondaryBps must not exceed premiumBps");
  return p;
};

/**
 * A bad level held on the feeds: re-published every `republishSeconds` for `holdSeconds`, the attacker
 * (long) closing as soon as the market has accepted the level, the keeper liquidating at it; then the
 * feeds report the truth again.
 */
async function playOutlier(run: IncidentRun, p: Outlier): Promise<void> {
  const { attacker } = run;
  await run.setup(p.units);
  await run.attack("attacker goes long", (s) => s.act(run.open(attacker, 1, p.leverageBps)).then(() => {}));
  const bad = (run.truth * BigInt(10_000 + p.premiumBps)) / 10_000n;
  const secondary = (run.truth * BigInt(10_000 + p.secondaryBps)) / 10_000n;
  const rounds = Math.max(1, Math.ceil(p.holdSeconds / p.republishSeconds));
  let closed = false;
  for (let i = 0; i < rounds; i++) {
    await run.attack(`outlier round ${i + 1}/${rounds}`, async (s) => {
      if (i > 0) await run.wait(s, p.republishSeconds);
      await s.block(run.rounds(bad, p.secondaryBps === 0 ? undefined : secondary));
      // The attacker takes profit as soon as the market has moved halfway to the bad level.
      if (!closed && accepted(run) > run.truth + (bad - run.truth) / 2n) {
        const { actual } = await s.act(run.close(attacker));
        closed = actual.status === "ok";
      }
    });
  }
  await run.settleAt(run.truth, "the feeds report the truth again");
}

const compoundDai: Incident<Outlier> = {
  name: "compoundDai",
  title: "Compound DAI (Nov 2020)",
  source: {
    url: "https://www.comp.xyz/t/dai-liquidation-event/642",
    title: "Compound forum: DAI Liquidation Event",
  },
  attack: "one feed's outlier (+30%) held for 65 minutes; liquidations and a close at it",
  figures: "DAI $1.30 on Coinbase Pro for ~1 h, $85-89M liquidated",
  property: "3 (a level accepted only when confirmed or persistent)",
  attackerProfit: nothing,
  honestLpLoss: nothing,
  canonical: {
    ...honestDefaults([-1, -1, -1], 60_000),
    units: 100_000,
    leverageBps: 60_000,
    premiumBps: 3_000,
    secondaryBps: 0,
    holdSeconds: 3_900,
    republishSeconds: 300,
  },
  arbitrary: outlierArb(fc.integer({ min: 1_000, max: 5_000 }), (premium) =>
    fc.oneof(fc.constant(0), fc.integer({ min: 0, max: Math.min(premium, 2_000) })),
  ),
  parse: parseOutlier,
  play: playOutlier,
};

// ---------------------------------------------------------------------------------------------------------
// Synthetix sKRW, 24-25 Jun 2019.
// Source: Synthetix, "Synthetix Response to Oracle Incident", https://blog.synthetix.io/response-to-oracle-incident/
// One of two remaining FX APIs reported KRW 1000x; the oracle averaged the two and published ~x500 on
// chain; a bot traded in and out within the hour, "over $1b in profit". Scaled: both feeds at x400 (under
// the feed's max answer), re-published every 5 minutes for 50 minutes.
// ---------------------------------------------------------------------------------------------------------
const skrw: Incident<Outlier> = {
  name: "skrw",
  title: "Synthetix sKRW (Jun 2019)",
  source: {
    url: "https://blog.synthetix.io/response-to-oracle-incident/",
    title: "Synthetix: Synthetix Response to Oracle Incident",
  },
  attack: "x400 on both feeds for most of an hour; the bot closes at it",
  figures: "KRW misreported ~1000x by one API (averaged on chain), >$1B profit in under an hour",
  property: "3 (a level accepted only when confirmed or persistent)",
  attackerProfit: nothing,
  honestLpLoss: nothing,
  canonical: {
    ...honestDefaults([-1, 1, -1]),
    units: 20_000,
    leverageBps: 50_000,
    premiumBps: 3_990_000,
    secondaryBps: 3_990_000,
    holdSeconds: 3_000,
    republishSeconds: 300,
  },
  arbitrary: outlierArb(fc.integer({ min: 490_000, max: 4_490_000 }), (premium) =>
    fc.oneof(fc.constant(premium), fc.constant(0)),
  ),
  parse: parseOutlier,
  play: playOutlier,
};

// ---------------------------------------------------------------------------------------------------------
// Black Thursday, 12 Mar 2020.
// Source: Dragonfly Research (Tom Schmidt), "Daos Ex Machina: An In-Depth Timeline of Maker's Recent Crisis",
// https://medium.com/dragonfly-research/daos-ex-machina-an-in-depth-timeline-of-makers-recent-crisis-66d2ae39dd65
// ETH fell over 50% within the day ($194 to ~$111 at the low); Maker's oracle (OSM) trails the market by an
// hour and congestion delayed keepers. Scaled: the market falls 43% while the feeds' last round (still
// younger than maxAge) stands; a hedged trader shorts at that stale round just before the feeds catch up in
// two rounds; honest longs at 5x; keeper fuzzed (slow: congestion).
// ---------------------------------------------------------------------------------------------------------
type Lag = CommonArgs & {
  units: number;
  leverageBps: number;
  dropBps: number;
  lagSeconds: number;
  catchUpRounds: number;
};

const blackThursday: Incident<Lag> = {
  name: "blackThursday",
  title: "Black Thursday (Mar 2020)",
  source: {
    url: "https://medium.com/dragonfly-research/daos-ex-machina-an-in-depth-timeline-of-makers-recent-crisis-66d2ae39dd65",
    title: "Dragonfly Research: Daos Ex Machina: An In-Depth Timeline of Maker's Recent Crisis",
  },
  attack: "trading on a stale-but-valid round during a 1-hour oracle lag in a real crash",
  figures: "ETH -50% in a day ($194 to ~$111), oracle 1 h behind, $8.3M of collateral sold for 0 DAI",
  property: "5 (trading on a stale-but-valid round does not pay more than a bound)",
  attackerProfit: nothing,
  honestLpLoss: nothing,
  canonical: {
    ...honestDefaults([1, 1, 1], 50_000),
    keeper: "slow",
    units: 100_000,
    leverageBps: 80_000,
    dropBps: 4_300,
    lagSeconds: 3_300,
    catchUpRounds: 2,
  },
  arbitrary: fc
    .record({
      common: commonArb(),
      units: fc.integer({ min: 20_000, max: 150_000 }),
      leverageBps: fc.integer({ min: 20_000, max: 80_000 }),
      dropBps: fc.integer({ min: 1_000, max: 5_000 }),
      lagSeconds: fc.integer({ min: 600, max: 3_500 }),
      catchUpRounds: fc.integer({ min: 1, max: 4 }),
    })
    .map(({ common, ...rest }): Lag => ({ ...common, ...rest })),
  parse: (args) => ({
    ...parseCommon(args),
    units: int(args, "units", 0, 10_000_000),
    leverageBps: int(args, "leverageBps", 1, 100_000),
    dropBps: int(args, "dropBps", 1, 9_000),
    lagSeconds: int(args, "lagSeconds", 12, 86_400),
    catchUpRounds: int(args, "catchUpRounds", 1, 8),
  }),
  async play(run, p) {
    const { attacker } = run;
    await run.setup(p.units);
    await run.attack(
      `the feeds lag ${p.lagSeconds}s; the hedged trader shorts at the stale round`,
      async (s) => {
        await run.wait(s, p.lagSeconds);
        await s.act(run.open(attacker, -1, p.leverageBps));
      },
    );
    const low = (run.truth * BigInt(10_000 - p.dropBps)) / 10_000n;
    for (let i = 1; i <= p.catchUpRounds; i++) {
      await run.attack(`the feeds catch up ${i}/${p.catchUpRounds}`, async (s) => {
        const answer = run.truth - ((run.truth - low) * BigInt(i)) / BigInt(p.catchUpRounds);
        await run.wait(s, 60);
        await s.block(run.rounds(answer, answer));
      });
    }
    await run.attack("the short closes", (s) => s.act(run.close(attacker)).then(() => {}));
    await run.settleAt(low, "the market at the crash level");
  },
};

// ---------------------------------------------------------------------------------------------------------
// 10 Oct 2025 cascade.
// Source: CoinShares, "Billions in liquidations: what happened?",
// https://coinshares.com/it/insights/knowledge/billions-in-liquidations-what-happened — and
// https://followin.io/feed/22111099 (ETH -16% within 45 minutes, $19B liquidated, a whale short opened
// before the announcement). A genuine crash confirmed by every source: ETH -12 to -16%, altcoins far more.
// Scaled: both feeds -12% then -4%, 22 minutes apart, honest longs near their limit, the insider short; the
// crash both feeds confirm must be the market's price within a breaker cooldown (issue 9 property 3).
// ---------------------------------------------------------------------------------------------------------
type Cascade = CommonArgs & { units: number; leverageBps: number; drops: number[]; roundSeconds: number };

const oct2025: Incident<Cascade> = {
  name: "oct2025",
  title: "10 Oct 2025 cascade",
  source: {
    url: "https://coinshares.com/it/insights/knowledge/billions-in-liquidations-what-happened",
    title: "CoinShares: Billions in liquidations: what happened?",
  },
  attack: "a genuine crash confirmed by both feeds (-12%, then -4%), leveraged longs, an insider short",
  figures: "$19B liquidated in a day, ETH -16% in 45 min, a $1.1B short opened before the news",
  property: "2 (bounded take, even for a real move) and 3 (a confirmed crash accepted promptly)",
  attackerProfit: "maxTake",
  honestLpLoss: "maxTake",
  canonical: {
    ...honestDefaults([1, 1, 1], 80_000),
    units: 100_000,
    leverageBps: 50_000,
    drops: [1_200, 400],
    roundSeconds: 1_350,
  },
  arbitrary: fc
    .record({
      common: commonArb(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 3, maxLength: 3 })),
      units: fc.integer({ min: 20_000, max: 150_000 }),
      leverageBps: fc.integer({ min: 20_000, max: 80_000 }),
      drops: fc.array(fc.integer({ min: 300, max: 3_000 }), { minLength: 1, maxLength: 6 }),
      roundSeconds: fc.integer({ min: 12, max: 1_800 }),
    })
    .map(({ common, ...rest }): Cascade => ({ ...common, ...rest })),
  parse: (args) => ({
    ...parseCommon(args),
    units: int(args, "units", 0, 10_000_000),
    leverageBps: int(args, "leverageBps", 1, 100_000),
    drops: ints(args, "drops", 1, 9_000, [1, 8]),
    roundSeconds: int(args, "roundSeconds", 12, 3_600),
  }),
  async play(run, p) {
    const { attacker } = run;
    await run.setup(p.units);
    await run.attack("the insider shorts", (s) =>
      s.act(run.open(attacker, -1, p.leverageBps)).then(() => {}),
    );
    const cooldown = Number(run.w.bounds.breakerCooldown);
    const confirmWithin = Math.min(cooldown, p.roundSeconds);
    for (const [i, drop] of p.drops.entries()) {
      await run.attack(`crash round ${i + 1}/${p.drops.length}: -${drop / 100}% on both feeds`, async (s) => {
        if (i > 0) await run.wait(s, p.roundSeconds - confirmWithin);
        await s.block(run.both(-drop));
      });
      const level = run.m.port.feed("primary").latestAnswer;
      const read = await run.attack(`both feeds still there ${confirmWithin}s later`, async (s) => {
        await run.wait(s, confirmWithin);
        await s.block(run.rounds(level, level));
      });
      // Property 3's other side: a crash both feeds confirm is the market's price within a breaker cooldown.
      const price = (read.market.price * 10n ** 8n) / WAD;
      run.promise("incident-confirmed-crash-accepted", moveBps(price, level) <= 100n, {
        actors: [],
        expected: { incident: "oct2025", priceWithin1PctOf: level, withinSeconds: confirmWithin },
        actual: { price, mode: read.market.mode, stoppers: describeStoppers(run.stoppers) },
      });
    }
    await run.attack("the insider closes", (s) => s.act(run.close(attacker)).then(() => {}));
    await run.settleAt(run.m.port.feed("primary").latestAnswer, "the market at the crash level");
  },
};

// biome-ignore lint/suspicious/noExplicitAny: each incident has its own args type; the registry is by name.
export const incidents: Record<IncidentName, Incident<any>> = {
  mango,
  jelly,
  moola,
  harvest,
  bzx,
  compoundDai,
  skrw,
  blackThursday,
  oct2025,
};
