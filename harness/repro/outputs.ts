// What `npm run repro` makes of a recording on request: the failing call trace, a Foundry test, an HTML report.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "../chain/foundryBinary.js";
import type { ChainWorld } from "../runner/world.js";
import { formatCallTrace } from "./callTrace.js";
import { failingTx, formatTx } from "./describe.js";
import { ForgeTestError, writeForgeTest } from "./forgeTest.js";
import { writeHtmlReport } from "./htmlReport.js";
import type { Recording } from "./recording.js";

export type ReproOutputOptions = {
  artifact: string;
  root?: string | undefined;
  forge: boolean;
  trace: boolean;
  html: boolean;
};

export const defaultReportsDir = path.join(repoRoot, ".fuzz", "reports");

/** Prints the trace, writes the Foundry test and the HTML report, as the options ask. Returns the files written. */
export async function reproOutputs(parameters: {
  options: ReproOutputOptions;
  recording: Recording;
  world: ChainWorld;
  log: (line: string) => void;
}): Promise<string[]> {
  const { options, recording, world, log } = parameters;
  const written: string[] = [];
  if (options.trace) {
    const tx = failingTx(recording);
    if (!tx) log("\ntrace: the failing step sent no transaction");
    else {
      log(`\ncall trace of step ${recording.failure.step}: ${formatTx(tx)}`);
      log(await formatCallTrace(world.clients, recording.addresses, tx.hash, recording.roles));
    }
  }
  if (options.forge) {
    try {
      const test = writeForgeTest(recording, { source: path.relative(process.cwd(), options.artifact) });
      const dir = path.join(options.root ?? repoRoot, "test", "regressions");
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, test.fileName);
      await writeFile(file, test.source);
      written.push(file);
      log(`\nFoundry test: ${shown(file)}`);
      log(`run it:       npx forge test --match-contract ${test.name} -vvvv`);
    } catch (error) {
      // A property without a Solidity translation is a gap in the writer, not a failed replay.
      if (!(error instanceof ForgeTestError)) throw error;
      log(`\nFoundry test: not written: ${error.message}`);
    }
  }
  if (options.html) {
    const file = await writeHtmlReport(recording, { dir: defaultReportsDir });
    written.push(file);
    log(`\nHTML report:  ${shown(file)}`);
  }
  return written;
}

function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith("..") ? file : relative;
}
