import { bindingsAreStale, regenerateBindings } from "../../tools/ensureBuild.mjs";

/**
 * Regenerates the typed ABIs (`npm run bindings`) when they are missing or older than the Foundry
 * build, so tests never type-check or run against the ABI of an earlier build. Runs after
 * requireBuild.globalSetup.ts.
 */
export default function freshBindings(): void {
  if (bindingsAreStale()) regenerateBindings();
}
