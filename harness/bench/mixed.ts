import { createHarness } from "../runner/defaultHarness.js";
import { knownOpen } from "../runner/knownOpen.js";
import { runCampaign } from "../runner/run.js";
import { startChainWorld } from "../runner/world.js";
import { type BenchModeContext, type MeasuredModeResult, measure } from "./measure.js";

/**
 * The harness end to end, as `npm run fuzz` runs it: the runner drives the scenario layer's `mixed` commands
 * (trades, oracle attacks, cascades with keepers, governance) on a fresh world, with the reference model and
 * every invariant and promise checked after every step. Runs of `runLength` commands, as many as make
 * `actions`. An "action" here is one command, and some commands are macros of several transactions.
 *
 * `engine`: "simulated" runs on the engine's simulated blocks (harness/engine/), a failure confirmed on mined
 * blocks before it counts (that rerun is timed too); "mined" mines every step. The corpus's known open bugs
 * pass, as in the fuzz suite, so that the row measures a whole campaign rather than the way to its first
 * known finding.
 */
export async function runMixedScenario(
  context: BenchModeContext,
  engine: "simulated" | "mined",
): Promise<MeasuredModeResult> {
  const world = await startChainWorld({ label: `bench-mixed-${engine}` });
  try {
    const harness = await createHarness(world);
    let outcome = "passed";
    const result = await measure(
      () => [world.clients.node.pid],
      async () => {
        const campaign = await runCampaign({
          harness,
          scenario: "mixed",
          seed: context.seed,
          runs: Math.ceil(context.actions / context.runLength),
          maxCommands: context.runLength,
          shrinkBudgetMs: 0, // a bench measures; `npm run fuzz` is where a failure gets shrunk
          tolerate: knownOpen(),
          engine,
        });
        const e = campaign.stats.engine;
        const simulated =
          engine === "simulated" && e
            ? `, ${e.simulatedRuns} simulated, ${e.confirmed} confirmed / ${e.unconfirmed} unconfirmed on mined blocks`
            : "";
        outcome =
          campaign.status === "failed"
            ? `${campaign.stats.runs} runs${simulated}, found ${campaign.counterexample.failure.invariant} (not shrunk)`
            : `${campaign.stats.runs} runs${simulated}, passed`;
        return campaign.stats.actions;
      },
    );
    return { ...result, outcome };
  } finally {
    await world.stop();
  }
}
