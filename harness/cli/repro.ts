// npm run repro -- <artifact.json>: replays a failure artifact on a fresh node.
import { ArtifactError, type FailureArtifact, readArtifact, toolVersions } from "../runner/artifact.js";
import { knownOpen } from "../runner/knownOpen.js";
import { HarnessModuleError, loadHarnessModule } from "../runner/loadHarness.js";
import { replayArtifact } from "../runner/replay.js";
import { type ChainWorld, startChainWorld } from "../runner/world.js";
import { parseReproArgs, type ReproOptions, reproUsage, UsageError } from "./options.js";
import { formatFailure } from "./report.js";

export async function reproMain(argv: readonly string[]): Promise<number> {
  let options: ReproOptions;
  let artifact: FailureArtifact;
  let module: Awaited<ReturnType<typeof loadHarnessModule>>;
  try {
    const parsed = parseReproArgs(argv);
    if (parsed.help) {
      console.log(reproUsage);
      return 0;
    }
    options = parsed;
    artifact = await readArtifact(options.artifact);
    module = await loadHarnessModule(options.harness);
  } catch (error) {
    if (error instanceof UsageError) console.error(`repro: ${error.message}\n\n${reproUsage}`);
    else if (error instanceof ArtifactError || error instanceof HarnessModuleError)
      console.error(`repro: ${error.message}`);
    else throw error;
    return 2;
  }

  console.log(
    `repro: ${artifact.failure.invariant} (scenario ${artifact.scenario}, seed ${artifact.seed}, ` +
      `${artifact.commands.length} commands), written ${artifact.createdAt} by harness ${artifact.harnessVersion}`,
  );
  const tools = await toolVersions();
  for (const [tool, version] of Object.entries(artifact.tools)) {
    const now = tools[tool as keyof typeof tools];
    if (now !== version) console.log(`repro: note: ${tool} was ${version}, is now ${now}`);
  }

  let world: ChainWorld | undefined;
  try {
    world = await startChainWorld({ label: "repro", root: options.root });
    console.log(`repro: anvil pid ${world.clients.node.pid ?? "?"} at ${world.clients.node.httpUrl}`);
    const harness = await module.createHarness(world);
    // The corpus's other open bugs pass on the way, as in npm test: this artifact's own failure is what counts.
    const result = await replayArtifact(artifact, harness, knownOpen());
    if (result.status === "fixed") {
      console.log(`\nFIXED: all ${result.ran.length} commands ran and every check passed.`);
      if (artifact.expectFailure) {
        console.log(
          `This artifact is marked expectFailure (${artifact.expectFailure.reason}): remove the mark.`,
        );
      }
      return 0;
    }
    const headline =
      result.status === "reproduced"
        ? "REPRODUCED: the failure is still there."
        : `DIFFERENT FAILURE: expected ${artifact.failure.invariant}, got ${result.failure.invariant}.`;
    console.log(`\n${headline}\n${formatFailure(result.failure, result.trace)}`);
    return 1;
  } catch (error) {
    if (error instanceof ArtifactError) {
      console.error(`repro: ${error.message}`);
      return 2;
    }
    console.error(
      `repro: harness error (not a finding): ${error instanceof Error ? error.message : String(error)}`,
    );
    return 3;
  } finally {
    await world?.stop();
  }
}

process.exit(await reproMain(process.argv.slice(2)));
