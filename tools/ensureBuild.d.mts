/** A build step failed or could not start; the tool's own output was already printed. */
export declare class BuildError extends Error {}
/** Whether `forge build` must run in `root`: no build yet, or a source or configuration file newer than the last one. */
export declare function buildIsStale(root?: string): boolean;
/** Whether src-ts/generated/abis.ts is missing or older than the newest artifact in out/. */
export declare function bindingsAreStale(root?: string): boolean;
/** Regenerates src-ts/generated/abis.ts from out/ (`npm run bindings`); throws BuildError on failure. */
export declare function regenerateBindings(root?: string): void;
export type EnsureBuildOptions = {
  /** The Foundry project (default: this repository). */
  root?: string;
  /** Also keep src-ts/generated/abis.ts current (default: only when root is this repository). */
  bindings?: boolean;
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
};
/** Runs `forge build` and regenerates the typed ABIs only when needed; throws BuildError on failure. */
export declare function ensureBuild(options?: EnsureBuildOptions): { built: boolean; bindings: boolean };
