import { haltFlags, solidityEnums } from "../../src-ts/generated/abis.js";
import type { Snapshot } from "../model/types.js";
import { type DiffEntry, violate } from "./violation.js";

const SETTLEMENT = solidityEnums.Mode.Settlement;
const HALT_INVARIANT = haltFlags.INVARIANT;
const WAD = 10n ** 18n;

type MarketView = Snapshot["market"];
type AccountView = Snapshot["accounts"][number];

/**
 * What the checks read from a Lens snapshot: the chain's (as viem decodes it) and the model's
 * (harness/model `Snapshot`) both have this shape.
 */
export type CheckedSnapshot = {
  market: Pick<
    MarketView,
    "agg" | "collateralBalance" | "poolShareSupply" | "initialMargin" | "maintenanceMargin"
  > & {
    mode: number;
    haltFlags: number;
    settlement: Pick<
      MarketView["settlement"],
      "assets" | "finalised" | "price" | "fundingIndex" | "traderRatio" | "poolShareSupply" | "lpAssets"
    >;
  };
  accounts: readonly (Pick<AccountView, "state" | "lpShares"> & { account: `0x${string}` })[];
};

export type ProtocolCheckParameters = {
  snapshot: CheckedSnapshot;
  step: number;
  /** Paid out in Settlement so far (Market.settlementPaid), read from the chain. */
  settlementPaid: bigint;
  /** The market's own check may have tripped on purpose (a tampering step). */
  allowInvariantTrip?: boolean | undefined;
};

/**
 * The market's in-contract invariants, re-checked from outside on the Lens snapshot, plus the ones only
 * an observer with every account can check (per-account sums equal the O(1) aggregates).
 */
export function checkProtocolInvariants(parameters: ProtocolCheckParameters): void {
  const { snapshot, step } = parameters;
  const m = snapshot.market;
  const agg = m.agg;

  if (m.mode === SETTLEMENT) {
    // Claims move tokens out without touching the books they were computed from: the market must still
    // hold what it had at the snapshot minus what it paid.
    const held = m.collateralBalance + parameters.settlementPaid;
    if (held < m.settlement.assets) {
      violate({ invariant: "token-conservation", expected: m.settlement.assets, actual: held, step });
    }
  } else {
    const credits = agg.totalMargin + agg.insurance + (agg.poolCash > 0n ? agg.poolCash : 0n);
    if (m.collateralBalance < credits) {
      violate({ invariant: "token-conservation", expected: credits, actual: m.collateralBalance, step });
    }
  }
  if (agg.longOpenInterest - agg.shortOpenInterest !== agg.netSize) {
    violate({
      invariant: "open-interest",
      expected: agg.netSize,
      actual: agg.longOpenInterest - agg.shortOpenInterest,
      step,
    });
  }
  if (agg.poolCash < 0n)
    violate({ invariant: "pool-cash-nonnegative", expected: 0n, actual: agg.poolCash, step });
  if (!(m.maintenanceMargin > 0n && m.maintenanceMargin <= m.initialMargin && m.initialMargin <= WAD)) {
    violate({
      invariant: "margin-ratios",
      expected: `0 < mm <= im (${m.initialMargin}) <= 1e18`,
      actual: m.maintenanceMargin,
      step,
    });
  }
  for (const a of snapshot.accounts) {
    if (a.state.margin < 0n) {
      violate({
        invariant: "no-negative-margin",
        expected: `${a.account} >= 0`,
        actual: a.state.margin,
        step,
      });
    }
  }

  const sums = {
    totalMargin: 0n,
    longOpenInterest: 0n,
    shortOpenInterest: 0n,
    netSize: 0n,
    netOpenNotional: 0n,
    sizeTimesIndex: 0n,
    idleMargin: 0n,
    longOpenNotional: 0n,
    longSizeTimesIndex: 0n,
  };
  let shares = 0n;
  for (const { state: s, lpShares } of snapshot.accounts) {
    if (s.margin > 0n) sums.totalMargin += s.margin;
    if (s.size > 0n) sums.longOpenInterest += s.size;
    if (s.size < 0n) sums.shortOpenInterest -= s.size;
    sums.netSize += s.size;
    sums.netOpenNotional += s.openNotional;
    sums.sizeTimesIndex += s.size * s.fundingIndex;
    if (s.size > 0n) {
      sums.longOpenNotional += s.openNotional;
      sums.longSizeTimesIndex += s.size * s.fundingIndex;
    }
    if (s.size === 0n && s.margin > 0n) sums.idleMargin += s.margin;
    shares += lpShares;
  }
  const diff: DiffEntry[] = [];
  for (const [key, sum] of Object.entries(sums)) {
    const aggregate = agg[key as keyof typeof sums];
    if (aggregate !== sum)
      diff.push({ path: `agg.${key}`, expected: String(sum), actual: String(aggregate) });
  }
  if (diff.length > 0) {
    violate({ invariant: "accounts-sum-to-aggregates", expected: sums, actual: agg, diff, step });
  }
  if (shares !== m.poolShareSupply) {
    violate({ invariant: "lp-shares-sum-to-supply", expected: shares, actual: m.poolShareSupply, step });
  }
  if ((m.haltFlags & HALT_INVARIANT) !== 0 && !parameters.allowInvariantTrip) {
    violate({ invariant: "no-invariant-trip", expected: "haltFlags bit 2 clear", actual: m.haltFlags, step });
  }
}
