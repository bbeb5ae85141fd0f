/**
 * Pure checks on a state snapshot (the Lens's shape, so the same checks run on the chain's state and on the
 * model's), a transition check between two snapshots, and `diffState`, the field-by-field comparison of the
 * model's snapshot with the chain's. Every value in a reported result is a string, so results are
 * JSON-serialisable as they are.
 */
import type { Address } from "viem";
import { type AccountView, enumName, Mode, normalizeAddress, type Snapshot } from "./types.js";

export type InvariantName =
  | "TokenConservation"
  | "OpenInterest"
  | "PoolCash"
  | "NoNegativeMargin"
  | "MarginRatios"
  | "TotalMargin"
  | "OpenInterestSum"
  | "NetSizeSum"
  | "NetOpenNotionalSum"
  | "SizeTimesIndexSum"
  | "ShareSupplySum"
  | "NoExposureNoLoss"
  | "ModeOnlyTightens"
  | "TimeMonotone";

export type Violation = {
  invariant: InvariantName;
  path: string;
  expected: string;
  actual: string;
  message: string;
};

/** What the harness knows about each account outside the chain: its own deposits, withdrawals, and trading. */
export type AccountGhost = {
  /** Collateral deposited as margin, in total. */
  deposited: bigint;
  /** Collateral withdrawn from margin, in total. */
  withdrawn: bigint;
  /** Whether the account ever held a position (or could have been touched by one: a flip, a liquidation). */
  traded: boolean;
};

export type CheckStateParameters = {
  snapshot: Snapshot;
  /**
   * True when `snapshot.accounts` lists every account that ever held margin, a position or LP shares: the
   * sum-of-parts checks then run as well.
   */
  complete?: boolean | undefined;
  ghosts?: ReadonlyMap<Address, AccountGhost> | undefined;
};

export type CheckStateReturnType = Violation[];

const WAD = 10n ** 18n;

/** The protocol's invariants on one snapshot. An empty list means all hold. */
export function checkState(parameters: CheckStateParameters): CheckStateReturnType {
  const { snapshot, complete = false, ghosts } = parameters;
  const { market, accounts } = snapshot;
  const agg = market.agg;
  const out: Violation[] = [];
  const fail = (
    invariant: InvariantName,
    path: string,
    expected: unknown,
    actual: unknown,
    message: string,
  ) => out.push({ invariant, path, expected: String(expected), actual: String(actual), message });

  const credits = agg.totalMargin + agg.insurance + (agg.poolCash > 0n ? agg.poolCash : 0n);
  if (market.collateralBalance < credits) {
    fail(
      "TokenConservation",
      "market.collateralBalance",
      `>= ${credits}`,
      market.collateralBalance,
      "the market holds fewer tokens than it owes (margins + insurance + pool cash)",
    );
  }
  if (agg.longOpenInterest - agg.shortOpenInterest !== agg.netSize) {
    fail(
      "OpenInterest",
      "market.agg.netSize",
      agg.longOpenInterest - agg.shortOpenInterest,
      agg.netSize,
      "long OI - short OI != net size",
    );
  }
  if (agg.poolCash < 0n)
    fail("PoolCash", "market.agg.poolCash", ">= 0", agg.poolCash, "pool cash is negative");
  if (
    !(
      market.maintenanceMargin > 0n &&
      market.maintenanceMargin <= market.initialMargin &&
      market.initialMargin <= WAD
    )
  ) {
    fail(
      "MarginRatios",
      "market.maintenanceMargin",
      `0 < mm <= im (${market.initialMargin}) <= 1e18`,
      market.maintenanceMargin,
      "margin ratios out of order",
    );
  }
  for (const a of accounts) {
    if (a.state.margin < 0n) {
      fail(
        "NoNegativeMargin",
        `accounts.${a.account}.state.margin`,
        ">= 0",
        a.state.margin,
        "negative margin",
      );
    }
    const ghost = ghosts?.get(normalizeAddress(a.account));
    if (ghost && !ghost.traded) {
      if (a.state.size !== 0n || a.state.margin + ghost.withdrawn < ghost.deposited) {
        fail(
          "NoExposureNoLoss",
          `accounts.${a.account}.state.margin`,
          `>= ${ghost.deposited - ghost.withdrawn} with size 0`,
          `${a.state.margin} with size ${a.state.size}`,
          "an account that never traded lost margin",
        );
      }
    }
  }

  if (complete) {
    const sum = (f: (a: AccountView) => bigint) => accounts.reduce((acc, a) => acc + f(a), 0n);
    const checks: [InvariantName, string, bigint, bigint, string][] = [
      [
        "TotalMargin",
        "market.agg.totalMargin",
        sum((a) => (a.state.margin > 0n ? a.state.margin : 0n)),
        agg.totalMargin,
        "sum of positive margins",
      ],
      [
        "OpenInterestSum",
        "market.agg.longOpenInterest",
        sum((a) => (a.state.size > 0n ? a.state.size : 0n)),
        agg.longOpenInterest,
        "sum of long sizes",
      ],
      [
        "OpenInterestSum",
        "market.agg.shortOpenInterest",
        sum((a) => (a.state.size < 0n ? -a.state.size : 0n)),
        agg.shortOpenInterest,
        "sum of short sizes",
      ],
      ["NetSizeSum", "market.agg.netSize", sum((a) => a.state.size), agg.netSize, "sum of sizes"],
      [
        "NetOpenNotionalSum",
        "market.agg.netOpenNotional",
        sum((a) => a.state.openNotional),
        agg.netOpenNotional,
        "sum of cost bases",
      ],
      [
        "SizeTimesIndexSum",
        "market.agg.sizeTimesIndex",
        sum((a) => a.state.size * a.state.fundingIndex),
        agg.sizeTimesIndex,
        "sum of size x funding index",
      ],
      [
        "ShareSupplySum",
        "market.poolShareSupply",
        sum((a) => a.lpShares),
        market.poolShareSupply,
        "sum of LP share balances",
      ],
    ];
    for (const [invariant, path, expected, actual, what] of checks) {
      if (expected !== actual) fail(invariant, path, expected, actual, `aggregate differs from the ${what}`);
    }
  }
  return out;
}

/** Invariants of a step: `previous` then `next`. */
export function checkTransition(previous: Snapshot, next: Snapshot): Violation[] {
  const out: Violation[] = [];
  const p = previous.market;
  const n = next.market;
  // Today the only mode change is a trip to Halted; nothing loosens a market outside the timelock.
  if (n.mode < p.mode) {
    out.push({
      invariant: "ModeOnlyTightens",
      path: "market.mode",
      expected: `>= ${enumName(Mode, p.mode)}`,
      actual: enumName(Mode, n.mode),
      message: "the mode loosened",
    });
  }
  const monotone: [string, bigint, bigint][] = [
    ["market.timestamp", p.timestamp, n.timestamp],
    ["market.priceUpdatedAt", p.priceUpdatedAt, n.priceUpdatedAt],
    ["market.agg.lastFundingTime", p.agg.lastFundingTime, n.agg.lastFundingTime],
  ];
  for (const [path, before, after] of monotone) {
    if (after < before) {
      out.push({
        invariant: "TimeMonotone",
        path,
        expected: `>= ${before}`,
        actual: String(after),
        message: "went back in time",
      });
    }
  }
  return out;
}

/* DIFF */

export type StateDiff = { path: string; expected: string; actual: string };

/** Which side a value is missing from. */
const MISSING = "<missing>";

/**
 * Field-by-field differences between the model's snapshot (`expected`) and the chain's (`actual`). Accounts
 * are matched by address, addresses compare case-insensitively, and a bigint equals a number of the same
 * value. Fields listed in `ignore` (dotted paths, `accounts.*.x` for every account) are skipped.
 */
export function diffState(
  expected: Snapshot,
  actual: Snapshot,
  options: { ignore?: readonly string[] | undefined } = {},
): StateDiff[] {
  const out: StateDiff[] = [];
  const ignore = new Set(options.ignore ?? []);
  diffValue("market", expected.market, actual.market, out, ignore);
  const byAddress = (list: readonly AccountView[]) =>
    new Map(list.map((a) => [normalizeAddress(a.account), a]));
  const e = byAddress(expected.accounts);
  const a = byAddress(actual.accounts);
  for (const address of new Set([...e.keys(), ...a.keys()])) {
    diffValue(`accounts.${address}`, e.get(address), a.get(address), out, ignore);
  }
  return out;
}

/** The same comparison as diffState, on any two values (records, arrays, scalars); `path` prefixes the paths. */
export function diffValues(path: string, expected: unknown, actual: unknown): StateDiff[] {
  const out: StateDiff[] = [];
  diffValue(path, expected, actual, out, new Set());
  return out;
}

function diffValue(
  path: string,
  e: unknown,
  a: unknown,
  out: StateDiff[],
  ignore: ReadonlySet<string>,
): void {
  if (ignore.has(path) || ignore.has(path.replace(/^accounts\.0x[0-9a-f]{40}/, "accounts.*"))) return;
  if (Array.isArray(e) && Array.isArray(a)) {
    for (let i = 0; i < Math.max(e.length, a.length); i++)
      diffValue(`${path}[${i}]`, e[i], a[i], out, ignore);
    return;
  }
  if (isRecord(e) && isRecord(a)) {
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
      diffValue(`${path}.${key}`, e[key], a[key], out, ignore);
    }
    return;
  }
  if (!sameScalar(e, a)) out.push({ path, expected: show(e), actual: show(a) });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sameScalar(e: unknown, a: unknown): boolean {
  if (e === a) return true;
  if ((typeof e === "bigint" || typeof e === "number") && (typeof a === "bigint" || typeof a === "number")) {
    return BigInt(e) === BigInt(a);
  }
  if (typeof e === "string" && typeof a === "string") return e.toLowerCase() === a.toLowerCase();
  return false;
}

function show(v: unknown): string {
  if (v === undefined) return MISSING;
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "string") return v;
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
}

/** JSON with bigints as decimal strings (for failure artifacts). */
export function toJson(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_k, x) => (typeof x === "bigint" ? x.toString() : x instanceof Map ? Object.fromEntries(x) : x),
    space,
  );
}
