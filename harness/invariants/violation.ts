export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/**
 * What broke, which decides how a failure is reported: a user-level promise judged from the chain and from
 * what actors did (the independent oracle), a protocol invariant read from the chain, a disagreement with
 * the reference model (which may be wrong where the contracts are wrong: it transliterates them), or a
 * command that hit something it did not expect. Absent in artifacts written before the field existed.
 */
export type FailureKind = "promise" | "protocol" | "model" | "unexpected";

/** What an invariant check reports; `step` is the index of the step after which it failed. */
export type FailureInfo = {
  invariant: string;
  kind?: FailureKind | undefined;
  /** The actors involved, by role ("t3", "griefer", "lp1") where known. */
  actors?: string[] | undefined;
  expected: JsonValue;
  actual: JsonValue;
  diff: { path: string; expected: string; actual: string }[];
  step: number;
};

/** Thrown by invariant checks (and by commands that detect a model/chain mismatch). */
export class InvariantViolation extends Error {
  constructor(readonly info: FailureInfo) {
    super(`${info.invariant} violated at step ${info.step}`);
    this.name = "InvariantViolation";
  }
}

export type DiffEntry = FailureInfo["diff"][number];

/** Builds and throws the one error type the runner understands. bigints become decimal strings. */
export function violate(parameters: {
  invariant: string;
  expected: unknown;
  actual: unknown;
  diff?: DiffEntry[] | undefined;
  step: number;
  kind?: FailureKind | undefined;
  actors?: string[] | undefined;
}): never {
  throw new InvariantViolation({
    invariant: parameters.invariant,
    kind: parameters.kind ?? kindOf(parameters.invariant),
    ...(parameters.actors === undefined ? {} : { actors: parameters.actors }),
    expected: toJson(parameters.expected),
    actual: toJson(parameters.actual),
    diff: parameters.diff ?? [],
    step: parameters.step,
  });
}

/** JSON-safe copy: bigints as decimal strings, Maps and Sets as objects and arrays. */
export function toJson(value: unknown): JsonValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Set) return [...value].map(toJson);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v)]));
  if (typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toJson(v)]),
    );
  }
  return String(value);
}

/** The model-equality checks; everything else named here is a protocol invariant read from the chain. */
const modelChecks = new Set(["model-equality", "model-outcome", "clock"]);
const protocolChecks = new Set([
  "token-conservation",
  "open-interest",
  "pool-cash-nonnegative",
  "margin-ratios",
  "no-negative-margin",
  "accounts-sum-to-aggregates",
  "lp-shares-sum-to-supply",
  "no-invariant-trip",
]);

/** How a failure is reported, from its name (artifacts written before FailureInfo.kind existed have none). */
export function kindOf(invariant: string): FailureKind {
  if (modelChecks.has(invariant)) return "model";
  if (protocolChecks.has(invariant)) return "protocol";
  if (invariant.startsWith("unexpected-error:")) return "unexpected";
  return "promise";
}
