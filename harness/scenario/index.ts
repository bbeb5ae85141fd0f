import * as fc from "fast-check";
import type { ChainClients } from "../chain/clients.js";
import { MarketModel } from "../model/market.js";
import type { SystemState } from "../model/state.js";
import type { System } from "../system/system.js";
import type { CommandSpec } from "./commands/base.js";
import { incidentArbitrary } from "./commands/incident.js";
import { commandSpecs, rebuildCommand } from "./commands/registry.js";
import {
  type CommandKind,
  type IncidentKind,
  type IncidentName,
  incidentNames,
  isIncidentKind,
  type JsonValue,
  type ScenarioHarness,
  type ScenarioKind,
} from "./contract.js";
import { ModelAdapter } from "./model/adapter.js";
import type { ScenarioCommand, ScenarioModel } from "./step.js";
import { weights } from "./weights.js";
import { createWorld, type World } from "./world/world.js";

export type { ScenarioModel } from "./step.js";
export type { World } from "./world/world.js";

export type CreateScenarioHarnessParameters = {
  /** A node with the system freshly deployed (runner/world.ts startChainWorld gives exactly that). */
  clients: ChainClients;
  system: System;
};

export type ScenarioHarnessReturnType = ScenarioHarness<ScenarioModel, World> & {
  /** The real world (for tests that tamper with the chain). */
  readonly world: World;
};

/**
 * The scenario layer for the runner: funds the actors on a fresh deployment (through the model too),
 * takes the baseline, and hands out commands per scenario kind. setup() rewinds chain, world and model
 * to the baseline for every run.
 */
export async function createScenarioHarness(
  parameters: CreateScenarioHarnessParameters,
): Promise<ScenarioHarnessReturnType> {
  const baseline = await createWorld(parameters);
  const { world } = baseline;
  const modelState: SystemState = baseline.modelState;
  return {
    world,
    commands: (kind: ScenarioKind, maxCommands: number, replayPath?: string) =>
      isIncidentKind(kind)
        ? incidentCommands(kind)
        : fc.commands([commandArbitrary(kind)], { maxCommands, replayPath, size: "max" }),
    rebuild: (name: string, args: Record<string, JsonValue>) => rebuildCommand(name, args),
    async setup() {
      await baseline.reset();
      const port = new ModelAdapter(new MarketModel(structuredClone(modelState)));
      const model: ScenarioModel = { port, actors: world.actors };
      return { model, real: world };
    },
    trace: (real: World) => real.steps,
    stats: (real: World) => ({ modes: [...real.modesSeen], worstHealth: real.worstHealth }),
    tolerate(predicate) {
      world.tolerate = predicate;
    },
  };
}

/**
 * An incident run is one incident from the baseline (a sequence of one command: its phases are the steps);
 * `incidents` draws which one.
 */
function incidentCommands(kind: IncidentKind): fc.Arbitrary<ScenarioCommand[]> {
  const names: readonly IncidentName[] =
    kind === "incidents" ? incidentNames : [kind.slice("incident:".length) as IncidentName];
  return fc.constantFrom(...names).chain((name) => incidentArbitrary(name).map((command) => [command]));
}

/** One weighted choice over the kind's commands. */
export function commandArbitrary(kind: CommandKind): fc.Arbitrary<ScenarioCommand> {
  const choices = Object.entries(weights[kind])
    .filter(([, weight]) => (weight ?? 0) > 0)
    .map(([name, weight]) => ({
      weight: weight as number,
      arbitrary: (commandSpecs as Record<string, CommandSpec>)[name]
        ?.arbitrary as fc.Arbitrary<ScenarioCommand>,
    }));
  return fc.oneof(...choices);
}
