/**
 * The campaign promises on synthetic transaction streams (the shape the step pipeline records from receipts):
 * each holds on the behaviour it allows and fails by name on the behaviour it forbids.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Address } from "viem";
import { describe, expect, test } from "vitest";
import { testModel } from "../../model/fixtures.js";
import { InvariantViolation } from "../../scenario/contract.js";
import type { ChainSnapshot } from "../../system/system.js";
import { emptyFacts, type ObservedEvent, type ObservedTx } from "../facts.js";
import { checkTransitions } from "../transitions.js";
import { type Breach, type PromiseBounds, statedBounds } from "./context.js";
import { emptyHistory } from "./history.js";
import { campaignPromiseNames, judgeCampaignPromises } from "./index.js";
import { frontRunBound } from "./traderFlows.js";

const griefer = "0x00000000000000000000000000000000000000aa" as Address;
const keeper = "0x00000000000000000000000000000000000000bb" as Address;
const timelock = "0x00000000000000000000000000000000000000cc" as Address;

const bounds: PromiseBounds = {
  ...statedBounds,
  breakerValidReadings: 3,
  breakerCooldown: 900n,
  timelockDelay: 4n * 86_400n,
  maxOutflow: 25n * 10n ** 16n,
  outflowWindow: 86_400n,
  jumpBand: 10n ** 17n,
  maxConfirmedJump: 5n * 10n ** 17n,
  divergenceBand: 2n * 10n ** 16n,
  secondaryMaxAge: 3_600n,
  jumpResetAfter: 3_600n,
  maxAge: 3_600n,
  mmMaxStep: 10n ** 16n,
  liquidationHorizon: 3_600n,
  persistSeconds: 3_600n,
};

/** A Lens snapshot from the model (the chain's shape), with the market's mode and flags overridden. */
function snapshot(at: bigint, mode = 0, haltFlags = 0): ChainSnapshot {
  const s = structuredClone(testModel().snapshot({ accounts: [] })) as unknown as ChainSnapshot;
  const m = s.market as { mode: number; haltFlags: number; timestamp: bigint };
  m.mode = mode;
  m.haltFlags = haltFlags;
  m.timestamp = at;
  return s;
}

const ev = (eventName: string, args: Record<string, unknown>): ObservedEvent => ({ eventName, args });
function tx(parts: Partial<ObservedTx> & { at: bigint }): ObservedTx {
  return {
    from: keeper,
    to: keeper,
    label: parts.call ?? "refresh()",
    call: "refresh",
    input: {},
    status: "ok",
    block: parts.at / 12n,
    timestamp: parts.at,
    market: [],
    guard: [],
    pool: [],
    ...parts,
  };
}

const tripAt = (at: bigint) =>
  tx({
    at,
    from: griefer,
    call: "modify",
    status: "tripped",
    market: [
      ev("BreakerTripped", { class: 1, resumeMode: 0 }),
      ev("ModeChanged", { from: 0, to: 3, cause: 3 }),
    ],
  });
const round = (at: bigint, roundId: bigint) =>
  tx({
    at,
    guard: [ev("PriceAccepted", { roundId, price: 2_000n * 10n ** 18n, maintenanceMargin: 5n * 10n ** 16n })],
  });
/** An accepted round at `dollars`. */
const priced = (at: bigint, roundId: bigint, dollars: bigint) =>
  tx({ at, guard: [ev("PriceAccepted", { roundId, price: dollars * 10n ** 18n, maintenanceMargin: 0n })] });
const staleRead = (at: bigint, roundId: bigint) =>
  tx({ at, from: griefer, guard: [ev("ReadingRejected", { class: 1, roundId, price: 0n })] });

function judge(txs: ObservedTx[], history = emptyHistory(), snap = snapshot(0n)): Breach[] {
  return judgeCampaignPromises({
    txs,
    snapshot: snap,
    history,
    bounds,
    step: 0,
    addresses: { market: keeper, timelock, guardian: keeper },
    role: (a) => a,
  });
}

describe("campaign promises", () => {
  test("margin-rise-bounded: MM may rise mmMaxStep per liquidationHorizon (+ maxAge of feed lag), not per round", () => {
    const step = 10n ** 16n;
    const accepted = (at: bigint, roundId: bigint, mm: bigint) =>
      tx({
        at,
        guard: [ev("PriceAccepted", { roundId, price: 2_000n * 10n ** 18n, maintenanceMargin: mm })],
      });
    const mm0 = 5n * step;
    // One step per round, a round every 12 s (the old rule under grinding): broken from the second step.
    const perRound = [0n, 1n, 2n, 3n].map((i) => accepted(12n * i, i + 1n, mm0 + i * step));
    const broken = judge(perRound).filter((b) => b.promise === "margin-rise-bounded");
    expect(broken.map((b) => (b.actual as { roundId: bigint }).roundId)).toEqual([3n, 4n]);
    // The bound: 300 rounds over an hour, MM rising mmMaxStep · dt / horizon each (the current rule), holds.
    const bounded = Array.from({ length: 300 }, (_, i) =>
      accepted(12n * BigInt(i), BigInt(i) + 1n, mm0 + (step * 12n * BigInt(i)) / 3_600n),
    );
    expect(judge(bounded).filter((b) => b.promise === "margin-rise-bounded")).toEqual([]);
  });

  test("jump-confirmed: a confirmed jump beyond maxConfirmedJump needs persistence too (sKRW: x400 on both feeds)", () => {
    const publish = (at: bigint, feed: "primary" | "secondary", answer: bigint) =>
      tx({ at, call: "feedAnswer", input: { feed, answer } });
    const accepted = (at: bigint, roundId: bigint, price: bigint) =>
      tx({ at, guard: [ev("PriceAccepted", { roundId, price, maintenanceMargin: 5n * 10n ** 16n })] });
    const bothAt = (answer: bigint) => [
      accepted(0n, 1n, 2_000n * 10n ** 18n),
      publish(60n, "secondary", answer * 10n ** 8n),
      publish(60n, "primary", answer * 10n ** 8n),
      accepted(60n, 2n, answer * 10n ** 18n),
    ];
    const broken = (txs: ObservedTx[]) => judge(txs).filter((b) => b.promise === "jump-confirmed");
    expect(broken(bothAt(800_000n))).toHaveLength(1);
    expect(broken(bothAt(1_000n))).toEqual([]); // -50%, confirmed: within the bound
    // Divergence is |primary - secondary| / secondary, as the guard measures it (netting, seed 505): +10.01 % with the
    // secondary at 2,244.42402 is 1.97 % of the secondary (confirmed) though 2.01 % of the primary; 2,250 is 2.21 %.
    const confirmedBy = (secondary: bigint) =>
      broken([
        accepted(0n, 1n, 2_000n * 10n ** 18n),
        publish(60n, "secondary", secondary),
        publish(60n, "primary", 2_200_200n * 10n ** 5n),
        accepted(60n, 2n, 2_200_200n * 10n ** 15n),
      ]);
    expect(confirmedBy(2_244_424_02000n)).toEqual([]);
    expect(confirmedBy(2_250_000_00000n)).toHaveLength(1);
  });

  test("halt-liquidation-bounded: only a liquidation refused under a breaker-only halt past the bound breaks it", () => {
    const victim = "0x00000000000000000000000000000000000000dd" as Address;
    const withVictim = (at: bigint) => {
      const s = snapshot(at, 3, 1);
      const view = { account: victim, state: { size: 10n ** 18n }, liquidatable: true, equity: 1n };
      const account = { ...view, maintenanceRequired: 2n } as unknown as ChainSnapshot["accounts"][number];
      return { ...s, accounts: [...s.accounts, account] };
    };
    const liquidation = (at: bigint, status: ObservedTx["status"]) =>
      tx({ at, call: "liquidate", input: { account: victim }, status, error: "MarketNotAllowed" });
    const h = emptyHistory();
    const names = (txs: ObservedTx[], at: bigint) => judge(txs, h, withVictim(at)).map((b) => b.promise);
    judge([tripAt(100n)], h, withVictim(100n));
    const dayLater = 100n + 86_400n;
    // A day with no liquidator about: nobody was kept from anything.
    expect(names([], dayLater)).not.toContain("halt-liquidation-bounded");
    // Refused within the bound: kept.
    expect(names([liquidation(1_000n, "reverted")], dayLater)).not.toContain("halt-liquidation-bounded");
    // Refused a day into the halt: broken, naming the liquidator.
    const breach = judge([liquidation(dayLater, "reverted")], h, withVictim(dayLater)).find(
      (b) => b.promise === "halt-liquidation-bounded",
    );
    expect(breach?.actors).toContain(keeper);
  });

  test("front-run-bounded: an increase executes only at a round at most maxTradeAge old; a reduce at any Valid one", () => {
    const trader = "0x00000000000000000000000000000000000000ee" as Address;
    const published = tx({
      at: 1_000n,
      call: "feedAnswer",
      input: { feed: "primary", answer: 2_000n * 10n ** 8n },
    });
    const trade = (at: bigint, sizeDelta: bigint, newSize: bigint) =>
      tx({
        at,
        from: trader,
        call: "modify",
        market: [
          ev("PositionModified", {
            account: trader,
            sizeDelta,
            price: 2_000n * 10n ** 18n,
            realisedPnl: 0n,
            fee: 2_000_000n,
            newSize,
          }),
        ],
      });
    const aged = (txs: ObservedTx[]) =>
      judge(txs).filter((b) => (b.expected as { rule?: string }).rule === "increase at a fresh round");
    const unit = 10n ** 18n;
    expect(aged([published, trade(1_000n + bounds.maxTradeAge, unit, unit)])).toEqual([]);
    // Black Thursday: a short on a round 55 minutes old.
    const stale = aged([published, trade(1_000n + 3_300n, -unit, -unit)]);
    expect(stale.map((b) => (b.actual as { roundAge: bigint }).roundAge)).toEqual([3_300n]);
    // Adding to a position counts as an increase; reducing one does not.
    expect(aged([published, trade(1_000n + bounds.maxTradeAge + 1n, unit, 2n * unit)])).toHaveLength(1);
    expect(aged([published, trade(1_000n + 3_300n, -unit, unit)])).toEqual([]);
  });

  test("front-run-bounded: a round trip keeps at most the move beyond the stated threshold (the figures of ForeseeableRoundDoesNotPay)", () => {
    const notional = 20_000n * 10n ** 6n;
    const allowed = (moveBps: bigint) => frontRunBound(notional, moveBps, bounds.frontRunThresholdBps);
    // Atomic trades at the trading fee alone (before): +59.9 at a +0.5 % round, +959 at +5 % — both broken.
    expect(59_900_000n > allowed(50n)).toBe(true);
    expect(959_000_000n > allowed(500n)).toBe(true);
    // With the immediacy premium, every path: at most -19.9 at +0.5 %, at most +881 at +5 % — both kept.
    expect(-19_900_000n <= allowed(50n)).toBe(true);
    expect(881_000_000n <= allowed(500n)).toBe(true);
  });

  test("round-trip-bounded: capital in for a round it did not carry keeps only its holding-time share, unless it stayed a window", () => {
    const lp = "0x00000000000000000000000000000000000000ee" as Address;
    const usd = 10n ** 6n;
    const deposit = tx({
      at: 1_000n,
      block: 100n,
      from: lp,
      call: "lpDeposit",
      pool: [ev("Deposit", { sender: lp, owner: lp, assets: 100_000n * usd, shares: 100_000n * usd })],
    });
    const redeem = (at: bigint, block: bigint) =>
      tx({
        at,
        block,
        from: lp,
        call: "lpRedeem",
        pool: [
          ev("Withdraw", {
            sender: lp,
            receiver: lp,
            owner: lp,
            assets: 103_000n * usd,
            shares: 100_000n * usd,
          }),
        ],
      });
    const breaches = (...after: ObservedTx[]) =>
      judge([round(100n, 1n), deposit, { ...round(1_012n, 2n), block: 101n }, ...after]).filter(
        (b) => b.promise === "round-trip-bounded",
      );
    // In 12 s before a round that accrued over 912 s, out 12 s after it: 3,000 earned, about 2.6 % of it allowed.
    expect(breaches(redeem(1_024n, 102n))).toHaveLength(1);
    // The same few blocks a whole window later (a warp), a flat round just before the exit: the capital carried the
    // book for the day, though it missed the 912 s before the first round (a 1 % share of the interval).
    const dayLater = 1_000n + bounds.outflowWindow;
    expect(breaches({ ...round(dayLater - 12n, 3n), block: 102n }, redeem(dayLater, 103n))).toEqual([]);
  });

  test("round-trip-bounded: the round's share is what it paid at the mark, not what the exit was paid", () => {
    const lp = "0x00000000000000000000000000000000000000ee" as Address;
    const usd = 10n ** 6n;
    const flow = (at: bigint, block: bigint, name: "Deposit" | "Withdraw", assets: bigint) =>
      tx({
        at,
        block,
        from: lp,
        call: name === "Deposit" ? "lpDeposit" : "lpRedeem",
        pool: [
          ev(name, { sender: lp, receiver: lp, owner: lp, assets: assets * usd, shares: 100_000n * usd }),
        ],
      });
    // An old LP holds 200,000 shares besides these. Before the exit the pool was worth 306,000 at the mark for
    // 300,000 shares, so this capital's 100,000 shares were worth 102,000: the round paid it 2,000. The chain's
    // figures after the exit are what is left.
    const judgeAfter = (paidOut: bigint) => {
      const snap = snapshot(0n);
      snap.market.poolEquity = (306_000n - paidOut) * usd;
      snap.market.poolShareSupply = 200_000n * usd;
      return judge(
        [
          round(100n, 1n),
          flow(1_000n, 100n, "Deposit", 100_000n),
          { ...round(1_012n, 2n), block: 101n },
          flow(1_024n, 102n, "Withdraw", paidOut),
        ],
        emptyHistory(),
        snap,
      ).filter((b) => b.promise === "round-trip-bounded");
    };
    // Held 24 s of a 912 s round: 2,000 × 24 / 912 ≈ 52.6 allowed (+ 1 unit and 1 bp).
    expect(judgeAfter(100_050n)).toEqual([]);
    // Paid 500 at the exit, far beyond its share of what the round paid at the mark.
    const broken = judgeAfter(100_500n);
    expect(broken).toHaveLength(1);
    const actual = broken[0]?.actual as { roundPaidAtMark: bigint } | undefined;
    expect(actual?.roundPaidAtMark).toBeGreaterThan(1_990n * usd);
  });

  test("front-run-bounded: the move is the round's; a real crash the stable price let through in part is not front-running", () => {
    const trader = "0x00000000000000000000000000000000000000ee" as Address;
    const usd = 10n ** 6n;
    const trade = (at: bigint, sizeDelta: bigint, dollars: bigint, realisedPnl: bigint, fee: bigint) =>
      tx({
        at,
        from: trader,
        call: "modify",
        market: [
          ev("PositionModified", {
            account: trader,
            sizeDelta,
            price: dollars * 10n ** 18n,
            realisedPnl,
            fee,
            newSize: sizeDelta < 0n ? sizeDelta : 0n,
          }),
        ],
      });
    const unit = 10n ** 18n;
    // mixed, seed 505: short 1 at 2,000 by order, a -4 % round, the close order 24 s later buys at the stable
    // price 1,992: 8 earned, 3.992 of fees.
    const run = (crash: bigint) =>
      judge([
        priced(384n, 1n, 2_000n),
        trade(384n, -unit, 2_000n, 0n, 2n * usd),
        priced(396n, 2n, crash),
        priced(420n, 3n, crash),
        trade(420n, unit, 1_992n, 8n * usd, 1_992_000n),
      ]).filter((b) => b.promise === "front-run-bounded");
    expect(run(1_920n)).toEqual([]);
    // The same executions with rounds that moved 0.4 % only: 4 of net profit on a move under the threshold.
    expect(run(1_992n).map((b) => (b.expected as { moveBps: bigint }).moveBps)).toEqual([40n]);
    // oracle, seed 808: the close at 1,920 itself, 76.08 net of fees on a 4 % move (69.8 allowed): broken 24 s after
    // the crash; not after 50 minutes across a stale feed in as few blocks (a position held through the market).
    const heldFor = (seconds: bigint) =>
      judge([
        priced(384n, 1n, 2_000n),
        trade(384n, -unit, 2_000n, 0n, 2n * usd),
        priced(396n, 2n, 1_920n),
        { ...trade(396n + seconds, unit, 1_920n, 80n * usd, 1_920_000n), block: 36n },
      ]).filter((b) => b.promise === "front-run-bounded");
    expect(heldFor(24n)).toHaveLength(1);
    expect(heldFor(3_024n)).toEqual([]);
  });

  test("profit-can-close: a winner's reduce is judged until its position first changes in the step", () => {
    const winner = "0x00000000000000000000000000000000000000ee" as Address;
    const unit = 10n ** 18n;
    // Short 400 with 1,920 of unrealised profit at the step's start.
    const start = structuredClone(testModel().snapshot({ accounts: [winner] })) as unknown as ChainSnapshot;
    const account = start.accounts[0] as { equity: bigint; state: { size: bigint; margin: bigint } };
    account.equity = 101_920n * 10n ** 6n;
    account.state.size = -400n * unit;
    account.state.margin = 100_000n * 10n ** 6n;
    const buy = (at: bigint, ok: boolean) =>
      tx({
        at,
        from: winner,
        call: "modify",
        input: { sizeDelta: 400n * unit },
        ...(ok
          ? {
              market: [
                ev("PositionModified", {
                  account: winner,
                  sizeDelta: 400n * unit,
                  price: 2_000n * unit,
                  realisedPnl: 1_920n * 10n ** 6n,
                  fee: 0n,
                  newSize: 0n,
                }),
              ],
            }
          : { status: "reverted" as const, error: "MarketTradePriceTooOld" }),
      });
    const broken = (txs: ObservedTx[]) => {
      const history = emptyHistory();
      history.last = start;
      return judge(txs, history, start).filter((b) => b.promise === "profit-can-close");
    };
    // The reduce refused for a reason that is not the mode's, the reading's or its own limit: broken.
    expect(broken([buy(12n, false)])).toHaveLength(1);
    // netting, seed 505: it closed, then the same buy opened a long at a round too old for an increase.
    expect(broken([buy(12n, true), buy(24n, false)])).toEqual([]);
  });

  test("no-estimator-liquidation: a move inside a step (10 % and back) is a further move (feeds, seed 707)", () => {
    const trader = "0x00000000000000000000000000000000000000ee" as Address;
    const unit = 10n ** 18n;
    const at = (t: bigint) => {
      const s = structuredClone(testModel().snapshot({ accounts: [trader] })) as unknown as ChainSnapshot;
      (s.market as { timestamp: bigint; price: bigint }).timestamp = t;
      (s.market as { price: bigint }).price = 1_806n * unit;
      const a = s.accounts[0] as { equity: bigint; maintenanceRequired: bigint; state: { size: bigint } };
      a.state.size = 64n * unit;
      a.equity = 6_300n * 10n ** 6n;
      a.maintenanceRequired = 5_850n * 10n ** 6n;
      return s;
    };
    const liquidation = tx({
      at: 400n,
      call: "liquidate",
      input: { account: trader },
      market: [
        ev("Liquidated", {
          account: trader,
          liquidator: keeper,
          size: 64n * unit,
          price: 1_806n * unit,
          keeperReward: 0n,
          penaltyToInsurance: 0n,
        }),
      ],
    });
    const broken = (path: ObservedTx[]) => {
      const h = emptyHistory();
      judge([], h, at(100n)); // healthy at 1,806: the move it survived
      return judge([...path, liquidation], h, at(400n)).filter(
        (b) => b.promise === "no-estimator-liquidation",
      );
    };
    // Flat rounds only: the estimator alone liquidated it.
    expect(broken([priced(200n, 2n, 1_806n), priced(300n, 3n, 1_806n)])).toHaveLength(1);
    // -9.6 % and back within the step: realised volatility the margins may follow.
    expect(broken([priced(200n, 2n, 1_633n), priced(300n, 3n, 1_806n)])).toEqual([]);
  });

  test("withdrawn-profit-backed: a withdrawal while open must leave the margin alone above the initial margin", () => {
    const trader = "0x00000000000000000000000000000000000000ee" as Address;
    const withdrawal = (margin: bigint) =>
      tx({
        at: 100n,
        from: trader,
        call: "withdraw",
        market: [ev("Withdrawn", { account: trader, amount: 5n })],
        after: { margin, size: 10n ** 18n, equity: 50n, initialRequired: 12n },
      });
    const names = (margin: bigint) => judge([withdrawal(margin)]).map((b) => b.promise);
    expect(names(12n)).not.toContain("withdrawn-profit-backed");
    // Equity 50 covers the 12 only with its unrealised profit: the margin left (11) does not.
    expect(names(11n)).toContain("withdrawn-profit-backed");
  });

  test("single-actor-take-bounded: 10 % of the pool's value ceiling per profit window of the market", () => {
    const trader = "0x00000000000000000000000000000000000000ee" as Address;
    const other = "0x00000000000000000000000000000000000000ef" as Address;
    const h = emptyHistory();
    h.poolValueCeiling = 1_000_000n;
    const deposit = tx({
      at: 10n,
      from: trader,
      market: [ev("Deposited", { account: trader, amount: 100n })],
    });
    const close = (at: bigint, who = trader) =>
      tx({ at, from: who, market: [ev("PositionModified", { account: who, realisedPnl: 50_000n })] });
    const withdraw = (at: bigint, amount: bigint, who = trader) =>
      tx({ at, from: who, market: [ev("Withdrawn", { account: who, amount })] });
    const takes = (txs: ObservedTx[]) =>
      judge(txs, h).filter((b) => b.promise === "single-actor-take-bounded");
    // The deposit raises the ceiling to 1,000,100: one window allows 100,010 net.
    expect(takes([deposit, close(20n), withdraw(30n, 100n + 100_010n)])).toEqual([]);
    expect(takes([withdraw(40n, 1n)])).toHaveLength(1);
    // A profit paid to any account a day later opens the market's second window: twice the room for everyone.
    expect(takes([close(20n + 86_400n, other)])).toEqual([]);
  });

  test("single-actor-take-bounded: an actor's accounts together (Sybil) share one bound", () => {
    const h = emptyHistory();
    h.poolValueCeiling = 1_000_000n;
    const sybils = [0xe1, 0xe2, 0xe3].map((n) => `0x${n.toString(16).padStart(40, "0")}` as Address);
    // Each account takes 60,000 in the same window: each alone is under 100,000; together they are not.
    const takeEach = sybils.map((who) =>
      tx({
        at: 20n,
        from: who,
        market: [
          ev("PositionModified", { account: who, realisedPnl: 60_000n }),
          ev("Withdrawn", { account: who, amount: 60_000n }),
        ],
      }),
    );
    const breaches = judge(takeEach, h).filter((b) => b.promise === "single-actor-take-bounded");
    expect(breaches).toHaveLength(1);
    expect(breaches[0]?.actors).toEqual(sybils.map((a) => a.toLowerCase()));
    expect(breaches[0]?.expected).toMatchObject({ actor: "every trading account", takesAtMost: 100_000n });
    // An LP's gains are not a trader's take: the same flows from pool depositors are judged each alone.
    const lps = emptyHistory();
    lps.poolValueCeiling = 1_000_000n;
    for (const a of sybils) lps.lps.add(a.toLowerCase() as Address);
    expect(judge(takeEach, lps).filter((b) => b.promise === "single-actor-take-bounded")).toEqual([]);
  });

  test("single-actor-take-bounded: an LP's gain is judged per profit window of time, not of the winners' room", () => {
    const lp = "0x00000000000000000000000000000000000000ed" as Address;
    const day = bounds.profitWindow;
    const redeem = (at: bigint, assets: bigint) =>
      tx({ at, from: lp, pool: [ev("Withdraw", { owner: lp, assets, shares: 1n })] });
    const deposit = tx({ at: 10n, from: lp, pool: [ev("Deposit", { owner: lp, assets: 1n, shares: 1n })] });
    const takes = (holder: boolean, at: bigint) => {
      const h = emptyHistory();
      h.poolValueCeiling = 1_000_000n;
      if (!holder) h.lps.clear();
      const txs = holder ? [deposit, redeem(at, 150_001n)] : [redeem(10n, 0n), redeem(at, 150_000n)];
      return judge(txs, h, snapshot(at)).filter((b) => b.promise === "single-actor-take-bounded");
    };
    // Two days after its deposit, with no winner paid: 150,000 of the traders' losses is within two windows.
    expect(takes(true, 10n + 2n * day)).toEqual([]);
    // The same on its first day is beyond one window.
    expect(takes(true, 20n)).toHaveLength(1);
    // A trading account gets no windows from time alone: the room's windows are the winners' payments.
    expect(takes(false, 10n + 2n * day)).toHaveLength(1);
  });

  test("a trip by a caller with nothing at stake on a stale-by-time reading breaks two promises", () => {
    const names = judge([tripAt(100n)], emptyHistory(), snapshot(100n, 3, 1)).map((b) => b.promise);
    expect(names).toEqual(["no-exposure-no-mode-change", "stale-by-time-no-trip"]);
  });

  test("no-exposure-no-mode-change: margin deposited earlier in the step is at stake (netting, seed 707)", () => {
    const deposit = tx({
      at: 90n,
      from: griefer,
      call: "deposit",
      market: [ev("Deposited", { account: griefer, amount: 60_955n * 10n ** 6n })],
    });
    const names = (txs: ObservedTx[]) =>
      judge(txs, emptyHistory(), snapshot(100n, 3, 1)).map((b) => b.promise);
    expect(names([tripAt(100n)])).toContain("no-exposure-no-mode-change");
    expect(names([deposit, tripAt(100n)])).not.toContain("no-exposure-no-mode-change");
  });

  test("a stale trip after a new primary round the guard has not accepted is the breaker doing its job", () => {
    const h = emptyHistory();
    const published = tx({
      at: 90n,
      call: "feedAnswer",
      input: { feed: "primary", answer: 2_000n * 10n ** 8n },
    });
    const trip = { ...tripAt(100n), from: keeper };
    // keeper has nothing at stake either: only the no-exposure promise applies, not stale-by-time.
    expect(judge([published, trip], h, snapshot(100n, 3, 1)).map((b) => b.promise)).toEqual([
      "no-exposure-no-mode-change",
    ]);
  });

  test("breaker-halt-ends: enough valid new rounds and the cooldown, yet a refresh leaves it halted", () => {
    const h = emptyHistory();
    h.lastAcceptedRound = 5n;
    judge([tripAt(100n)], h, snapshot(100n, 3, 1));
    // A stale re-read of round 5 (no new round) does not restart the count; three new rounds are accepted.
    const txs = [
      staleRead(200n, 5n),
      round(300n, 6n),
      round(400n, 7n),
      staleRead(500n, 7n),
      round(1_100n, 8n),
    ];
    const breaches = judge(txs, h, snapshot(1_100n, 3, 1));
    expect(breaches.map((b) => b.promise)).toEqual(["breaker-halt-ends"]);
    // Reopened by the reset: kept.
    const h2 = emptyHistory();
    h2.lastAcceptedRound = 5n;
    judge([tripAt(100n)], h2, snapshot(100n, 3, 1));
    const reset = round(1_100n, 8n);
    reset.market.push(ev("ModeChanged", { from: 3, to: 0, cause: 4 }));
    expect(judge([round(300n, 6n), round(400n, 7n), reset], h2, snapshot(1_100n, 0, 0))).toEqual([]);
  });

  test("breaker-halt-ends: a rejected new round restarts the count (a bad round may keep it halted)", () => {
    const h = emptyHistory();
    h.lastAcceptedRound = 5n;
    judge([tripAt(100n)], h, snapshot(100n, 3, 1));
    const badNewRound = tx({
      at: 450n,
      guard: [ev("ReadingRejected", { class: 5, roundId: 8n, price: 0n })],
    });
    const txs = [round(300n, 6n), round(400n, 7n), badNewRound, round(1_100n, 9n)];
    expect(judge(txs, h, snapshot(1_100n, 3, 1))).toEqual([]);
  });

  test("breaker-halt-ends: the round that restarted the count does not count when accepted later (adversarial, seed 707)", () => {
    const halted = (after: ObservedTx[]) => {
      const h = emptyHistory();
      h.lastAcceptedRound = 3n;
      judge([tripAt(100n)], h, snapshot(100n, 3, 1));
      // Rounds 4 and 5 accepted; round 6 Diverged from a fresh secondary, then accepted once it went stale.
      const diverged = tx({ at: 450n, guard: [ev("ReadingRejected", { class: 4, roundId: 6n, price: 0n })] });
      const txs = [
        round(300n, 4n),
        round(400n, 5n),
        diverged,
        round(4_000n, 6n),
        round(4_100n, 7n),
        ...after,
      ];
      return judge(txs, h, snapshot(4_200n, 3, 1)).filter((b) => b.promise === "breaker-halt-ends");
    };
    expect(halted([round(4_200n, 8n)])).toEqual([]); // 7 and 8: two rounds after the bad one
    expect(halted([round(4_200n, 8n), round(4_300n, 9n)])).toHaveLength(1); // 7, 8 and 9: due
  });

  test("breaker-halt-ends: a refresh that reads a stale feed is not due (a halt resumes at a trusted price)", () => {
    const h = emptyHistory();
    h.lastAcceptedRound = 5n;
    judge([tripAt(100n)], h, snapshot(100n, 3, 1));
    // Three valid new rounds and the cooldown, then nobody publishes: the refresh reads round 8 as Stale.
    const txs = [round(300n, 6n), round(400n, 7n), round(500n, 8n), staleRead(4_200n, 8n)];
    expect(judge(txs, h, snapshot(4_200n, 3, 1))).toEqual([]);
    // The next refresh that accepts a round and still leaves the market halted breaks the promise.
    const breaches = judge([round(4_300n, 9n)], h, snapshot(4_300n, 3, 1));
    expect(breaches.map((b) => b.promise)).toEqual(["breaker-halt-ends"]);
  });

  test("governance-acts-before-exit: a permissionless settle before halt + timelock delay", () => {
    const h = emptyHistory();
    const halt = tx({
      at: 1_000n,
      call: "escalate",
      input: { to: 3 },
      market: [ev("ModeChanged", { from: 0, to: 3, cause: 1 })],
    });
    judge([halt], h, snapshot(1_000n, 3, 8));
    const settle = (at: bigint) =>
      tx({ at, from: griefer, call: "settle", market: [ev("ModeChanged", { from: 3, to: 4, cause: 9 })] });
    const early = { ...h, halt: h.halt ? { ...h.halt } : undefined };
    expect(judge([settle(1_000n + 3n * 86_400n)], early, snapshot(0n, 4)).map((b) => b.promise)).toEqual([
      "governance-acts-before-exit",
    ]);
    expect(judge([settle(1_000n + 4n * 86_400n)], h, snapshot(0n, 4))).toEqual([]);
  });
});

describe("mode-only-tightens judges each loosening by its cause", () => {
  const previous = { mode: 3, haltFlags: 1, price: 0n };
  const violated = (txs: ObservedTx[], mode: number) => {
    try {
      checkTransitions({
        previous,
        snapshot: snapshot(0n, mode, 0),
        facts: { ...emptyFacts(), txs },
        step: 0,
        timelock,
      });
      return null;
    } catch (error) {
      if (error instanceof InvariantViolation) return error.info.invariant;
      throw error;
    }
  };
  const reset = tx({ at: 10n, market: [ev("ModeChanged", { from: 3, to: 0, cause: 4 })] });

  test("the breaker's reset of a breaker-only halt is a legitimate loosening", () => {
    expect(violated([reset], 0)).toBeNull();
  });

  test("a guardian pin earlier in the step makes the same reset a violation (the pre-step flags said breaker-only)", () => {
    const pin = tx({ at: 5n, call: "escalate", input: { to: 3 } });
    expect(violated([pin, reset], 0)).toBe("mode-only-tightens");
  });

  test("a Governance loosening counts only through the timelock, or sent by it", () => {
    const setMode = (to: Address, from: Address = keeper) =>
      tx({ at: 10n, from, to, call: "setMode", market: [ev("ModeChanged", { from: 3, to: 0, cause: 0 })] });
    expect(violated([setMode(timelock)], 0)).toBeNull();
    expect(violated([setMode(keeper, timelock)], 0)).toBeNull();
    expect(violated([setMode(griefer)], 0)).toBe("mode-only-tightens");
    expect(violated([setMode(keeper, griefer)], 0)).toBe("mode-only-tightens");
  });

  test("a looser end mode with no loosening event is a violation", () => {
    expect(violated([], 0)).toBe("mode-only-tightens");
  });
});

describe("which promises had a case to judge (behaviour coverage)", () => {
  test("the list of campaign promise names is exactly the names the judges report", () => {
    const dir = path.dirname(fileURLToPath(import.meta.url));
    const inSources = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      for (const m of readFileSync(path.join(dir, file), "utf8").matchAll(/promise: "([a-z-]+)"/g)) {
        inSources.add(m[1] as string);
      }
    }
    expect([...inSources].sort()).toEqual([...campaignPromiseNames].sort());
  });

  test("a trip by a caller, and a settle, are cases for their promises even when the promise holds", () => {
    const seen: string[] = [];
    const breaches = judgeCampaignPromises({
      txs: [
        tripAt(1_000n),
        tx({ at: 2_000n, call: "settle", market: [ev("ModeChanged", { from: 3, to: 4, cause: 9 })] }),
      ],
      snapshot: snapshot(2_000n),
      history: emptyHistory(),
      bounds,
      step: 0,
      addresses: { market: keeper, timelock, guardian: keeper },
      role: (a) => a,
      exercise: (p) => seen.push(p),
    });
    expect(seen).toContain("no-exposure-no-mode-change");
    expect(seen).toContain("governance-acts-before-exit");
    expect(seen).not.toContain("profit-can-close");
    // The griefer had nothing at stake: the no-exposure promise is judged (and breaks) on the same case.
    expect(breaches.map((b) => b.promise)).toContain("no-exposure-no-mode-change");
  });
});
