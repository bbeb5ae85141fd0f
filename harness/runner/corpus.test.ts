// The committed failure corpus (test/corpus/*.json), replayed before any new fuzzing (its own stage in
// npm test). Each artifact must replay as fixed, or, when marked expectFailure, reproduce (a known open bug).
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../chain/foundryBinary.js";
import { formatFailure } from "../cli/report.js";
import { readArtifact } from "./artifact.js";
import { knownOpen } from "./knownOpen.js";
import { type AnyHarness, defaultHarnessModule, loadHarnessModule } from "./loadHarness.js";
import { replayArtifact } from "./replay.js";
import { type ChainWorld, startChainWorld } from "./world.js";

const corpusDir = path.join(repoRoot, "test", "corpus");
const files = readdirSync(corpusDir)
  .filter((f) => f.endsWith(".json"))
  .sort();

describe("failure corpus (test/corpus)", () => {
  let world: ChainWorld | undefined;
  let harness: AnyHarness;

  beforeAll(async () => {
    if (files.length === 0) return;
    world = await startChainWorld({ label: "corpus" });
    const module = await loadHarnessModule(path.join(repoRoot, defaultHarnessModule));
    harness = await module.createHarness(world);
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  if (files.length === 0) {
    it("is empty for now (see test/corpus/README.md)", () => {
      expect(files).toEqual([]);
    });
  }

  it.each(files)(
    "%s",
    async (file) => {
      const artifact = await readArtifact(path.join(corpusDir, file));
      // The corpus's other open bugs pass on the way; this artifact's own invariant decides.
      const result = await replayArtifact(artifact, harness, knownOpen());
      const shown = result.status === "fixed" ? "" : `\n${formatFailure(result.failure, result.trace)}`;
      if (artifact.expectFailure) {
        expect(
          result.status,
          result.status === "fixed"
            ? `fixed: remove "expectFailure" (${artifact.expectFailure.reason}) from ${file}`
            : `a different failure than the open bug it records${shown}`,
        ).toBe("reproduced");
      } else {
        expect(result.status, `the regression is back (npm run repro -- test/corpus/${file})${shown}`).toBe(
          "fixed",
        );
      }
    },
    120_000,
  );
});
