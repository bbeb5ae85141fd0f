/**
 * Commands whose plan depends on reading the real chain mid-command, so they cannot run on simulated
 * blocks: the Safe/timelock flows (they read the Safe's nonce, the operation hash and the timelock's delay).
 * The engine simulates, checks and mines what is pending, and runs them on mined blocks. (The keeper runs
 * on simulated blocks with the model's reads: scenario/world/keepers.ts.) A command missing here that reads
 * the chain anyway is refused at the read (SpeculationError), so its run is repeated on mined blocks rather
 * than checked against a stale read.
 */
const readers: ReadonlySet<string> = new Set(["guardianEscalate", "govRace", "timelockAction"]);

/** Whether the command must run on the real chain (see readers). */
export function readsChain(command: { name: string }): boolean {
  return readers.has(command.name);
}
