import type { ModelView } from "../scenario/model/port.js";
import type { ChainSnapshot } from "../system/system.js";
import { type DiffEntry, violate } from "./violation.js";

/**
 * Field-by-field comparison of the model's view with the Lens snapshot: every field the model predicts
 * (it predicts all but the block number) must equal the chain's. Accounts are compared in list order.
 */
export function diffModelView(view: ModelView, snapshot: ChainSnapshot): DiffEntry[] {
  const diff: DiffEntry[] = [];
  walk("market", view.market, snapshot.market, diff);
  view.accounts.forEach((account, i) => {
    walk(`accounts[${i}:${account.account.slice(0, 8)}]`, account, snapshot.accounts[i], diff);
  });
  return diff;
}

export function checkModelEquality(parameters: {
  view: ModelView;
  snapshot: ChainSnapshot;
  step: number;
}): void {
  const diff = diffModelView(parameters.view, parameters.snapshot);
  if (diff.length === 0) return;
  violate({
    invariant: "model-equality",
    expected: Object.fromEntries(diff.map((d) => [d.path, d.expected])),
    actual: Object.fromEntries(diff.map((d) => [d.path, d.actual])),
    diff,
    step: parameters.step,
  });
}

function walk(path: string, expected: unknown, actual: unknown, diff: DiffEntry[]): void {
  if (expected !== null && typeof expected === "object") {
    const other = (actual ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(expected as Record<string, unknown>)) {
      walk(`${path}.${key}`, value, other[key], diff);
    }
    return;
  }
  // The Lens returns small integers as numbers and addresses checksummed; compare canonical strings.
  const e = canonical(expected);
  const a = canonical(actual);
  if (e !== a) diff.push({ path, expected: e, actual: a });
}

function canonical(value: unknown): string {
  if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)) return value.toLowerCase();
  return String(value);
}
