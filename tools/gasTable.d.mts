/** A snapshot file (`snapshots/<name>.json`) as name → gas; throws naming the file on a missing or bad figure. */
export function readSnapshot(name: string, dir?: string): Record<string, number>;
/** Entry points (market, then `pool.`-prefixed pool figures) as a Markdown table. */
export function entryPointTable(market: Record<string, number>, pool: Record<string, number>): string;
/** Guard overhead, cold and warm side by side, as a Markdown table. */
export function overheadTable(cold: Record<string, number>, warm: Record<string, number>): string;
