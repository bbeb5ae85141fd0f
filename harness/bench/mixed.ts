import { createHarness } from "../runner/defaultHarness.js";
import { runCampaign } from "../runner/run.js";
import { startChainWorld } from "../runner/world.js";
import { type BenchModeContext, type MeasuredModeResult, measure } from "./modes.js";

/**
 * The harness end to end, as `npm run fuzz` runs it: the runner drives the scenario layer's `mixed` commands
 * (trades, oracle attacks, cascades with keepers, governance) on a fresh world, with the reference model and
 * every invariant checked after every step. Runs of `runLength` commands, as many as make `actions`.
 * An "action" here is one command, and some commands are macros of several transactions.
 */
export async function runMixedScenario(context: BenchModeContext): Promise<MeasuredModeResult> {
  const world = await startChainWorld({ label: "bench-mixed" });
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
        });
        outcome =
          campaign.status === "failed"
            ? `${campaign.stats.runs} runs, found ${campaign.counterexample.failure.invariant} (not shrunk)`
            : `${campaign.stats.runs} runs, passed`;
        return campaign.stats.actions;
      },
    );
    return { ...result, outcome };
  } finally {
    await world.stop();
  }
}
