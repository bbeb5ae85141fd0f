/**
 * Test fixtures for the model's own tests: a deployed model with fixed addresses and times, and assertions on
 * ActionResults. Not used by the harness proper.
 */
import type { Address } from "viem";
import { defaultOracleParams, defaultRiskParams, FEED_DECIMALS, MAX_ANSWER, MIN_ANSWER } from "./defaults.js";
import { type DeployModelParameters, MarketModel } from "./market.js";
import { UINT256_MAX } from "./math.js";
import type { ActionResult, ActionSuccess, ActionTripped, RevertName } from "./result.js";
import type { OracleParams, RiskParams } from "./types.js";

export const T0 = 1_700_000_000n;

/** fast-check settings for the model's property tests: a fixed seed unless FUZZ_SEED says otherwise. */
export const fuzz = {
  seed: Number(process.env.FUZZ_SEED ?? 0xb01d),
  numRuns: Number(process.env.FUZZ_RUNS ?? 100),
};
export const USD = 10n ** 6n;
export const UNIT = 10n ** 18n;
/** A feed answer (8 decimals) from a whole price. */
export const answer = (price: number | bigint): bigint => BigInt(price) * 10n ** 8n;

const address = (n: number): Address => `0x${n.toString(16).padStart(40, "0")}`;
export const addresses = {
  market: address(0xa1),
  pool: address(0xa2),
  collateral: address(0xa3),
  oracle: address(0xa4),
  owner: address(0xa5),
};
export const alice = address(0xb1);
export const bob = address(0xb2);
export const carol = address(0xb3);
export const dave = address(0xb4);
export const eve = address(0xb5);
export const lp = address(0xc1);
export const keeper = address(0xc2);

/**
 * Oracle parameters under which the margin ratios sit at their floors (IM 10%, MM 5%) whatever the price
 * does, so hand-computed figures do not depend on the volatility estimate.
 */
export function calmOracleParams(): OracleParams {
  return { ...defaultOracleParams(), kIM: 10n ** 15n, kMM: 10n ** 15n };
}

export type TestModelParameters = {
  risk?: Partial<RiskParams> | undefined;
  oracleParams?: OracleParams | undefined;
  price?: number | undefined;
  secondary?: boolean | undefined;
};

export function testModel(parameters: TestModelParameters = {}): MarketModel {
  const feed = { decimals: FEED_DECIMALS, minAnswer: MIN_ANSWER, maxAnswer: MAX_ANSWER, timestamp: T0 };
  const initialAnswer = answer(parameters.price ?? 2000);
  const deploy: DeployModelParameters = {
    addresses,
    risk: { ...defaultRiskParams(), ...parameters.risk },
    oracleParams: parameters.oracleParams ?? calmOracleParams(),
    feeds: {
      primary: { ...feed, initialAnswer },
      secondary: parameters.secondary === false ? null : { ...feed, initialAnswer },
    },
    timestamps: { oracle: T0, market: T0 },
  };
  return MarketModel.deploy(deploy);
}

/** Mints `amount` collateral to `account` and approves the market and the pool for everything. */
export function fund(model: MarketModel, account: Address, amount: bigint): void {
  ok(model.mint({ to: account, amount }));
  ok(model.approve({ owner: account, spender: addresses.market, amount: UINT256_MAX }));
  ok(model.approve({ owner: account, spender: addresses.pool, amount: UINT256_MAX }));
}

/** Publishes `price` (whole units) on both feeds at the model's current time. */
export function setPrice(model: MarketModel, price: number | bigint): void {
  model.setAnswer({ feed: "secondary", answer: answer(price) });
  model.setAnswer({ feed: "primary", answer: answer(price) });
}

/**
 * Publishes `price` on the primary alone, after making the secondary's last round older than `secondaryMaxAge`:
 * a move beyond the jump band is then unconfirmed (TooVolatile), neither confirmed nor Diverged.
 */
export function setPrimaryUnconfirmed(model: MarketModel, price: number | bigint): void {
  const s = model.state;
  const secondary = s.feeds.secondary;
  const last = secondary?.rounds.get(secondary.latestRound)?.answer ?? answer(price);
  const staleAt = s.now - BigInt(s.oracle.params.secondaryMaxAge) - 1n;
  model.setAnswer({ feed: "secondary", answer: last, updatedAt: staleAt });
  model.setAnswer({ feed: "primary", answer: answer(price) });
}

/** Asserts success (not tripped) and returns the effects. */
export function ok<effects>(result: ActionResult<effects>): effects {
  if (!result.ok)
    throw new Error(`expected success, got revert ${result.error}(${result.args.map(String).join(", ")})`);
  if (result.tripped) throw new Error(`expected success, got a trip: ${JSON.stringify(result.trip, big)}`);
  return result.effects;
}

/** Asserts success of the transaction with the market's action rolled back (a trip). */
export function tripped<effects>(result: ActionResult<effects>): ActionTripped["trip"] {
  if (!result.ok)
    throw new Error(`expected a trip, got revert ${result.error}(${result.args.map(String).join(", ")})`);
  if (!result.tripped) throw new Error("expected a trip, got success");
  return result.trip;
}

/** Asserts a revert with `error` (and `args`, when given). */
export function reverted<effects>(
  result: ActionResult<effects>,
  error: RevertName,
  args?: readonly unknown[],
): readonly unknown[] {
  if (result.ok) {
    const what = result.tripped
      ? "a trip"
      : `success ${JSON.stringify((result as ActionSuccess<effects>).effects, big)}`;
    throw new Error(`expected revert ${error}, got ${what}`);
  }
  if (result.error !== error) {
    throw new Error(`expected revert ${error}, got ${result.error}(${result.args.map(String).join(", ")})`);
  }
  if (args !== undefined && JSON.stringify(result.args, big) !== JSON.stringify(args, big)) {
    throw new Error(
      `${error}: expected args ${JSON.stringify(args, big)}, got ${JSON.stringify(result.args, big)}`,
    );
  }
  return result.args;
}

function big(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${value}n` : value;
}

/** The largest reduce (a negative delta) the model accepts now: it leaves the margin just above zero. */
export function nearZeroMarginReduce(m: MarketModel, account: Address): bigint {
  let lo = 1n;
  let hi = m.accountOf(account).size - 1n;
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    if (m.clone().modifyPosition({ account, sizeDelta: -mid }).ok) lo = mid;
    else hi = mid - 1n;
  }
  return -lo;
}
