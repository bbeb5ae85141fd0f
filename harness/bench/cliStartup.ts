// How fast the fuzz command answers before doing any work (`--help`, a bad argument), next to `tsx` starting an
// empty script in the same run: the floor any TypeScript command line here pays.
import path from "node:path";
import { execa } from "execa";
import { repoRoot } from "../chain/foundryBinary.js";

export type CliStartupResult = {
  /** Median wall time over `samples` tries, ms. */
  helpMs: number;
  badArgumentMs: number;
  /** `tsx` running an empty module: the baseline. */
  tsxMs: number;
  samples: number;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function timed(args: string[], expectExit: number): Promise<number> {
  const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
  const started = performance.now();
  const result = await execa(tsx, args, { cwd: repoRoot, reject: false, stdin: "ignore" });
  const ms = performance.now() - started;
  if (result.exitCode !== expectExit) {
    throw new Error(
      `${args.join(" ")} exited ${result.exitCode}, expected ${expectExit}: ${String(result.stderr)}`,
    );
  }
  return ms;
}

export async function measureCliStartup(samples = 3): Promise<CliStartupResult> {
  const fuzz = path.join(repoRoot, "harness", "cli", "fuzz.ts");
  const empty = path.join(repoRoot, "harness", "bench", "emptyModule.ts");
  const help: number[] = [];
  const bad: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < samples; i++) {
    base.push(await timed([empty], 0));
    help.push(await timed([fuzz, "--help"], 0));
    bad.push(await timed([fuzz, "--runs", "many"], 2));
  }
  return { helpMs: median(help), badArgumentMs: median(bad), tsxMs: median(base), samples };
}

export function formatCliStartup(r: CliStartupResult): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return (
    `fuzz CLI startup (median of ${r.samples}): --help ${s(r.helpMs)}, bad argument ${s(r.badArgumentMs)}; ` +
    `tsx on an empty module ${s(r.tsxMs)} (--help = ${(r.helpMs / r.tsxMs).toFixed(2)}× that floor)`
  );
}
