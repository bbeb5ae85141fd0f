import type { JsonValue } from "../scenario/contract.js";

type Args = Record<string, JsonValue>;

/**
 * Commands whose plan depends on reading the real chain mid-command, so they cannot run on simulated
 * blocks: the Safe/timelock flows (they read the Safe's nonce, the operation hash and the timelock's delay).
 * The keeper runs on simulated blocks with the model's reads (scenario/world/keepers.ts). The engine mines what is
 * pending and runs them for real. A command missing here that reads the chain anyway is refused at the read
 * (SpeculationError), so its run is repeated on the real chain rather than checked against a stale read.
 */
const readers: Record<string, (args: Args) => boolean> = {
  guardianEscalate: () => true,
  govRace: () => true,
  timelockAction: () => true,
};

/** Whether the command must run on the real chain (see readers). */
export function readsChain(command: { name: string; args(): Args }): boolean {
  return readers[command.name]?.(command.args()) ?? false;
}
