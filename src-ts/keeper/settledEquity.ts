/** The fields of an account and of the settlement snapshot that its settled equity depends on. */
export type SettledEquityParameters = {
  account: { margin: bigint; size: bigint; openNotional: bigint; fundingIndex: bigint };
  settlement: { price: bigint; fundingIndex: bigint };
  /** The collateral token's decimals (size WAD × price WAD / 10^(36 − decimals) = collateral units). */
  collateralDecimals: number;
};

/**
 * An account's equity at the settlement snapshot, exactly as Market._settledEquity computes it (funding
 * owed rounds up, PnL rounds down: both against the trader). The keeper realises accounts for which this is
 * negative; reproducing the contract's rounding keeps it from sending a `realise` that would revert.
 */
export function settledEquity(parameters: SettledEquityParameters): bigint {
  const { account: a, settlement: s, collateralDecimals } = parameters;
  const divisor = 10n ** BigInt(36 - collateralDecimals);
  const owed = ceilDiv(a.size * (s.fundingIndex - a.fundingIndex), divisor);
  return a.margin + floorDiv(a.size * s.price, divisor) - a.openNotional - owed;
}

/** Division rounding toward negative infinity (bigint `/` truncates toward zero). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Division rounding toward positive infinity. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n === b < 0n ? q + 1n : q;
}
