import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Abi, Hex } from "viem";
import { repoRoot } from "./foundryBinary.js";

export type ArtifactErrorKind = "missing-build" | "missing-contract" | "ambiguous-contract" | "malformed";

/** Every way an artifact can fail to load, with the fix in the message. */
export class ArtifactError extends Error {
  override name = "ArtifactError";
  readonly kind: ArtifactErrorKind;
  constructor(kind: ArtifactErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

export type FoundryArtifact<abi extends Abi = Abi> = {
  contractName: string;
  /** The source file name as Foundry names the out/ folder, e.g. "Market.sol". */
  sourceFile: string;
  /** Absolute path of the JSON file it was read from. */
  artifactPath: string;
  abi: abi;
  /** Creation bytecode; "0x" for interfaces and abstract contracts. */
  bytecode: Hex;
  /** Library placeholders still in the bytecode (non-empty means it must be linked before deploying). */
  linkReferences: Record<string, unknown>;
};

export type LoadArtifactParameters = {
  /** Contract name, e.g. "Market". */
  contract: string;
  /**
   * Source file name ("Market.sol"). Defaults to `<contract>.sol`; if that folder has no such contract,
   * out/ is searched and a single match elsewhere is used.
   */
  file?: string | undefined;
  /** Foundry's out directory; defaults to <repo>/out. */
  outDir?: string | undefined;
};

export type LoadArtifactReturnType = FoundryArtifact;

export const defaultOutDir = path.join(repoRoot, "out");

const buildHint = "run `forge build` (npm run build)";

/** Reads `out/<File>.sol/<Contract>.json` as written by `forge build`. */
export async function loadArtifact(parameters: LoadArtifactParameters): Promise<LoadArtifactReturnType> {
  const { contract } = parameters;
  const outDir = parameters.outDir ?? defaultOutDir;
  await assertBuildExists(outDir);

  const file = parameters.file ?? `${contract}.sol`;
  let artifactPath = path.join(outDir, file, `${contract}.json`);
  if (!(await isFile(artifactPath))) {
    const candidates = await findContract(outDir, contract);
    if (parameters.file !== undefined || candidates.length === 0) {
      throw new ArtifactError(
        "missing-contract",
        `no artifact for contract ${contract} at ${path.relative(process.cwd(), artifactPath)}` +
          (candidates.length ? ` (found in: ${candidates.join(", ")})` : "") +
          `. Check the name, or ${buildHint} if the contract is new.`,
      );
    }
    if (candidates.length > 1) {
      throw new ArtifactError(
        "ambiguous-contract",
        `contract ${contract} exists in several source files (${candidates.join(", ")}); pass \`file\``,
      );
    }
    artifactPath = path.join(outDir, candidates[0] as string, `${contract}.json`);
  }
  return parseArtifact(artifactPath, contract, await readFile(artifactPath, "utf8"));
}

/** Validates the JSON text of a Foundry artifact. Exported for callers that read artifacts themselves. */
export function parseArtifact(artifactPath: string, contract: string, text: string): FoundryArtifact {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ArtifactError(
      "malformed",
      `${artifactPath} is not valid JSON (${(error as Error).message}); ${buildHint} to regenerate it`,
      { cause: error },
    );
  }
  const malformed = (what: string) =>
    new ArtifactError(
      "malformed",
      `${artifactPath} is not a Foundry artifact: ${what}; ${buildHint} to regenerate it`,
    );
  if (typeof json !== "object" || json === null) throw malformed("top level is not an object");
  const { abi, bytecode } = json as { abi?: unknown; bytecode?: unknown };
  if (!Array.isArray(abi)) throw malformed('"abi" is missing or not an array');
  const object = (bytecode as { object?: unknown } | undefined)?.object;
  if (typeof object !== "string") throw malformed('"bytecode.object" is missing');
  // Unlinked library references appear as __$…$__ placeholders, so accept them here and fail at deploy.
  if (!/^(0x)?[0-9a-fA-F_$]*$/.test(object)) throw malformed('"bytecode.object" is not hex');
  const linkReferences = (bytecode as { linkReferences?: Record<string, unknown> }).linkReferences ?? {};
  return {
    contractName: contract,
    sourceFile: path.basename(path.dirname(artifactPath)),
    artifactPath,
    abi: abi as Abi,
    bytecode: (object.startsWith("0x") ? object : `0x${object}`) as Hex,
    linkReferences,
  };
}

async function assertBuildExists(outDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(outDir);
  } catch {
    throw new ArtifactError("missing-build", `no Foundry build output at ${outDir}: ${buildHint} first`);
  }
  if (!entries.some((entry) => entry.endsWith(".sol"))) {
    throw new ArtifactError("missing-build", `${outDir} holds no compiled contracts: ${buildHint} first`);
  }
}

/** Names of the out/ folders (source files) that contain an artifact for `contract`. */
async function findContract(outDir: string, contract: string): Promise<string[]> {
  const folders = (await readdir(outDir)).filter((entry) => entry.endsWith(".sol"));
  const hits = await Promise.all(
    folders.map((folder) => isFile(path.join(outDir, folder, `${contract}.json`))),
  );
  return folders.filter((_, i) => hits[i]).sort();
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
