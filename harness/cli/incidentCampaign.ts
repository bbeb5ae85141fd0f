// `npm run fuzz -- --scenario incidents` (or `incident:<name>`): for each incident, its post-mortem playbook
// once, then a fuzzing campaign around it; prints the attacker's and each honest LP's P&L and what stopped
// the attack, and writes an artifact for each incident whose promise broke.
import path from "node:path";
import * as fc from "fast-check";
import { createArtifact, writeArtifact } from "../runner/artifact.js";
import { recordRuns, toFailureInfo } from "../runner/failure.js";
import { knownOpen } from "../runner/knownOpen.js";
import { runCampaign } from "../runner/run.js";
import { startChainWorld } from "../runner/world.js";
import {
  type FailureInfo,
  type IncidentKind,
  type IncidentName,
  incidentNames,
} from "../scenario/contract.js";
import { incidents } from "../scenario/incidents/library.js";
import { describeStoppers, type IncidentOutcome, takeOutcome, usd } from "../scenario/incidents/outcome.js";
import { createScenarioHarness, type ScenarioHarnessReturnType } from "../scenario/index.js";
import type { FuzzOptions } from "./options.js";
import { formatFailure, shellQuote } from "./report.js";

export type PlaybookResult = { outcome: IncidentOutcome | undefined; failure: FailureInfo | undefined };

/**
 * One incident's post-mortem playbook (its canonical args) from the baseline, with the corpus's open bugs let
 * pass on the way (the incident's own promises decide).
 */
export async function runPlaybook(
  harness: ScenarioHarnessReturnType,
  name: IncidentName,
  args: Record<string, unknown> = incidents[name].canonical,
): Promise<PlaybookResult> {
  harness.tolerate?.(knownOpen());
  const command = harness.rebuild("incident", { ...(args as object), incident: name } as never);
  const world = await harness.setup();
  let failure: FailureInfo | undefined;
  try {
    await fc.asyncModelRun(() => world, recordRuns([command], []));
  } catch (error) {
    failure = toFailureInfo(error, world.real.steps.length - 1);
    if (!failure) throw error;
  }
  return { outcome: takeOutcome(harness.world), failure };
}

/** One line per outcome: "attacker +$12,345 (bound $400,000); lp0 -$1,234, lp1 +$56 (bound ...); stopped by ...". */
export function formatOutcome(o: IncidentOutcome): string {
  const lps = o.lpPnl.map(
    (lp, i) => `${lp.role} ${usd(lp.pnl)} (loss bound ${usd(o.lpLossBounds[i] ?? 0n, false)})`,
  );
  return [
    `attacker ${usd(o.attackerPnl)} (bound ${usd(o.attackerBound, false)} of a ${usd(o.poolEquity, false)} pool)`,
    lps.join(", "),
    ...(o.honestTraderPnl !== 0n ? [`honest traders ${usd(o.honestTraderPnl)}`] : []),
    `stopped by: ${describeStoppers(o.stoppers)}`,
    ...(o.broken.length > 0 ? [`broken: ${o.broken.join(", ")}`] : []),
    ...(o.tolerated.length > 0 ? [`known open bugs met: ${o.tolerated.join(", ")}`] : []),
  ].join("; ");
}

export type IncidentReport = {
  name: IncidentName;
  playbook: PlaybookResult;
  runs: number;
  worst: IncidentOutcome | undefined;
  failure: { invariant: string; artifact: string } | undefined;
};

/** The incident campaigns: the CLI's `--scenario incidents | incident:<name>`. */
export async function runIncidents(parameters: {
  options: FuzzOptions;
  signal?: AbortSignal | undefined;
  log: (line: string) => void;
}): Promise<{ exitCode: 0 | 1 | 130; reports: IncidentReport[] }> {
  const { options, log, signal } = parameters;
  const kind = options.scenario as IncidentKind;
  const names = kind === "incidents" ? incidentNames : [kind.slice("incident:".length) as IncidentName];
  const chain = await startChainWorld({ label: "incidents", root: options.root });
  const reports: IncidentReport[] = [];
  try {
    const harness = await createScenarioHarness({ clients: chain.clients, system: chain.system });
    for (const name of names) {
      if (signal?.aborted) break;
      const started = Date.now();
      const incident = incidents[name];
      log(`\n${incident.title} [${name}]: ${incident.attack}`);
      log(`  source: ${incident.source.title} <${incident.source.url}>`);
      const playbook = await runPlaybook(harness, name);
      log(`  playbook: ${playbook.failure ? `FAILS ${playbook.failure.invariant}` : "passes"}`);
      if (playbook.outcome) log(`    ${formatOutcome(playbook.outcome)}`);

      let worst: IncidentOutcome | undefined;
      const result = await runCampaign({
        harness,
        scenario: `incident:${name}`,
        seed: options.seed,
        runs: options.runs,
        maxCommands: 1,
        timeBudgetMs: options.timeBudgetMs,
        shrinkBudgetMs: options.shrinkBudgetMs ?? 30_000,
        tolerate: knownOpen(),
        signal,
        onRun: () => {
          const outcome = takeOutcome(harness.world);
          if (outcome && (!worst || outcome.attackerPnl > worst.attackerPnl)) worst = outcome;
        },
      });
      const runs = result.status === "passed" ? result.numRuns : result.counterexample.numRuns;
      let failure: IncidentReport["failure"];
      if (result.status === "failed") {
        const c = result.counterexample;
        const artifact = await createArtifact({
          counterexample: c,
          scenario: `incident:${name}`,
          maxCommands: 1,
        });
        const file = await writeArtifact(artifact, { dir: options.out });
        failure = { invariant: c.failure.invariant, artifact: path.relative(process.cwd(), file) };
        log(
          `  fuzz (${runs} runs, seed ${options.seed}): FAILED\n${indent(formatFailure(c.failure, c.trace))}`,
        );
        log(`    replay: npm run repro -- ${shellQuote(failure.artifact)}`);
      } else {
        log(`  fuzz (${runs} runs, seed ${options.seed}): passed`);
      }
      if (worst) log(`    worst run for the pool: ${formatOutcome(worst)}`);
      log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      reports.push({ name, playbook, runs, worst, failure });
    }
  } finally {
    await chain.stop();
  }
  const failed = reports.filter((r) => r.failure || r.playbook.failure);
  log(`\nincidents: ${reports.length - failed.length} of ${reports.length} held their bounds`);
  for (const r of failed) log(`  ${r.name}: ${r.failure?.invariant ?? r.playbook.failure?.invariant}`);
  if (signal?.aborted) return { exitCode: 130, reports };
  return { exitCode: failed.length > 0 ? 1 : 0, reports };
}

const indent = (text: string) =>
  text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
