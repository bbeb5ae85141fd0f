/**
 * `diffState`: the field-by-field comparison of the model's Lens snapshot with the chain's, and `diffValues`,
 * the same comparison on any two values (events, revert arguments). Every value in a reported difference is
 * a string, so results are JSON-serialisable as they are. The protocol's invariants themselves are checked
 * in harness/invariants/ (on the chain's snapshot, or the model's: the shape is the same).
 */
import { normalizeAddress } from "./types.js";

export type StateDiff = { path: string; expected: string; actual: string };

/** Which side a value is missing from. */
const MISSING = "<missing>";

/**
 * Field-by-field differences between the model's snapshot (`expected`) and the chain's (`actual`). Accounts
 * are matched by address, addresses compare case-insensitively, and a bigint equals a number of the same
 * value. Fields listed in `ignore` (dotted paths, `accounts.*.x` for every account) are skipped.
 */
/** A Lens snapshot as the model predicts it (types.ts `Snapshot`) or as viem decodes it from the chain. */
export type SnapshotLike = { market: unknown; accounts: readonly { account: string }[] };

export function diffState(
  expected: SnapshotLike,
  actual: SnapshotLike,
  options: { ignore?: readonly string[] | undefined } = {},
): StateDiff[] {
  const out: StateDiff[] = [];
  const ignore = ignoreOf(options.ignore ?? []);
  diffValue("market", expected.market, actual.market, out, ignore);
  const byAddress = <account extends { account: string }>(list: readonly account[]) =>
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
  diffValue(path, expected, actual, out, nothingIgnored);
  return out;
}

function diffValue(path: string, e: unknown, a: unknown, out: StateDiff[], ignore: Ignore): void {
  if (ignore !== nothingIgnored) {
    const key = accountKey(path);
    if (ignore.paths.has(path) || ignore.paths.has(key)) return;
    // Below a path no ignored path starts with, nothing is ignored: checked once, not on every field.
    if (!ignore.prefixes.has(path) && !ignore.prefixes.has(key)) ignore = nothingIgnored;
  }
  if (Array.isArray(e) && Array.isArray(a)) {
    for (let i = 0; i < Math.max(e.length, a.length); i++)
      diffValue(`${path}[${i}]`, e[i], a[i], out, ignore);
    return;
  }
  if (isRecord(e) && isRecord(a)) {
    for (const key in e) diffValue(`${path}.${key}`, e[key], a[key], out, ignore);
    for (const key in a) if (!(key in e)) diffValue(`${path}.${key}`, undefined, a[key], out, ignore);
    return;
  }
  if (!sameScalar(e, a)) out.push({ path, expected: show(e), actual: show(a) });
}

/** Ignored paths (`accounts.*.x` for every account), and every path one of them lies below. */
type Ignore = { paths: ReadonlySet<string>; prefixes: ReadonlySet<string> };

const nothingIgnored: Ignore = { paths: new Set(), prefixes: new Set() };

function ignoreOf(paths: readonly string[]): Ignore {
  if (paths.length === 0) return nothingIgnored;
  const prefixes = new Set<string>();
  for (const path of paths) {
    for (let i = 1; i < path.length; i++)
      if (path[i] === "." || path[i] === "[") prefixes.add(path.slice(0, i));
  }
  return { paths: new Set(paths), prefixes };
}

const accountPrefix = "accounts.0x".length + 40;

/** `accounts.<address>.x` as `accounts.*.x`, the form an ignore list names every account's field by. */
const accountKey = (path: string): string =>
  path.startsWith("accounts.0x") ? `accounts.*${path.slice(accountPrefix)}` : path;

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
