// npm run fuzz -- [--runs N] [--seed S] [--scenario kind] [--time 10m] [--workers N] [--json] ...
// Only the argument parser loads before the arguments are checked: --help and usage errors answer at once, and
// the build step runs only when a source changed (tools/ensureBuild.mjs). The campaign itself is fuzzRun.ts;
// --workers runs several of them as child processes (fuzzWorkers.ts).
import { BuildError, ensureBuild } from "../../tools/ensureBuild.mjs";
import { type FuzzOptions, fuzzUsage, parseFuzzArgs, UsageError } from "./options.js";

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

  try {
    ensureBuild({ log: (line) => console.error(`fuzz: ${line}`) });
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    console.error(`fuzz: ${error.message}`);
    return 3;
  }

  // Ctrl-C: the first stops starting runs (the summary and the seed follow); a second stops at once.
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(130);
    console.error("\nfuzz: interrupted; finishing the current run (Ctrl-C again to stop at once)");
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  const { handleInterruptGracefully } = await import("../chain/liveNodes.js");
  handleInterruptGracefully();

  // Under --json stdout holds only the summary; every other line goes to stderr.
  const log = options.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  try {
    if (options.workers > 1) {
      const { runWorkers } = await import("./fuzzWorkers.js");
      const { exitCode, summary } = await runWorkers({ options, argv, signal: interrupt.signal, log });
      if (options.json) console.log(JSON.stringify(summary, null, 2));
      return exitCode;
    }
    const { runFuzz } = await import("./fuzzRun.js");
    const { exitCode, summary } = await runFuzz({ options, signal: interrupt.signal, log });
    if (options.json) console.log(JSON.stringify(summary, null, 2));
    return exitCode;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`fuzz: ${error.message}`);
    return 2;
  } finally {
    process.off("SIGINT", onSignal);
  }
}

// Exit explicitly: nodes are stopped by then, and nothing else should keep the process alive.
process.exit(await fuzzMain(process.argv.slice(2)));
