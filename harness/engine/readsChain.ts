import type { JsonValue } from "../scenario/contract.js";

type Args = Record<string, JsonValue>;

/**
 * Commands whose plan depends on reading the real chain mid-command, so they cannot run on simulated
 * blocks: the project's keeper (it reads the Lens, the oracle and logs, and sends on its own) and the
 * Safe/timelock flows (they read the Safe's nonce and the operation hash). The engine mines what is
 * pending and runs them for real. A command missing here that reads the chain anyway is refused at the read
 * (SpeculationError), so its run is repeated on the real chain rather than checked against a stale read.
 */
const readers: Record<string, (args: Args) => boolean> = {
  keeperTick: () => true,
  crash: (a) => a.keeper !== "absent",
  cascade: (a) => readers.crash?.((a.crash ?? {}) as Args) ?? true,
  flatRounds: (a) => a.keeper === true,
  guardianEscalate: () => true,
  govRace: () => true,
  timelockAction: () => true,
};

/** Whether the command must run on the real chain (see readers). */
export function readsChain(command: { name: string; args(): Args }): boolean {
  return readers[command.name]?.(command.args()) ?? false;
}
