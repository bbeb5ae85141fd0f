// npm run repro -- <artifact.json>: replays a failure artifact on a fresh node.

import { formatTrips, formatTx } from "../repro/describe.js";
import { reproOutputs } from "../repro/outputs.js";
import type { Recording } from "../repro/recording.js";
import { recordSession } from "../repro/session.js";
import { ArtifactError, type FailureArtifact, readArtifact, toolVersions } from "../runner/artifact.js";
import { knownOpen } from "../runner/knownOpen.js";
import { HarnessModuleError, loadHarnessModule } from "../runner/loadHarness.js";
import type { ChainWorld } from "../runner/world.js";
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
  for (const [name, address] of Object.entries(recording.addresses))
    console.log(`  ${name.padEnd(14)} ${address}`);
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
