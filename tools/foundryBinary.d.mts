/** The repository root. */
export declare const repoRoot: string;
/** The tools `foundryBinary` resolves. */
export declare const foundryTools: readonly ["forge", "anvil"];
export type FoundryTool = (typeof foundryTools)[number];
/** Thrown when a Foundry tool's native binary is missing or not executable; says how to install it. */
export declare class FoundryBinaryNotFoundError extends Error {
  readonly tool: FoundryTool;
  constructor(tool: FoundryTool, detail: string);
}
/**
 * The native executable of a Foundry tool (not the npm wrapper, which exits 0 whatever forge returns).
 * @param tool forge or anvil
 * @param root the project whose node_modules to search (default: this repository)
 */
export declare function foundryBinary(tool: FoundryTool, root?: string): string;
