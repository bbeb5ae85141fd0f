// The open bugs the corpus records (test/corpus/*.json marked expectFailure): campaigns that look for other
// bugs let these pass and go on, and stop doing so by themselves once an artifact's mark is removed.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../chain/foundryBinary.js";
import type { FailureInfo } from "../scenario/contract.js";

export const corpusDir = path.join(repoRoot, "test", "corpus");

/** The invariants of the corpus artifacts marked expectFailure. */
export function knownOpenInvariants(dir: string = corpusDir): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const artifact = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as {
      expectFailure?: unknown;
      failure?: { invariant?: unknown };
    };
    if (artifact.expectFailure && typeof artifact.failure?.invariant === "string") {
      names.add(artifact.failure.invariant);
    }
  }
  return names;
}

/** A tolerate predicate for runCampaign: the corpus's open bugs pass. */
export function knownOpen(dir?: string): (failure: FailureInfo) => boolean {
  const names = knownOpenInvariants(dir);
  return (failure) => names.has(failure.invariant);
}
