import * as fc from "fast-check";
import type { ChainClients } from "../chain/clients.js";
import { Speculation } from "../engine/speculation.js";
import { createFastChain, type FastChain } from "../fast/fastChain.js";
import { MarketModel } from "../model/market.js";
import type { SystemState } from "../model/state.js";
import type { System } from "../system/system.js";
import type { CommandSpec } from "./commands/base.js";
import { commandSpecs, rebuildCommand } from "./commands/registry.js";
import type { JsonValue, ScenarioHarness, ScenarioKind } from "./contract.js";
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
  let fast: Promise<FastChain> | undefined;
  const fastChain = () => {
    fast ??= createFastChain({ url: parameters.clients.node.wsUrl }).then((chain) => {
      parameters.clients.node.onExit(() => chain.close());
      return chain;
    });
    return fast;
  };
  return {
    world,
    simulates: true,
    commands: (kind: ScenarioKind, maxCommands: number, replayPath?: string) =>
      fc.commands([commandArbitrary(kind)], { maxCommands, replayPath, size: "max" }),
    rebuild: (name: string, args: Record<string, JsonValue>) => rebuildCommand(name, args),
    async setup(options) {
      await baseline.reset();
      if (options?.simulate) world.speculation = new Speculation(await fastChain());
      const port = new ModelAdapter(new MarketModel(structuredClone(modelState)));
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

/** One weighted choice over the kind's commands. */
export function commandArbitrary(kind: ScenarioKind): fc.Arbitrary<ScenarioCommand> {
  const choices = Object.entries(weights[kind])
    .filter(([, weight]) => (weight ?? 0) > 0)
    .map(([name, weight]) => ({
      weight: weight as number,
      arbitrary: (commandSpecs as Record<string, CommandSpec>)[name]
        ?.arbitrary as fc.Arbitrary<ScenarioCommand>,
    }));
  return fc.oneof(...choices);
}
