// npm run repro -- <artifact.json>: replays a failure artifact on a fresh node.

import { BuildError, ensureBuild } from "../../tools/ensureBuild.mjs";
import type { Recording } from "../repro/recording.js";
import type { FailureArtifact } from "../runner/artifact.js";
import type { HarnessModule } from "../runner/loadHarness.js";
import type { ChainWorld } from "../runner/world.js";
import { parseReproArgs, type ReproOptions, reproUsage, UsageError } from "./options.js";

// Only the argument parser loads before the arguments are checked (--help and usage errors answer at once);
// the build runs only when a source changed, and the replay's modules load after it.
export async function reproMain(argv: readonly string[]): Promise<number> {
  let options: ReproOptions;
  try {
    const parsed = parseReproArgs(argv);
    if (parsed.help) {
      console.log(reproUsage);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`repro: ${error.message}\n\n${reproUsage}`);
    return 2;
  }
  const { ArtifactError, readArtifact, toolVersions } = await import("../runner/artifact.js");
  let artifact: FailureArtifact;
  try {
    artifact = await readArtifact(options.artifact);
  } catch (error) {
    if (!(error instanceof ArtifactError)) throw error;
    console.error(`repro: ${error.message}`);
    return 2;
  }
  try {
    ensureBuild({ log: (line) => console.error(`repro: ${line}`) });
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    console.error(`repro: ${error.message}`);
    return 3;
  }
  const { formatTrips, formatTx } = await import("../repro/describe.js");
  const { reproOutputs } = await import("../repro/outputs.js");
  const { recordSession } = await import("../repro/session.js");
  const { knownOpen } = await import("../runner/knownOpen.js");
  const { HarnessModuleError, loadHarnessModule } = await import("../runner/loadHarness.js");
  const { formatFailure } = await import("./report.js");

  let module: HarnessModule;
  try {
    module = await loadHarnessModule(options.harness);
  } catch (error) {
    if (!(error instanceof ArtifactError || error instanceof HarnessModuleError)) throw error;
    console.error(`repro: ${error.message}`);
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
    const session = await recordSession({
      artifact,
      module,
      root: options.root,
      onNode: (w) => {
        world = w;
        console.log(`repro: anvil pid ${w.clients.node.pid ?? "?"} at ${w.clients.node.httpUrl}`);
      },
      onTx: (tx, step) => console.log(`  [${step}] ${formatTx(tx)}`),
      // The corpus's other open bugs pass on the way, as in npm test: this artifact's own failure is what counts.
      tolerate: knownOpen(),
    });
    const { recording } = session;
    const result = recording.result;
    let code: number;
    if (result.status === "fixed") {
      console.log(`\nFIXED: all ${result.ran.length} commands ran and every check passed.`);
      if (artifact.expectFailure) {
        console.log(
          `This artifact is marked expectFailure (${artifact.expectFailure.reason}): remove the mark.`,
        );
      }
      code = 0;
    } else {
      const headline =
        result.status === "reproduced"
          ? "REPRODUCED: the failure is still there."
          : `DIFFERENT FAILURE: expected ${artifact.failure.invariant}, got ${result.failure.invariant}.`;
      console.log(`\n${headline}\n${formatFailure(result.failure, result.trace)}`);
      for (const line of formatTrips(recording)) console.log(line);
      code = 1;
    }
    await reproOutputs({ options, recording, world: session.world, log: (line) => console.log(line) });
    if (options.keepNode) {
      await keepNode(session.world, recording);
    }
    return code;
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

/** Prints how to reach the node and waits for Ctrl-C (SIGINT) or SIGTERM; the caller stops the node. */
async function keepNode(world: ChainWorld, recording: Recording): Promise<void> {
  const url = world.clients.node.httpUrl;
  console.log(
    `\nnode kept running: ${url} (pid ${world.clients.node.pid ?? "?"}), chain id ${world.clients.chain.id}`,
  );
  const { formatAddresses } = await import("../repro/describe.js");
  for (const line of formatAddresses(recording)) console.log(line);
  const market = recording.addresses.market;
  console.log(
    `try:  cast call ${market} "mode()(uint8)" --rpc-url ${url}\n` +
      `      cast run <tx hash> --rpc-url ${url}\n` +
      "      (cast is not a project dependency: npx -p @foundry-rs/cast@1.7.1 cast …)\n" +
      "Ctrl-C stops the node.",
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  console.log("repro: stopping the node");
}

process.exit(await reproMain(process.argv.slice(2)));
