// Artifact → Foundry test, end to end: for each broken variant the fuzz suite's artifact becomes a test that
// fails with forge on the variant and passes on the real protocol; a corpus artifact's test passes on the real
// protocol, but an open bug's (expectFailure, still breaking its promise there), which fails naming its
// property (so does a variant's artifact that met an open bug first); a fixed corpus bug put back makes its
// artifact's test fail again, naming its property. Variant builds are the cached ones
// brokenVariants.test.ts uses. Each forge run compiles its tests against its own copy of the protocol (a test
// embeds the contracts it deploys), so there is one run per variant and one for every real-protocol test; they
// start as soon as their tests are written, beside the recordings (solc takes one core, the nodes the rest).
import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../chain/foundryBinary.js";
import { createArtifact, type FailureArtifact, readArtifact } from "../runner/artifact.js";
import { knownOpen } from "../runner/knownOpen.js";
import { defaultHarnessModule, type HarnessModule, loadHarnessModule } from "../runner/loadHarness.js";
import { runCampaign } from "../runner/run.js";
import { brokenVariants as allVariants, type BrokenVariant, buildVariant } from "../runner/variants.js";
import { startChainWorld } from "../runner/world.js";
import { type RunForgeTestsReturnType, runForgeTests } from "./forgeProject.js";
import { type ForgeTest, writeForgeTest } from "./forgeTest.js";
import { recordOnce } from "./session.js";

const seed = Number(process.env.FUZZ_SEED ?? 42);
const runs = Number(process.env.VARIANT_RUNS ?? 400);
const maxCommands = 15;
const corpusDir = path.join(repoRoot, "test", "corpus");
// REPRO_FORGE_ONLY=<variant or corpus file>,…: only those (to look at one generated test, or to split the run).
const only = process.env.REPRO_FORGE_ONLY?.split(",").map((name) => name.trim());
const brokenVariants = allVariants.filter((v) => !only || only.includes(v.name));
const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith(".json") && (!only || only.includes(f)))
  .sort();
/**
 * Fixed corpus bugs, put back in a copy of the protocol. The artifact is recorded on the copy, where it must break
 * its property again; the model follows the fixed rules, so its disagreements pass there. The test is written from
 * that recording, not from one on the real protocol, where the keeper would not send the liquidation the bug
 * allowed. It must fail on the copy with `reason` and pass on the real protocol.
 */
const corpusBugs = [
  {
    // The market stops refusing owner calls under a short delay: the timelock's 2-day delay passes a check
    // meant for 4.
    file: "timelock-delay-below-exit-window.json",
    reason: /^exit-window-covered: the timelock's setMode succeeded under a delay below the exit window/,
    variant: {
      name: "exit-window-not-rechecked",
      bug: "the market accepts owner calls while the timelock's delay is below the exit window",
      file: "src/libraries/MarketSafety.sol",
      find: "if (isTimelock && delay < exitWindow) revert",
      replace: "if (isTimelock && delay < exitWindow / 4) revert",
    },
  },
  {
    // M-06: a -1.49 % round 1 s after the last one weighs as much as any round (IM 10 % -> 66 %); MM then
    // climbs 6 % -> 14 % over eight flat rounds and the keeper liquidates at the price the account survived.
    // In the patch, `previous = 0` lets every round raise MM and `dt = liquidationHorizon` by a full step.
    file: "m06-vol-spike-liquidates.json",
    reason: /^no-estimator-liquidation: liquidated by the estimator alone at the price it survived: /,
    variant: {
      name: "estimator-per-round",
      bug: "the volatility EWMA weighs every round alike, however little time it spans, and MM rises a full step on every round, flat ones too",
      file: "src/OracleGuard.sol",
      find:
        "uint256 w = _decay(p, dt);\n        uint256 previous = variance;\n" +
        "        uint256 v = (w * previous + (WAD - w) * sample) / WAD;",
      replace:
        "uint256 w = p.ewmaLambda;\n        uint256 v = (w * variance + (WAD - w) * sample) / WAD;\n" +
        "        uint256 previous = 0;\n        dt = p.liquidationHorizon;",
    },
  },
  {
    // The order's round judged after updating the guard: the trade fails, the order is cancelled, and the round
    // stays accepted without the market correcting itself (the pool cannot pay; the market stays Normal).
    file: "order-cancel-skips-self-correction.json",
    reason:
      /^self-correction-after-price: the pool cannot pay after a price move and the market is not Halted/,
    variant: {
      name: "order-round-by-update",
      bug: "executeOrder updates the guard before judging the order's round, so a cancelled order leaves the round accepted and the market uncorrected",
      file: "src/libraries/MarketOrders.sol",
      find:
        "function _atRound(uint80 round, IOracleGuard oracle) private view returns (bool) {\n" +
        "        uint80 last = oracle.lastRoundId();",
      replace:
        "function _atRound(uint80 round, IOracleGuard oracle) private returns (bool) {\n" +
        "        oracle.update();\n        uint80 last = oracle.lastRoundId();",
    },
  },
].filter((b) => corpus.includes(b.file)) satisfies { file: string; reason: RegExp; variant: BrokenVariant }[];

/** Runs at most `n` jobs at once, in the order they are given; `widen` raises the limit. */
function limiter(n: number) {
  let limit = n;
  let active = 0;
  const waiting: (() => void)[] = [];
  const next = () => {
    while (active < limit && waiting.length > 0) {
      active++;
      waiting.shift()?.();
    }
  };
  const run = async <T>(job: () => Promise<T>): Promise<T> => {
    await new Promise<void>((start) => {
      waiting.push(start);
      next();
    });
    try {
      return await job();
    } finally {
      active--;
      next();
    }
  };
  return Object.assign(run, {
    widen(to: number) {
      limit = Math.max(limit, to);
      next();
    },
  });
}

describe("artifact → Foundry test (forge)", () => {
  let module: HarnessModule;
  const roots = new Map<string, string>();
  const tests = new Map<string, ForgeTest>();
  const onVariant = new Map<string, RunForgeTestsReturnType>();
  /**
   * Corpus artifacts of open bugs (expectFailure) whose replay still breaks their promise here: file → the
   * property their test must fail on. One fixed in this protocol (its replay reports "fixed") must pass.
   */
  const openBugs = new Map<string, string>();
  let onReal: RunForgeTestsReturnType;

  beforeAll(async () => {
    const started = Date.now();
    const since = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    // solc (WebAssembly) is single-threaded: two builds or forge runs at once only where a core is left over.
    const slots = availableParallelism() > 2 ? 2 : 1;
    module = await loadHarnessModule(path.join(repoRoot, defaultHarnessModule));
    const toBuild = [...brokenVariants, ...corpusBugs.map((b) => b.variant)];
    const builder = async () => {
      for (let v = toBuild.shift(); v; v = toBuild.shift())
        roots.set(v.name, await buildVariant({ variant: v }));
    };
    await Promise.all(Array.from({ length: slots }, builder));
    console.log(`variants built after ${since()}`);

    const forge = limiter(slots);
    const forgeRuns: Promise<void>[] = [];
    const startForge = (job: () => Promise<void>) => {
      const run = forge(job);
      run.catch(() => undefined); // awaited below; not an unhandled rejection while recordings go on
      forgeRuns.push(run);
    };
    for (const variant of brokenVariants) {
      const root = roots.get(variant.name) as string;
      const world = await startChainWorld({ label: `${variant.name}-forge-find`, root });
      let artifact: FailureArtifact;
      try {
        const harness = await module.createHarness(world);
        // The corpus's open bugs pass (as in brokenVariants.test.ts): a campaign that met one first would give
        // every variant the same artifact, and the test would no longer show the variant's own bug.
        const result = await runCampaign({
          harness,
          scenario: "cascade",
          seed,
          runs,
          maxCommands,
          tolerate: knownOpen(),
        });
        if (result.status !== "failed") throw new Error(`${variant.name}: not caught in ${runs} runs`);
        artifact = await createArtifact({
          counterexample: result.counterexample,
          scenario: "cascade",
          maxCommands,
        });
      } finally {
        await world.stop();
      }
      const recording = await recordOnce({
        artifact,
        module,
        root,
        label: `${variant.name}-forge-record`,
        tolerate: knownOpen(),
      });
      expect(recording.result.status).toBe("reproduced");
      const test = writeForgeTest(recording);
      expect(
        [...tests.values()].map((t) => t.name),
        `${variant.name}: a test of the same name`,
      ).not.toContain(test.name);
      tests.set(variant.name, test);
      startForge(async () => {
        onVariant.set(variant.name, await runForgeTests({ root, tests: [test] }));
        console.log(`${variant.name}: forge run done after ${since()}`);
      });
      // The campaign may meet an open protocol bug (a promise) before the variant's: then it is there on the
      // real protocol too, and the test must fail there as well.
      const onRealProtocol = await recordOnce({
        artifact,
        module,
        label: `${variant.name}-forge-real`,
        tolerate: knownOpen(),
      });
      if (onRealProtocol.result.status !== "fixed") {
        openBugs.set(variant.name, artifact.failure.invariant);
        console.log(
          `${variant.name}: its artifact (${artifact.failure.invariant}) also fails on the real protocol`,
        );
      }
      console.log(`${variant.name}: artifact recorded after ${since()}`);
    }
    for (const file of corpus) {
      const artifact = await readArtifact(path.join(corpusDir, file));
      const property = artifact.failure.invariant;
      // An open bug's replay may break other promises on the way; the test asserts the artifact's own.
      const recording = await recordOnce({
        artifact,
        module,
        label: "corpus-forge-record",
        tolerate: (failure) => failure.invariant !== property,
      });
      if (artifact.expectFailure && recording.result.status !== "fixed") openBugs.set(file, property);
      if (artifact.expectFailure && recording.result.status === "fixed") {
        console.log(`${file}: marked expectFailure, but its replay no longer breaks ${property} here`);
      }
      const bug = corpusBugs.find((b) => b.file === file);
      let test: ForgeTest;
      if (bug) {
        expect(recording.result.status, `${file}: its bug is fixed here`).toBe("fixed");
        const root = roots.get(bug.variant.name) as string;
        const onCopy = await recordOnce({
          artifact,
          module,
          root,
          label: `${bug.variant.name}-forge-record`,
          tolerate: (failure) => failure.invariant !== property,
        });
        expect(onCopy.result.status, `${file} on ${bug.variant.name}`).toBe("reproduced");
        test = writeForgeTest(onCopy);
        startForge(async () => {
          onVariant.set(bug.variant.name, await runForgeTests({ root, tests: [test] }));
          console.log(`${bug.variant.name}: forge run done after ${since()}`);
        });
      } else test = writeForgeTest(recording);
      expect(
        [...tests.values()].map((t) => t.name),
        `${file}: a test of the same name`,
      ).not.toContain(test.name);
      tests.set(file, test);
    }
    console.log(`artifacts recorded and written as tests after ${since()}`);
    // The recordings are done: the core they used takes a second forge run.
    forge.widen(2);
    // Every real-protocol test in one run: one compile of the protocol for all of them.
    startForge(async () => {
      onReal = await runForgeTests({ tests: [...tests.values()] });
      console.log(`real protocol: forge run (${tests.size} tests) done after ${since()}`);
    });
    await Promise.all(forgeRuns);
  }, 1_800_000);

  it.each(brokenVariants)(
    "$name: the generated test fails on the variant, naming the property",
    (variant) => {
      const test = tests.get(variant.name) as ForgeTest;
      const run = onVariant.get(variant.name) as RunForgeTestsReturnType;
      const result = run.results.get(test.name);
      expect(result, run.output.slice(-3000)).toBeDefined();
      expect(result?.status).toBe("Failure");
      expect(run.exitCode).not.toBe(0);
      // The reason names the property the artifact names (e.g. "no-invariant-trip: … InvariantViolated(…)").
      expect(result?.reason ?? "").toMatch(/^(no-invariant-trip|model-equality|model-outcome|[a-z-]+): /);
      console.log(`${variant.name}: ${test.fileName}: ${result?.reason}`);
    },
  );

  it.each(corpusBugs)(
    "$file: the test fails once its bug is put back ($variant.name), naming the property",
    (bug) => {
      const test = tests.get(bug.file) as ForgeTest;
      const run = onVariant.get(bug.variant.name) as RunForgeTestsReturnType;
      const result = run.results.get(test.name);
      expect(result, run.output.slice(-3000)).toMatchObject({ status: "Failure" });
      expect(result?.reason ?? "").toMatch(bug.reason);
      console.log(`${bug.variant.name}: ${test.fileName}: ${result?.reason}`);
    },
  );

  it("every generated test passes on the real protocol, but an open bug's (expectFailure), which fails naming its property", () => {
    for (const [key, test] of tests) {
      const result = onReal.results.get(test.name);
      const property = openBugs.get(key);
      if (property === undefined) {
        expect(result, `${key}: ${test.name}: ${onReal.output.slice(-3000)}`).toEqual({
          status: "Success",
          reason: null,
        });
        continue;
      }
      expect(result, `${key}: ${onReal.output.slice(-3000)}`).toMatchObject({ status: "Failure" });
      expect(result?.reason ?? "", key).toMatch(new RegExp(`^${property}: `));
      console.log(`${key}: ${test.fileName}: ${result?.reason}`);
    }
    expect(onReal.exitCode).toBe([...openBugs.keys()].some((file) => tests.has(file)) ? 1 : 0);
    expect(onReal.results.size).toBe(brokenVariants.length + corpus.length);
  });
});
