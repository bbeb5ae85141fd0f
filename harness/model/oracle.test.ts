import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { defaultOracleParams, FEED_DECIMALS, INITIAL_VARIANCE, MAX_ANSWER, MIN_ANSWER } from "./defaults.js";
import { createMockAggregator, pushRound, type SequencerState } from "./feeds.js";
import { addresses, fuzz } from "./fixtures.js";
import { EvmRevert } from "./math.js";
import {
  approximateAccept,
  checkVolatility,
  classify,
  createOracle,
  type OracleFeeds,
  type OracleState,
  peek,
  update,
  validateParams,
  validateParamsStep,
} from "./oracle.js";
import type { ModelEvent } from "./result.js";
import { OracleClass } from "./types.js";

const T0 = 1_700_000_000n;
const a8 = (price: number) => BigInt(Math.round(price * 1e8));

function setup(options: { sequencer?: SequencerState; secondary?: boolean } = {}) {
  const feed = () =>
    createMockAggregator({
      decimals: FEED_DECIMALS,
      initialAnswer: a8(2000),
      minAnswer: MIN_ANSWER,
      maxAnswer: MAX_ANSWER,
      timestamp: T0,
    });
  const feeds: OracleFeeds = {
    primary: feed(),
    secondary: options.secondary === false ? null : feed(),
    sequencer: options.sequencer ?? null,
  };
  const oracle = createOracle({
    owner: addresses.owner,
    feeds,
    minAnswer: MIN_ANSWER,
    maxAnswer: MAX_ANSWER,
    params: defaultOracleParams(),
    initialVariance: INITIAL_VARIANCE,
    timestamp: T0,
  });
  return { feeds, oracle };
}

function secondaryOf(feeds: OracleFeeds) {
  if (!feeds.secondary) throw new Error("no secondary feed");
  return feeds.secondary;
}

describe("construction", () => {
  test("seeds the last good price and the margins from the initial variance", () => {
    const { oracle } = setup();
    expect(oracle.lastGoodPrice).toBe(2000n * 10n ** 18n);
    expect(oracle.lastRoundId).toBe(1n);
    // σ = sqrt(20,294,266,869 * 3600 in WAD) ≈ 0.00855: both ratios sit at their floors.
    expect(oracle.initialMargin).toBe(10n ** 17n);
    expect(oracle.maintenanceMargin).toBe(5n * 10n ** 16n);
  });

  test("refuses an invalid first reading", () => {
    const feeds: OracleFeeds = {
      primary: createMockAggregator({
        decimals: 8,
        initialAnswer: MIN_ANSWER,
        minAnswer: MIN_ANSWER,
        maxAnswer: MAX_ANSWER,
        timestamp: T0,
      }),
      secondary: null,
      sequencer: null,
    };
    const create = () =>
      createOracle({
        owner: addresses.owner,
        feeds,
        minAnswer: MIN_ANSWER,
        maxAnswer: MAX_ANSWER,
        params: defaultOracleParams(),
        initialVariance: 0n,
        timestamp: T0,
      });
    expect(create).toThrow(EvmRevert);
    expect(() => create()).toThrow(/OracleGuardInitialReadingInvalid\(3\)/);
  });
});

describe("classification, in the contract's precedence", () => {
  test("each class", () => {
    const { feeds, oracle } = setup({ sequencer: { status: 0n, startedAt: T0 - 7200n, reverts: false } });
    const at = (now: bigint) => classify(oracle, feeds, now).class;
    expect(at(T0)).toBe(OracleClass.Valid);
    // Sequencer first: down beats everything, then the grace period.
    feeds.sequencer = { status: 1n, startedAt: T0 - 7200n, reverts: false };
    expect(at(T0)).toBe(OracleClass.SequencerDown);
    feeds.sequencer = { status: 0n, startedAt: T0 - 7200n, reverts: true };
    expect(at(T0)).toBe(OracleClass.SequencerDown);
    feeds.sequencer = { status: 0n, startedAt: T0 - 100n, reverts: false };
    expect(at(T0)).toBe(OracleClass.GracePeriod);
    feeds.sequencer = { status: 0n, startedAt: T0 + 1n, reverts: false };
    expect(at(T0)).toBe(OracleClass.GracePeriod);
    feeds.sequencer = { status: 0n, startedAt: T0 - 3600n, reverts: false };
    expect(at(T0)).toBe(OracleClass.Valid);
    feeds.sequencer = { status: 0n, startedAt: T0 - 7200n, reverts: false };
    // A reverting primary is Stale; a non-positive answer beats staleness.
    feeds.primary.reverts = true;
    expect(at(T0)).toBe(OracleClass.Stale);
    feeds.primary.reverts = false;
    feeds.primary.minAnswer = -5n;
    pushRound(feeds.primary, 0n, 0n);
    expect(classify(oracle, feeds, T0)).toEqual({
      class: OracleClass.NonPositive,
      price: 0n,
      roundId: 2n,
      updatedAt: 0n,
    });
    // Stale: too old, in the future, or zero.
    pushRound(feeds.primary, a8(2000), T0);
    expect(at(T0 + 3600n)).toBe(OracleClass.Valid);
    expect(at(T0 + 3601n)).toBe(OracleClass.Stale);
    expect(at(T0 - 1n)).toBe(OracleClass.Stale);
    // Round regression.
    oracle.lastRoundId = 10n;
    expect(at(T0)).toBe(OracleClass.Stale);
    oracle.lastRoundId = 1n;
    // At the guard's bounds (inclusive).
    pushRound(feeds.primary, MIN_ANSWER, T0);
    expect(at(T0)).toBe(OracleClass.AtBounds);
    // Diverged from a fresh secondary (> 2%), ignored when the secondary is stale.
    pushRound(feeds.primary, a8(2041), T0);
    expect(at(T0)).toBe(OracleClass.Diverged); // 2.05%
    pushRound(feeds.primary, a8(2040), T0);
    expect(at(T0)).toBe(OracleClass.Valid); // exactly 2%
    pushRound(secondaryOf(feeds), a8(1000), T0 - 3601n);
    pushRound(feeds.primary, a8(2041), T0);
    expect(at(T0)).toBe(OracleClass.Valid);
    // TooVolatile: > 10% from the last good price with no fresh secondary confirming it; time alone changes nothing.
    pushRound(feeds.primary, a8(2201), T0 + 3599n);
    expect(at(T0 + 3599n)).toBe(OracleClass.TooVolatile);
    expect(at(T0 + 3600n)).toBe(OracleClass.TooVolatile);
    // Confirmed by a fresh secondary within the divergence band: Valid at once.
    pushRound(secondaryOf(feeds), a8(2190), T0 + 3599n);
    expect(at(T0 + 3600n)).toBe(OracleClass.Valid);
  });

  test("a level beyond the band is accepted once it persisted for jumpResetAfter on new rounds", () => {
    const { feeds, oracle } = setup({ secondary: false });
    const events: ModelEvent[] = [];
    const t1 = T0 + 60n;
    pushRound(feeds.primary, a8(1400), t1);
    expect(update(oracle, feeds, t1, events).class).toBe(OracleClass.TooVolatile);
    expect(oracle.pending).toEqual({
      low: 1400n * 10n ** 18n,
      high: 1400n * 10n ** 18n,
      since: t1,
      round: 2n,
    });
    // The same round later: still refused, nothing recorded.
    expect(update(oracle, feeds, t1 + 1000n, events).class).toBe(OracleClass.TooVolatile);
    pushRound(feeds.primary, a8(1410), t1 + 1800n);
    expect(update(oracle, feeds, t1 + 1800n, events).class).toBe(OracleClass.TooVolatile);
    expect(oracle.pending).toMatchObject({ high: 1410n * 10n ** 18n, since: t1, round: 3n });
    // Unseen rounds count: one back at 2,000 breaks the level, and the clock restarts at the next round seen.
    pushRound(feeds.primary, a8(2000), t1 + 1900n);
    pushRound(feeds.primary, a8(1400), t1 + 3600n);
    expect(update(oracle, feeds, t1 + 3600n, events).class).toBe(OracleClass.TooVolatile);
    expect(oracle.pending).toMatchObject({ since: t1 + 3600n, round: 5n });
    pushRound(feeds.primary, a8(1405), t1 + 7199n);
    expect(update(oracle, feeds, t1 + 7199n, events).class).toBe(OracleClass.TooVolatile);
    pushRound(feeds.primary, a8(1400), t1 + 7200n);
    expect(update(oracle, feeds, t1 + 7200n, events).class).toBe(OracleClass.Valid);
    expect(oracle.lastGoodPrice).toBe(1400n * 10n ** 18n);
    expect(oracle.pending.round).toBe(0n);
  });

  test("a confirmed move beyond maxConfirmedJump needs persistence too (sKRW: x400 on both feeds)", () => {
    const { feeds, oracle } = setup();
    const events: ModelEvent[] = [];
    const both = (price: number, at: bigint) => {
      pushRound(secondaryOf(feeds), a8(price), at);
      pushRound(feeds.primary, a8(price), at);
      return update(oracle, feeds, at, events).class;
    };
    const t1 = T0 + 60n;
    expect(classify(oracle, feeds, T0).class).toBe(OracleClass.Valid);
    // The bound's edge: -50% confirmed is Valid (peek only); x400 is not, and starts a pending level.
    pushRound(secondaryOf(feeds), a8(1000), T0);
    pushRound(feeds.primary, a8(1000), T0);
    expect(classify(oracle, feeds, T0).class).toBe(OracleClass.Valid);
    expect(both(800_000, t1)).toBe(OracleClass.TooVolatile);
    expect(oracle.pending).toMatchObject({ since: t1 });
    expect(both(800_000, t1 + 3599n)).toBe(OracleClass.TooVolatile);
    expect(both(800_000, t1 + 3600n)).toBe(OracleClass.Valid);
    expect(oracle.lastGoodPrice).toBe(800_000n * 10n ** 18n);
  });

  test("maxConfirmedJump below the jump band (or zero) is refused", () => {
    const p = defaultOracleParams();
    expect(() => validateParams({ ...p, maxConfirmedJump: p.jumpBand })).not.toThrow();
    expect(() => validateParams({ ...p, maxConfirmedJump: p.jumpBand - 1n })).toThrow(/OracleGuardBadParams/);
    expect(() => validateParams({ ...p, maxConfirmedJump: 0n })).toThrow(/OracleGuardBadParams/);
  });
});

describe("update", () => {
  test("accepts a Valid reading once per round and records rejections", () => {
    const { feeds, oracle } = setup();
    const events: ModelEvent[] = [];
    pushRound(secondaryOf(feeds), a8(2100), T0 + 60n);
    pushRound(feeds.primary, a8(2100), T0 + 60n);
    const first = update(oracle, feeds, T0 + 60n, events);
    expect(first).toEqual({
      class: OracleClass.Valid,
      price: 2100n * 10n ** 18n,
      lastGoodPrice: 2100n * 10n ** 18n,
      roundId: 2n,
    });
    const variance = oracle.variance;
    update(oracle, feeds, T0 + 61n, events); // same round: nothing moves
    expect(oracle.variance).toBe(variance);
    expect(events.map((e) => e.name)).toEqual(["PriceAccepted"]);
    pushRound(feeds.primary, a8(2500), T0 + 62n);
    expect(update(oracle, feeds, T0 + 62n, events).class).toBe(OracleClass.Diverged); // the secondary says 2,100
    pushRound(secondaryOf(feeds), a8(2500), T0 + 62n - 3601n); // no longer fresh: nothing confirms the jump
    expect(update(oracle, feeds, T0 + 62n, events)).toEqual({
      class: OracleClass.TooVolatile,
      price: 2500n * 10n ** 18n,
      lastGoodPrice: 2100n * 10n ** 18n,
      roundId: 3n,
    });
    expect(events.at(-1)).toEqual({
      contract: "oracle",
      name: "ReadingRejected",
      args: { class: OracleClass.TooVolatile, roundId: 3n, price: 2500n * 10n ** 18n },
    });
    expect(events.at(-2)).toMatchObject({ name: "ReadingRejected", args: { class: OracleClass.Diverged } });
    expect(peek(oracle, feeds, T0 + 62n).lastGoodPrice).toBe(2100n * 10n ** 18n);
  });

  test("maintenance rises by at most mmMaxStep per reading, never above IM, never on a flat reading", () => {
    const { feeds, oracle } = setup({ secondary: false });
    // +9% / back every second: each move adds about r² |ln 0.94| = 0.046% to σ² over the horizon.
    let now = T0;
    let mm = oracle.maintenanceMargin;
    for (let i = 0; i < 12; i++) {
      now += 1n;
      pushRound(feeds.primary, a8(i % 2 === 0 ? 2180 : 2000), now);
      update(oracle, feeds, now, []);
      expect(oracle.maintenanceMargin <= mm + oracle.params.mmMaxStep).toBe(true);
      expect(oracle.maintenanceMargin <= oracle.initialMargin).toBe(true);
      mm = oracle.maintenanceMargin;
    }
    expect(oracle.initialMargin > 2n * 10n ** 17n).toBe(true); // IM moved at once, far above its 10% floor
    expect(oracle.maintenanceMargin > 5n * 10n ** 16n).toBe(true);
    // Flat hourly readings: the variance decays, so neither ratio rises.
    for (let i = 0; i < 5; i++) {
      const { initialMargin, maintenanceMargin } = oracle;
      now += 3600n;
      pushRound(feeds.primary, a8(2000), now);
      update(oracle, feeds, now, []);
      expect(oracle.initialMargin <= initialMargin).toBe(true);
      expect(oracle.maintenanceMargin <= maintenanceMargin).toBe(true);
    }
  });

  test.prop([fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 3600 })], fuzz)(
    "one move adds at most r² |ln λ| / horizon to the variance, however short its interval",
    (bps, dt) => {
      const { feeds, oracle } = setup({ secondary: false });
      const before = oracle.variance;
      pushRound(feeds.primary, a8(2000 * (1 + bps / 10_000)), T0 + BigInt(dt));
      expect(update(oracle, feeds, T0 + BigInt(dt), []).class).toBe(OracleClass.Valid);
      const r = Math.log(1 + bps / 10_000);
      const bound = (r * r * -Math.log(0.94)) / 3600;
      expect(Number(oracle.variance - before) / 1e18).toBeLessThanOrEqual(bound * (1 + 1e-9) + 1e-17);
    },
  );

  test.prop(
    [
      fc.array(
        fc.tuple(fc.double({ min: -0.099, max: 0.099, noNaN: true }), fc.integer({ min: 1, max: 3600 })),
        { minLength: 1, maxLength: 12 },
      ),
    ],
    fuzz,
  )("the exact update agrees with an independent floating-point computation", (moves) => {
    const { feeds, oracle } = setup({ secondary: false });
    let now = T0;
    let price = 2000;
    for (const [move, dt] of moves) {
      now += BigInt(dt);
      price *= 1 + move;
      const before: OracleState = structuredClone(oracle);
      pushRound(feeds.primary, a8(price), now);
      const reading = update(oracle, feeds, now, []);
      if (reading.class !== OracleClass.Valid) continue;
      const approx = approximateAccept(before, reading.price, now);
      const rel = (x: bigint, y: number) => Math.abs(Number(x) / 1e18 - y) / Math.max(Math.abs(y), 1e-12);
      expect(rel(oracle.variance, approx.variance)).toBeLessThan(1e-9);
      expect(rel(oracle.initialMargin, approx.initialMargin)).toBeLessThan(1e-9);
      expect(rel(oracle.maintenanceMargin, approx.maintenanceMargin)).toBeLessThan(1e-9);
    }
  });
});

describe("round order and time", () => {
  test("a newer round older in time than the last accepted one is Stale", () => {
    const { feeds, oracle } = setup({ secondary: false });
    pushRound(feeds.primary, a8(2010), T0 + 100n);
    update(oracle, feeds, T0 + 100n, []);
    expect(oracle.lastGoodAt).toBe(T0 + 100n);
    pushRound(feeds.primary, a8(2020), T0 + 99n); // round 3, stamped a second before round 2
    expect(classify(oracle, feeds, T0 + 120n).class).toBe(OracleClass.Stale);
    const events: ModelEvent[] = [];
    expect(update(oracle, feeds, T0 + 120n, events).lastGoodPrice).toBe(2010n * 10n ** 18n);
    expect(events.map((e) => e.name)).toEqual(["ReadingRejected"]);
    // The accepted round itself, read again, is Valid (and not accepted twice).
    feeds.primary.reportedRoundOverride = 2n;
    expect(classify(oracle, feeds, T0 + 120n).class).toBe(OracleClass.Valid);
  });

  test("a second round in the same second moves the price but takes no variance sample", () => {
    const { feeds, oracle } = setup({ secondary: false });
    pushRound(feeds.primary, a8(2100), T0 + 60n);
    update(oracle, feeds, T0 + 60n, []);
    const { variance, initialMargin, maintenanceMargin } = oracle;
    pushRound(feeds.primary, a8(2150), T0 + 60n);
    const events: ModelEvent[] = [];
    expect(update(oracle, feeds, T0 + 60n, events).lastGoodPrice).toBe(2150n * 10n ** 18n);
    expect(oracle).toMatchObject({
      variance,
      initialMargin,
      maintenanceMargin,
      lastRoundId: 3n,
      lastGoodAt: T0 + 60n,
    });
    expect(events).toEqual([
      {
        contract: "oracle",
        name: "PriceAccepted",
        args: { roundId: 3n, price: 2150n * 10n ** 18n, variance, initialMargin, maintenanceMargin },
      },
    ]);
  });

  test("a field at zero rises only within its first step (MarketParams)", () => {
    const zero = { ...defaultOracleParams(), kIM: 0n, kMM: 0n, mmMaxStep: 0n, sequencerGracePeriod: 0 };
    expect(() => validateParamsStep(zero, { ...zero, kIM: 10n ** 18n, kMM: 10n ** 18n })).not.toThrow();
    expect(() => validateParamsStep(zero, { ...zero, kIM: 18n * 10n ** 18n })).toThrow(
      /OracleGuardStepTooLarge/,
    );
    expect(() => validateParamsStep(zero, { ...zero, mmMaxStep: 10n ** 18n })).toThrow(
      /OracleGuardStepTooLarge/,
    );
    expect(() => validateParamsStep(zero, { ...zero, sequencerGracePeriod: 30 * 86_400 })).toThrow(
      /OracleGuardStepTooLarge/,
    );
  });

  test("parameter changes move each stepped field by at most a factor of two", () => {
    const p = defaultOracleParams();
    expect(() => validateParamsStep(p, { ...p, kIM: 2n * p.kIM })).not.toThrow();
    expect(() => validateParamsStep(p, { ...p, kIM: 2n * p.kIM + 1n })).toThrow(/OracleGuardStepTooLarge/);
    expect(() => validateParamsStep(p, { ...p, maxAge: p.maxAge / 2 - 1 })).toThrow(
      /OracleGuardStepTooLarge/,
    );
    for (const key of ["secondaryMaxAge", "sequencerGracePeriod", "jumpResetAfter", "ewmaLambda"] as const) {
      const doubled = typeof p[key] === "bigint" ? 2n * p[key] : 2 * Number(p[key]);
      expect(() => validateParamsStep(p, { ...p, [key]: doubled }), key).not.toThrow();
      // The two durations' defaults (1 h) lie within their first step, where any move is allowed.
      if (key === "jumpResetAfter" || key === "ewmaLambda") {
        const quartered = typeof p[key] === "bigint" ? p[key] / 4n : Math.floor(Number(p[key]) / 4);
        expect(() => validateParamsStep(p, { ...p, [key]: quartered }), key).toThrow(
          /OracleGuardStepTooLarge/,
        );
      }
    }
  });
});

describe("checkVolatility", () => {
  test("exact figures are accepted as exact", () => {
    const { oracle } = setup();
    const figures = {
      variance: oracle.variance,
      initialMargin: oracle.initialMargin,
      maintenanceMargin: oracle.maintenanceMargin,
    };
    expect(checkVolatility(oracle, figures)).toEqual({ ok: true, exact: true, adopted: figures });
  });

  test("figures within tolerance are adopted; beyond it nothing changes", () => {
    const { oracle } = setup();
    const chain = {
      variance: oracle.variance + 3n,
      initialMargin: oracle.initialMargin + 50_000_000n,
      maintenanceMargin: oracle.maintenanceMargin,
    };
    const r = checkVolatility(oracle, chain);
    expect(r).toMatchObject({ ok: true, exact: false });
    expect(oracle.variance).toBe(chain.variance);
    expect(oracle.initialMargin).toBe(chain.initialMargin);
    const far = { ...chain, initialMargin: chain.initialMargin + 10n ** 12n };
    const refused = checkVolatility(oracle, far);
    expect(refused).toMatchObject({ ok: false, mismatches: [{ field: "initialMargin" }] });
    expect(oracle.initialMargin).toBe(chain.initialMargin);
  });
});
