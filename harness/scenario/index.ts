import * as fc from "fast-check";
import type { ChainClients } from "../chain/clients.js";
import { Steering } from "../coverage/steering.js";
import { Speculation } from "../engine/speculation.js";
import { createFastChain, type FastChain } from "../fast/fastChain.js";
import { MarketModel } from "../model/market.js";
import { cloneState, type SystemState } from "../model/state.js";
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

function specOf(name: string): CommandSpec {
  const spec = (commandSpecs as Record<string, CommandSpec>)[name];
  if (!spec)
    throw new Error(
      `unknown command "${name}" in the weights (known: ${Object.keys(commandSpecs).join(", ")})`,
    );
  return spec;
}

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
  let fast: Promise<FastChain> | undefined;
  const fastChain = () => {
    fast ??= createFastChain({ url: parameters.clients.node.wsUrl }).then((chain) => {
      parameters.clients.node.onExit(() => chain.close());
      return chain;
    });
    return fast;
  };
  // Chain reads at the baseline, shared by every simulated run (Speculation.atBase).
  const baselineViews = new Map<string, Promise<unknown>>();
  return {
    world,
    // An incident measures P&L from the chain between its phases: it runs on mined blocks only.
    simulates: (kind: ScenarioKind) => !isIncidentKind(kind),
    commands: (kind: ScenarioKind, maxCommands: number, replayPath?: string, steering?: Steering) =>
      isIncidentKind(kind)
        ? incidentCommands(kind)
        : fc.commands([steering ? steeredArbitrary(steering) : commandArbitrary(kind)], {
            maxCommands,
            replayPath,
            size: "max",
          }),
    // An incident run is one scripted command: nothing to steer.
    steering: (kind: ScenarioKind) => new Steering(isIncidentKind(kind) ? {} : baseWeights(kind)),
    coverage: (real: World) => real.coverage,
    rebuild: (name: string, args: Record<string, JsonValue>) => rebuildCommand(name, args),
    async setup(options) {
      // A run on simulated blocks that mined none left the chain at the baseline: no revert needed.
      await baseline.reset({ chain: world.speculation?.chainTouched !== false });
      if (options?.simulate) world.speculation = new Speculation(await fastChain(), baselineViews);
      const port = new ModelAdapter(new MarketModel(cloneState(modelState)));
      const model: ScenarioModel = { port, actors: world.actors };
      return { model, real: world };
    },
    async endRun(real: World) {
      const s = real.speculation;
      if (!s) return;
      s.active = false;
      await s.flush({ commit: false });
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

/** The kind's drawable commands and their weights. */
function baseWeights(kind: CommandKind): Record<string, number> {
  return Object.fromEntries(
    Object.entries(weights[kind]).filter(([, weight]) => (weight ?? 0) > 0),
  ) as Record<string, number>;
}

/** One weighted choice over the kind's commands. */
export function commandArbitrary(kind: CommandKind): fc.Arbitrary<ScenarioCommand> {
  return weightedChoice(baseWeights(kind));
}

/**
 * One choice with the weights in force when the command is drawn: the choice is built at generation time, and
 * shrinking keeps the arbitrary it was drawn from (fast-check's chain), so a steered run shrinks like any other.
 */
function steeredArbitrary(steering: Steering): fc.Arbitrary<ScenarioCommand> {
  return fc.constant(null).chain(() => weightedChoice(steering.current));
}

function weightedChoice(weighted: Readonly<Record<string, number>>): fc.Arbitrary<ScenarioCommand> {
  const choices = Object.entries(weighted)
    .filter(([, weight]) => weight > 0)
    .map(([name, weight]) => ({
      weight,
      arbitrary: specOf(name).arbitrary as fc.Arbitrary<ScenarioCommand>,
    }));
  return fc.oneof(...choices);
}
