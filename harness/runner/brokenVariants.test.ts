// The harness against deliberately broken copies of the protocol (variants.ts): each bug must be caught,
// shrunk to a short sequence, written as an artifact, and replayed as reproduced on a fresh node, while
// the real protocol passes the very same sequence. Builds are cached in the OS temp folder (first run:
// about 30 s per variant here; later runs reuse them until the sources change).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../chain/foundryBinary.js";
import { formatFailure } from "../cli/report.js";
import { createArtifact, readArtifact, writeArtifact } from "./artifact.js";
import { knownOpen } from "./knownOpen.js";
import {
  type AnyHarness,
  defaultHarnessModule,
  type HarnessModule,
  loadHarnessModule,
} from "./loadHarness.js";
import { replayArtifact } from "./replay.js";
import { runCampaign } from "./run.js";
import { brokenVariants, buildVariant } from "./variants.js";
import { type ChainWorld, startChainWorld } from "./world.js";

const seed = Number(process.env.FUZZ_SEED ?? 42);
const runs = Number(process.env.VARIANT_RUNS ?? 400);
const maxCommands = 15;
const maxShrunkCommands = 5;

describe("broken variants", () => {
  const roots = new Map<string, string>();
  const dir = mkdtempSync(path.join(tmpdir(), "bulkhead-variants-artifacts-"));
  let module: HarnessModule;
  let reference: ChainWorld | undefined;
  let referenceHarness: AnyHarness;

  beforeAll(async () => {
    module = await loadHarnessModule(path.join(repoRoot, defaultHarnessModule));
    // solc (WebAssembly) is single-threaded: two builds at once only where a core is left for the rest.
    const queue = [...brokenVariants];
    const worker = async () => {
      for (let v = queue.shift(); v; v = queue.shift()) roots.set(v.name, await buildVariant({ variant: v }));
    };
    await Promise.all(Array.from({ length: availableParallelism() > 2 ? 2 : 1 }, worker));
    reference = await startChainWorld({ label: "reference" });
    referenceHarness = await module.createHarness(reference);
    // The open bugs the corpus records are on the real protocol too: they pass, as in the fuzz suite.
    referenceHarness.tolerate?.(knownOpen());
  }, 600_000);
  afterAll(async () => {
    await reference?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const withWorld = async <T>(label: string, root: string, use: (harness: AnyHarness) => Promise<T>) => {
    const world = await startChainWorld({ label, root });
    try {
      const harness = await module.createHarness(world);
      harness.tolerate?.(knownOpen());
      return await use(harness);
    } finally {
      await world.stop();
    }
  };

  it.each(brokenVariants)(
    "$name: caught, shrunk, written, reproduced",
    async (variant) => {
      const root = roots.get(variant.name) as string;
      const result = await withWorld(`${variant.name}-find`, root, (harness) =>
        runCampaign({ harness, scenario: "cascade", seed, runs, maxCommands }),
      );
      expect(result.status, `${variant.bug}: not caught in ${runs} runs`).toBe("failed");
      if (result.status !== "failed") return;
      const { counterexample } = result;
      console.log(
        `${variant.name} (${variant.bug}): caught after ${counterexample.numRuns} runs, ${counterexample.numShrinks} ` +
          `shrinks, ${result.stats.runs} runs in ${(result.stats.elapsedMs / 1000).toFixed(1)} s\n` +
          formatFailure(counterexample.failure, counterexample.trace),
      );
      expect(counterexample.commands.length).toBeLessThanOrEqual(maxShrunkCommands);

      const artifact = await createArtifact({ counterexample, scenario: "cascade", maxCommands });
      const file = await writeArtifact(artifact, { dir });
      const replayed = await withWorld(`${variant.name}-replay`, root, async (harness) =>
        replayArtifact(await readArtifact(file), harness),
      );
      expect(replayed).toMatchObject({
        status: "reproduced",
        failure: { invariant: counterexample.failure.invariant },
      });
      expect(replayed.trace).toEqual(artifact.steps);

      // The same sequence on the real protocol passes: the failure is the bug's, not the harness's.
      const onReal = await replayArtifact(artifact, referenceHarness);
      expect(
        onReal.status,
        onReal.status === "fixed" ? "" : formatFailure(onReal.failure, onReal.trace),
      ).toBe("fixed");
    },
    300_000,
  );

  it("determinism: the same seed on two fresh nodes gives byte-identical artifacts (but for createdAt)", async () => {
    const root = roots.get("funding-sign-flipped") as string;
    const artifactText = (label: string) =>
      withWorld(label, root, async (harness) => {
        const result = await runCampaign({ harness, scenario: "mixed", seed: 7, runs, maxCommands });
        if (result.status !== "failed") throw new Error("the funding variant should fail");
        const artifact = await createArtifact({
          counterexample: result.counterexample,
          scenario: "mixed",
          maxCommands,
        });
        const file = await writeArtifact(artifact, { dir: mkdtempSync(path.join(dir, `${label}-`)) });
        return readFileSync(file, "utf8").replace(/"createdAt": "[^"]*"/, '"createdAt": ""');
      });
    const first = await artifactText("determinism-a");
    expect(await artifactText("determinism-b")).toBe(first);
    expect(JSON.parse(first).steps.length).toBeGreaterThan(0);
  }, 300_000);
});
