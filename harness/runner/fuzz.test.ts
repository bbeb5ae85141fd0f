// The default-budget fuzz suite that npm test runs: a fixed seed and a small budget, one test per scenario
// kind. FUZZ_SEED, FUZZ_RUNS, FUZZ_MAX_COMMANDS, FUZZ_PATH (+ FUZZ_REPLAY_PATH) override the defaults; soaks
// with random seeds and long budgets use `npm run fuzz` instead.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../chain/foundryBinary.js";
import { parseFuzzArgs } from "../cli/options.js";
import { formatFailure } from "../cli/report.js";
import { formatWeights } from "../coverage/steering.js";
import type { ScenarioKind } from "../scenario/contract.js";
import { createArtifact, writeArtifact } from "./artifact.js";
import { knownOpen } from "./knownOpen.js";
import { type AnyHarness, defaultHarnessModule, loadHarnessModule } from "./loadHarness.js";
import { runCampaign } from "./run.js";
import { type ChainWorld, startChainWorld } from "./world.js";

const options = parseFuzzArgs(["--max-commands", process.env.FUZZ_MAX_COMMANDS ?? "20"], {
  ...process.env,
  FUZZ_SEED: process.env.FUZZ_SEED ?? "42",
  // 60 runs on the engine take about the time 30 took with every step mined (35 s against 66 s for the four
  // scenarios at 30 runs, load average 12 on 2 cores).
  FUZZ_RUNS: process.env.FUZZ_RUNS ?? "60",
});
if (options.help) throw new Error("unreachable");
const scenarios: ScenarioKind[] = ["oracle", "cascade", "mixed", "adversarial"];
// Runs search on the engine's simulated blocks (a failure is confirmed on mined blocks before it counts);
// FUZZ_ENGINE=mined mines every step, as the suite did before the engine.
const engine = process.env.FUZZ_ENGINE === "mined" ? "mined" : "simulated";

describe(`fuzz suite (seed ${options.seed}, ${options.runs} runs of up to ${options.maxCommands} commands)`, () => {
  let world: ChainWorld;
  let harness: AnyHarness;
  beforeAll(async () => {
    world = await startChainWorld({ label: "fuzz-suite" });
    harness = await (await loadHarnessModule(path.join(repoRoot, defaultHarnessModule))).createHarness(world);
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  it.each(scenarios)(
    "%s",
    async (scenario) => {
      const { seed, path: fuzzPath, replayPath, runs, maxCommands } = options;
      const result = await runCampaign({
        harness,
        scenario,
        seed,
        path: fuzzPath,
        replayPath,
        runs,
        maxCommands,
        steer: options.steer,
        // The open bugs the corpus already records (and replays) pass here, so the suite looks for new ones.
        tolerate: knownOpen(),
        engine,
      });
      if (result.status === "passed") return;
      const { counterexample: c } = result;
      const artifact = await createArtifact({
        counterexample: c,
        scenario,
        maxCommands: options.maxCommands,
      });
      const file = path.relative(repoRoot, await writeArtifact(artifact));
      console.error(
        [
          `fuzz suite: ${scenario} failed: seed ${c.seed}, path ${c.path}, replayPath ${c.replayPath}`,
          `artifact: ${file}`,
          `replay:   npm run repro -- ${file}`,
          `re-run:   FUZZ_SEED=${c.seed} FUZZ_PATH=${c.path} FUZZ_REPLAY_PATH='${c.replayPath}'` +
            `${c.weights ? ` FUZZ_STEER=${formatWeights(c.weights)}` : ""} npx vitest run harness/runner/fuzz.test.ts -t ${scenario}`,
        ].join("\n"),
      );
      expect.fail(`${formatFailure(c.failure, c.trace)}\nartifact: ${file}`);
    },
    300_000,
  );
});

describe("determinism", () => {
  // Two fresh nodes, the same seed, the project's harness: every run must execute the same commands at the
  // same blocks and timestamps, with generation steered by coverage (12 runs: the weights change after the
  // 10th). (Byte-identical failure artifacts: brokenVariants.test.ts.)
  it("the same seed twice runs the same steps at the same blocks and timestamps, steering included", async () => {
    const runsOf = async () => {
      const world = await startChainWorld({ label: "determinism" });
      try {
        const module = await loadHarnessModule(path.join(repoRoot, defaultHarnessModule));
        const harness = await module.createHarness(world);
        const runs: string[] = [];
        const result = await runCampaign({
          harness,
          scenario: "mixed",
          seed: 1234,
          runs: 12,
          maxCommands: 8,
          onRun: (run) => runs.push(JSON.stringify(run)),
        });
        runs.push(JSON.stringify(result.coverage?.toJSON()));
        return runs;
      } finally {
        await world.stop();
      }
    };
    const first = await runsOf();
    const second = await runsOf();
    expect(second).toEqual(first);
    expect(first.join("").match(/"block"/g)?.length ?? 0).toBeGreaterThan(5);
    expect(JSON.parse(first.at(-1) as string)).toMatchObject({ runs: 12 });
    // Steering acted: the 11th run was drawn with other weights than the first (rare cells boosted their commands).
    const weightsOf = (run: string | undefined) => JSON.parse(run as string).weights;
    expect(weightsOf(first[10])).not.toEqual(weightsOf(first[0]));
  }, 180_000);
});
