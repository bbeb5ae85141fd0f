// `npm run bench -- [--actions N] [--run-length N] [--modes a,b] [--no-forge] [--seed N] [--json]`: the harness's end-to-end
// throughput per mode (see harness/bench/modes.ts) next to forge's invariant runner on the same machine.
import { parseArgs } from "node:util";
import { formatCliStartup, measureCliStartup } from "../bench/cliStartup.js";
import { benchModes } from "../bench/modes.js";
import { BenchUsageError, runBench } from "../bench/runBench.js";
import { formatBenchTable } from "../bench/table.js";
import { killAllNodesSync } from "../chain/liveNodes.js";

const usage = `Usage: npm run bench -- [--actions N] [--run-length N] [--modes ${benchModes.map((m) => m.id).join(",")}] [--no-forge] [--seed N] [--json]

  --actions N    actions per mode (default 1000)
  --run-length N actions per run; every run starts from the baseline (default 50)
  --modes LIST   comma-separated mode ids (default: all)
  --no-forge     skip forge's invariant runner
  --seed N       seed of the action sequence (default 1)
  --json         print the report as JSON instead of a table`;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${usage}\n`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      actions: { type: "string" },
      "run-length": { type: "string" },
      modes: { type: "string" },
      "no-forge": { type: "boolean" },
      seed: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const integer = (name: string, fallback: number) => {
  const text = values[name];
  if (text === undefined) return fallback;
  if (typeof text !== "string" || !/^\d+$/.test(text) || Number(text) < 1)
    fail(`--${name} must be a positive integer`);
  return Number(text);
};
const actions = integer("actions", 1000);
const seed = integer("seed", 1);
const runLength = integer("run-length", 50);
const modes = typeof values.modes === "string" ? values.modes.split(",").filter(Boolean) : undefined;
const json = values.json === true;

try {
  const report = await runBench({
    actions,
    runLength,
    seed,
    modes,
    forge: values["no-forge"] !== true,
    onProgress: json ? undefined : (line) => process.stderr.write(`bench: ${line}\n`),
  });
  const startup = await measureCliStartup();
  process.stdout.write(
    json
      ? `${JSON.stringify({ ...report, cliStartup: startup }, null, 2)}\n`
      : `${formatBenchTable(report)}\n${formatCliStartup(startup)}\n`,
  );
  process.exit(report.rows.some((r) => r.error) ? 1 : 0);
} catch (error) {
  if (error instanceof BenchUsageError) fail(error.message);
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  killAllNodesSync();
  process.exit(1);
}
