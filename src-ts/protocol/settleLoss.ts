/**
 * Whose loss to turn into pool cash with `settleLoss(account)` (MarketAccounting.settleLoss): an open position
 * below its margin whose equity is non-negative (the market refuses a settle that leaves the margin negative) and
 * that is not liquidatable (that one is for the liquidators, who book its bad debt). The keeper and a winner
 * short of cash both pick losers by this rule.
 */
export type LoserView = {
  state: { size: bigint; margin: bigint };
  /** Margin plus unrealised PnL less funding owed, at the guard's price. */
  equity: bigint;
  liquidatable: boolean;
};

/** How far the account is below its margin (its loss, funding owed included), or 0 when it is not to be settled. */
export function settleableLoss(a: LoserView): bigint {
  const loss = a.state.margin - a.equity;
  return a.state.size !== 0n && loss > 0n && a.equity >= 0n && !a.liquidatable ? loss : 0n;
}

/** The accounts `settleLoss` accepts, largest loss first (equal losses in the order given). */
export function settleableLosers<T extends LoserView>(
  accounts: readonly T[],
): { account: T; loss: bigint }[] {
  return accounts
    .map((account, index) => ({ account, index, loss: settleableLoss(account) }))
    .filter(({ loss }) => loss > 0n)
    .sort((x, y) => (x.loss === y.loss ? x.index - y.index : x.loss > y.loss ? -1 : 1))
    .map(({ account, loss }) => ({ account, loss }));
}
