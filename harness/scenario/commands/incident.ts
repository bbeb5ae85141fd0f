import * as fc from "fast-check";
import { type IncidentName, incidentNames } from "../contract.js";
import { incidents } from "../incidents/library.js";
import { judgeIncident, measureStart } from "../incidents/outcome.js";
import { IncidentRun } from "../incidents/run.js";
import type { ScenarioModel } from "../step.js";
import type { World } from "../world/world.js";
import { oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { incident: IncidentName } & Record<string, import("../contract.js").JsonValue>;

/**
 * One incident of the library (harness/scenario/incidents/), played from the baseline: its phases are steps
 * of their own (every check after each), then the attacker's and each honest LP's P&L are measured from the
 * chain and held to the incident's bounds.
 */
export class IncidentCommand extends Command<Args> {
  readonly name = "incident";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.mode() === 0;
  }
  override async run(m: ScenarioModel, w: World): Promise<void> {
    const incident = incidents[this.a.incident];
    const params = incident.parse(this.a);
    const run = new IncidentRun(m, w, this, params, incident.sock ?? false);
    await incident.play(run, params);
    if (!run.started || !run.last) throw new Error(`incident ${incident.name} did not run its setup`);
    judgeIncident(run, incident, measureStart(run, run.started), run.last);
    run.verdict();
  }
  /** Unused: an incident's phases are steps of their own (run above). */
  async act(): Promise<void> {
    throw new Error("an incident runs its own steps");
  }
  toString() {
    return `incident(${this.a.incident})`;
  }
}

export const incident: CommandSpec = {
  name: "incident",
  build: (args) => {
    const name = oneOf(args, "incident", incidentNames);
    incidents[name].parse(args);
    return new IncidentCommand({ ...args, incident: name });
  },
  arbitrary: fc.constantFrom(...incidentNames).chain((name) => incidentArbitrary(name)),
};

/** One incident's commands with the fuzzer's variations of its playbook. */
export function incidentArbitrary(name: IncidentName): fc.Arbitrary<IncidentCommand> {
  return incidents[name].arbitrary.map((p) => new IncidentCommand({ ...p, incident: name }));
}
