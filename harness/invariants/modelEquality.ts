import { diffState, type SnapshotLike } from "../model/diff.js";
import { violate } from "./violation.js";

/** Fields of the Lens snapshot the model cannot know (the chain's own block number). */
const unmodelled = ["market.blockNumber"] as const;

/**
 * Chain-vs-model equality after a step: the model's Lens snapshot must equal the chain's field by field
 * (harness/model `diffState`: accounts matched by address, addresses case-insensitive, numbers by value).
 */
export function checkModelEquality(parameters: {
  view: SnapshotLike;
  snapshot: SnapshotLike;
  step: number;
}): void {
  const diff = diffState(parameters.view, parameters.snapshot, { ignore: unmodelled });
  if (diff.length === 0) return;
  violate({
    invariant: "model-equality",
    expected: Object.fromEntries(diff.map((d) => [d.path, d.expected])),
    actual: Object.fromEntries(diff.map((d) => [d.path, d.actual])),
    diff,
    step: parameters.step,
  });
}
