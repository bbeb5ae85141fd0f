import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ScenarioHarness } from "../scenario/contract.js";
import type { ChainWorld } from "./world.js";

// biome-ignore lint/suspicious/noExplicitAny: the runner is generic over whatever model and world a harness uses.
export type AnyHarness = ScenarioHarness<any, any>;

/** What a harness module exports: the CLIs build the harness on a freshly deployed world. */
export type HarnessModule = { createHarness(world: ChainWorld): Promise<AnyHarness> };

/** The project's harness module, used unless a CLI is given --harness. */
export const defaultHarnessModule = "harness/runner/defaultHarness.ts";

export class HarnessModuleError extends Error {
  override name = "HarnessModuleError";
}

/** Imports a harness module (a path relative to the working directory, or absolute). */
export async function loadHarnessModule(modulePath: string): Promise<HarnessModule> {
  const url = pathToFileURL(path.resolve(modulePath)).href;
  let loaded: Partial<HarnessModule>;
  try {
    loaded = (await import(url)) as Partial<HarnessModule>;
  } catch (error) {
    throw new HarnessModuleError(`cannot load harness module ${modulePath}: ${(error as Error).message}`);
  }
  if (typeof loaded.createHarness !== "function") {
    throw new HarnessModuleError(`harness module ${modulePath} does not export createHarness(world)`);
  }
  return loaded as HarnessModule;
}
