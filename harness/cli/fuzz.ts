// npm run fuzz -- [--runs N] [--seed S] [--scenario oracle|cascade|mixed] [--time 10m] [--max-commands N] ...
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { formatTrips, onChainTrips } from "../repro/describe.js";
import { renderHtmlReport } from "../repro/htmlReport.js";
import type { Recording } from "../repro/recording.js";
import { recordOnce } from "../repro/session.js";
import { createArtifact, writeArtifact } from "../runner/artifact.js";
import { knownOpen } from "../runner/knownOpen.js";
import { defaultHarnessModule, HarnessModuleError, loadHarnessModule } from "../runner/loadHarness.js";
import { runCampaign } from "../runner/run.js";
import { type ChainWorld, startChainWorld } from "../runner/world.js";
import { type FuzzOptions, fuzzUsage, parseFuzzArgs, UsageError } from "./options.js";
import { formatFailure, formatProgress, formatSummary, shellQuote } from "./report.js";

export async function fuzzMain(argv: readonly string[]): Promise<number> {
  let options: FuzzOptions;
  try {
    const parsed = parseFuzzArgs(argv);
    if (parsed.help) {
      console.log(fuzzUsage);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`fuzz: ${error.message}\n\n${fuzzUsage}`);
    return 2;
  }

  let module: Awaited<ReturnType<typeof loadHarnessModule>>;
  try {
    module = await loadHarnessModule(options.harness);
  } catch (error) {
    if (!(error instanceof HarnessModuleError)) throw error;
    console.error(`fuzz: ${error.message}`);
    return 2;
  }

  const budget = [
    options.runs < 2 ** 31 - 1 ? `${options.runs} runs` : undefined,
    options.timeBudgetMs === undefined ? undefined : `${options.timeBudgetMs / 1000}s`,
  ].filter(Boolean);
  console.log(
    `fuzz: scenario ${options.scenario}, seed ${options.seed}${options.randomSeed ? " (random)" : ""}, ` +
      `${budget.join(" or ")}, up to ${options.maxCommands} commands per run` +
      (options.path ? `, replaying path ${options.path}` : "") +
      (options.target ? `, target ${options.target}` : "") +
      (options.skipKnown ? ", skipping the corpus's open bugs" : ""),
  );

  let world: ChainWorld | undefined;
  try {
    world = await startChainWorld({ label: "fuzz", root: options.root });
    console.log(`fuzz: anvil pid ${world.clients.node.pid ?? "?"} at ${world.clients.node.httpUrl}`);
    const harness = await module.createHarness(world);
    const result = await runCampaign({
      harness,
      scenario: options.scenario,
      seed: options.seed,
      path: options.path,
      replayPath: options.replayPath,
      runs: options.runs,
      maxCommands: options.maxCommands,
      timeBudgetMs: options.timeBudgetMs,
      shrinkBudgetMs: options.shrinkBudgetMs,
      target: options.target,
      tolerate: options.skipKnown ? knownOpen() : undefined,
      onProgress: (stats) => console.log(formatProgress(stats)),
    });
    console.log(`\n${formatSummary(result.stats, options)}`);
    if (result.status === "passed") {
      console.log(`\nPASSED: no invariant broke${result.interrupted ? " (stopped at the time budget)" : ""}`);
      return 0;
    }

    const { counterexample } = result;
    const artifact = await createArtifact({
      counterexample,
      scenario: options.scenario,
      maxCommands: options.maxCommands,
    });
    // Replayed once more on a fresh node and read back from the chain (the campaign's node may no longer hold
    // the state of its early blocks): the market's own trips go into the artifact (decoded, with the
    // transaction's label) and the picture into an HTML report.
    await world.stop();
    world = undefined;
    let recording: Recording | undefined;
    try {
      recording = await recordOnce({
        artifact,
        module,
        root: options.root,
        label: "fuzz-record",
        tolerate: options.skipKnown ? knownOpen() : undefined,
      });
      const trips = onChainTrips(recording).flatMap(({ step, tx }) =>
        tx.events.trips.map((t) => ({
          step,
          invariant: t.invariant,
          expected: t.expected.toString(),
          actual: t.actual.toString(),
          action: t.actionName,
          tx: tx.label ?? tx.call,
          hash: tx.hash,
        })),
      );
      if (trips.length > 0) artifact.onChain = trips;
    } catch (error) {
      console.log(
        `fuzz: could not record the replay (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    const file = await writeArtifact(artifact, { dir: options.out });
    const relative = path.relative(process.cwd(), file);
    const shown = relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
    console.log(
      `\nFAILED after ${counterexample.numRuns} runs, shrunk in ${counterexample.numShrinks} steps to ` +
        `${counterexample.commands.length} commands:\n${formatFailure(counterexample.failure, counterexample.trace)}`,
    );
    if (recording) for (const line of formatTrips(recording)) console.log(line);
    console.log(`\nartifact: ${shown}`);
    if (recording) {
      // Beside the artifact, named after it.
      const report = file.replace(/\.json$/, ".html");
      await writeFile(report, renderHtmlReport(recording));
      const relativeReport = path.relative(process.cwd(), report);
      console.log(`report:   ${relativeReport.startsWith("..") ? report : relativeReport}`);
    }
    console.log(`replay:   npm run repro -- ${[shown, ...extraFlags(options)].map(shellQuote).join(" ")}`);
    const env = [`FUZZ_SEED=${counterexample.seed}`, `FUZZ_PATH=${counterexample.path}`];
    if (counterexample.replayPath) env.push(`FUZZ_REPLAY_PATH=${shellQuote(counterexample.replayPath)}`);
    const again = [
      "--scenario",
      options.scenario,
      "--max-commands",
      String(options.maxCommands),
      ...(options.target ? ["--target", options.target] : []),
      ...(options.skipKnown ? ["--skip-known"] : []),
      ...extraFlags(options),
    ];
    console.log(`re-run:   ${env.join(" ")} npm run fuzz -- ${again.map(shellQuote).join(" ")}`);
    return 1;
  } catch (error) {
    console.error(
      `fuzz: harness error (not a finding): ${error instanceof Error ? error.message : String(error)}`,
    );
    return 3;
  } finally {
    await world?.stop();
  }
}

function extraFlags(options: FuzzOptions): string[] {
  const flags: string[] = [];
  if (options.harness !== defaultHarnessModule) flags.push("--harness", options.harness);
  if (options.root !== undefined) flags.push("--root", options.root);
  return flags;
}

// Exit explicitly: the node is stopped in `finally`, and nothing else should keep the process alive.
process.exit(await fuzzMain(process.argv.slice(2)));
