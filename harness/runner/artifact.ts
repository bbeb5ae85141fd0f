/**
 * The failure artifact (DESIGN 3.2): one self-contained JSON file per minimised failure. Written
 * atomically under .fuzz/failures/ (gitignored); a file promoted to test/corpus/ becomes a regression.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { execa } from "execa";
import * as fc from "fast-check";
import { foundryBinary, repoRoot } from "../chain/foundryBinary.js";
import { type FailureInfo, type ScenarioKind, type StepRecord, scenarioKinds } from "../scenario/contract.js";
import type { CommandRecord } from "./failure.js";
import type { Counterexample } from "./run.js";

export const artifactFormat = "bulkhead-failure";
export const artifactFormatVersion = 1;
export const defaultFailuresDir = path.join(repoRoot, ".fuzz", "failures");

export type ToolVersions = { forge: string; anvil: string; node: string; viem: string; fastCheck: string };

export type FailureArtifact = {
  format: typeof artifactFormat;
  formatVersion: typeof artifactFormatVersion;
  harnessVersion: string;
  tools: ToolVersions;
  scenario: ScenarioKind;
  seed: number;
  /** fast-check's counterexamplePath (FUZZ_PATH) and the commands' replayPath (FUZZ_REPLAY_PATH). */
  path: string;
  replayPath: string;
  /** The steered command weights the failing run was drawn with (FUZZ_STEER): a path replay needs them. */
  weights?: Record<string, number>;
  maxCommands: number;
  /** The shrunk command list, as ScenarioHarness.rebuild takes it. */
  commands: CommandRecord[];
  /** Each step of the failing run with its block and timestamp. */
  steps: StepRecord[];
  /** The violated invariant, expected vs actual, and the model-vs-chain diff. */
  failure: FailureInfo;
  /**
   * Only in test/corpus/: the failure is a known open bug, so the corpus expects it to reproduce (rather
   * than to be fixed) until someone fixes it and removes this field.
   */
  expectFailure?: { reason: string };
  /** The market's own invariant trips in the replay (`InvariantViolated`, decoded), with the transaction. */
  onChain?: OnChainTrip[];
  createdAt: string;
};

export type OnChainTrip = {
  step: number;
  /** The market's Invariant enum name, e.g. "TokenConservation". */
  invariant: string;
  expected: string;
  actual: string;
  /** The market function whose check fired, e.g. "executeModify". */
  action: string;
  /** The harness's label for the transaction. */
  tx: string;
  hash: string;
};

/** "incompatible": well-formed, but this harness cannot rebuild one of its commands. */
export type ArtifactErrorKind =
  | "unreadable"
  | "not-json"
  | "foreign"
  | "version"
  | "invalid"
  | "incompatible";

/** A bad artifact file. Its message is meant for the command line as is: no stack trace needed. */
export class ArtifactError extends Error {
  override name = "ArtifactError";
  constructor(
    readonly kind: ArtifactErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const packageVersion = (name: string): string => {
  try {
    return (createRequire(path.join(repoRoot, "package.json"))(`${name}/package.json`) as { version: string })
      .version;
  } catch {
    return "unknown";
  }
};

/** The project's package.json version: artifacts record which harness wrote them. */
export function harnessVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}

let toolVersionsCache: Promise<ToolVersions> | undefined;

/** forge/anvil (their --version first line), node, viem, fast-check. Cached per process. */
export function toolVersions(): Promise<ToolVersions> {
  toolVersionsCache ??= (async () => {
    const firstLine = async (file: string) => {
      const result = await execa(file, ["--version"], { reject: false, timeout: 20_000 });
      const line = String(result.stdout).split("\n")[0]?.trim();
      return result.exitCode === 0 && line ? line : `unknown (${file} --version failed)`;
    };
    const version = async (tool: "forge" | "anvil") => {
      try {
        return await firstLine(foundryBinary(tool));
      } catch (error) {
        return `unknown (${(error as Error).message})`;
      }
    };
    return {
      forge: await version("forge"),
      anvil: await version("anvil"),
      node: process.version,
      viem: packageVersion("viem"),
      fastCheck: fc.__version,
    };
  })();
  return toolVersionsCache;
}

export type CreateArtifactParameters = {
  counterexample: Counterexample;
  scenario: ScenarioKind;
  maxCommands: number;
  tools?: ToolVersions | undefined;
  createdAt?: Date | undefined;
};

/** Builds an artifact from a runner counterexample (fields in a fixed order: same run, same bytes). */
export async function createArtifact(parameters: CreateArtifactParameters): Promise<FailureArtifact> {
  const { counterexample: c } = parameters;
  return {
    format: artifactFormat,
    formatVersion: artifactFormatVersion,
    harnessVersion: harnessVersion(),
    tools: parameters.tools ?? (await toolVersions()),
    scenario: parameters.scenario,
    seed: c.seed,
    path: c.path,
    replayPath: c.replayPath,
    ...(c.weights ? { weights: c.weights } : {}),
    maxCommands: parameters.maxCommands,
    commands: c.commands,
    steps: c.trace,
    failure: c.failure,
    createdAt: (parameters.createdAt ?? new Date()).toISOString(),
  };
}

export function serializeArtifact(artifact: FailureArtifact): string {
  return `${JSON.stringify(artifact, null, 2)}\n`;
}

/** `<invariant>-<scenario>-seed<seed>-<hash of the commands>.json`: the same failure gets the same name. */
export function artifactFileName(artifact: FailureArtifact): string {
  const slug = artifact.failure.invariant.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
  const hash = createHash("sha256").update(JSON.stringify(artifact.commands)).digest("hex").slice(0, 8);
  return `${slug}-${artifact.scenario}-seed${artifact.seed}-${hash}.json`;
}

export type WriteArtifactParameters = { dir?: string | undefined };

/** Writes the artifact atomically (a temporary file in the same folder, then rename); returns its path. */
export async function writeArtifact(
  artifact: FailureArtifact,
  parameters: WriteArtifactParameters = {},
): Promise<string> {
  const dir = parameters.dir ?? defaultFailuresDir;
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, artifactFileName(artifact));
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, serializeArtifact(artifact), { flag: "wx" });
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return file;
}

/** Reads and validates an artifact file; every problem is an ArtifactError with a one-paragraph message. */
export async function readArtifact(file: string): Promise<FailureArtifact> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : String(code);
    throw new ArtifactError("unreadable", `cannot read failure artifact ${file}: ${why}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ArtifactError(
      "not-json",
      `${file} is not a failure artifact: not JSON (${(error as Error).message})`,
    );
  }
  return validateArtifact(value, file);
}

/** Checks that `value` is a failure artifact this harness can replay. */
export function validateArtifact(value: unknown, source = "artifact"): FailureArtifact {
  if (!isObject(value) || value.format !== artifactFormat) {
    throw new ArtifactError(
      "foreign",
      `${source} is not a Bulkhead failure artifact (expected "format": "${artifactFormat}"); ` +
        "artifacts are the files `npm run fuzz` writes under .fuzz/failures/",
    );
  }
  if (value.formatVersion !== artifactFormatVersion) {
    throw new ArtifactError(
      "version",
      `${source} has artifact format version ${JSON.stringify(value.formatVersion)}, but this harness ` +
        `(${harnessVersion()}) reads version ${artifactFormatVersion}; replay it with the harness version that ` +
        `wrote it (${JSON.stringify(value.harnessVersion)}) or find the failure again with npm run fuzz`,
    );
  }
  const problems: string[] = [];
  const want = (ok: boolean, where: string, what: string) => {
    if (!ok) problems.push(`${where} (${what})`);
  };
  const str = (v: unknown) => typeof v === "string";
  want(str(value.harnessVersion), "harnessVersion", "a string");
  const tools = value.tools;
  want(
    isObject(tools) && ["forge", "anvil", "node", "viem", "fastCheck"].every((k) => str(tools[k])),
    "tools",
    "forge, anvil, node, viem and fastCheck versions",
  );
  want(scenarioKinds.includes(value.scenario as ScenarioKind), "scenario", scenarioKinds.join(" | "));
  want(Number.isSafeInteger(value.seed), "seed", "an integer");
  want(str(value.path), "path", "a string");
  want(str(value.replayPath), "replayPath", "a string");
  if (value.weights !== undefined) {
    const w = value.weights;
    want(
      isObject(w) && Object.values(w).every((n) => Number.isSafeInteger(n) && (n as number) >= 0),
      "weights",
      "an object of command name → integer weight",
    );
  }
  want(Number.isSafeInteger(value.maxCommands) && (value.maxCommands as number) > 0, "maxCommands", "> 0");
  if (!Array.isArray(value.commands)) want(false, "commands", "an array");
  else {
    value.commands.forEach((c, i) => {
      want(isObject(c) && str(c.name), `commands[${i}].name`, "a string");
      want(isObject(c) && isObject(c.args), `commands[${i}].args`, "an object");
    });
  }
  if (!Array.isArray(value.steps)) want(false, "steps", "an array");
  else {
    value.steps.forEach((s, i) => {
      const ok =
        isObject(s) &&
        Number.isSafeInteger(s.index) &&
        str(s.command) &&
        str(s.name) &&
        isObject(s.args) &&
        /^\d+$/.test(String(s.block)) &&
        /^\d+$/.test(String(s.timestamp));
      want(ok, `steps[${i}]`, "index, command, name, args, block and timestamp (decimal strings)");
    });
  }
  const f = value.failure;
  if (!isObject(f)) want(false, "failure", "an object");
  else {
    want(str(f.invariant) && (f.invariant as string).length > 0, "failure.invariant", "a non-empty string");
    want("expected" in f, "failure.expected", "present");
    want("actual" in f, "failure.actual", "present");
    want(Number.isSafeInteger(f.step), "failure.step", "an integer");
    want(
      Array.isArray(f.diff) &&
        f.diff.every((d) => isObject(d) && str(d.path) && str(d.expected) && str(d.actual)),
      "failure.diff",
      "a list of {path, expected, actual} strings",
    );
  }
  if (value.expectFailure !== undefined) {
    want(
      isObject(value.expectFailure) && str(value.expectFailure.reason),
      "expectFailure.reason",
      "a string",
    );
  }
  if (value.onChain !== undefined) {
    want(
      Array.isArray(value.onChain) &&
        value.onChain.every(
          (t) => isObject(t) && str(t.invariant) && str(t.tx) && Number.isSafeInteger(t.step),
        ),
      "onChain",
      "a list of {step, invariant, tx, …}",
    );
  }
  want(
    str(value.createdAt) && !Number.isNaN(Date.parse(value.createdAt as string)),
    "createdAt",
    "an ISO date",
  );
  if (problems.length > 0) {
    throw new ArtifactError(
      "invalid",
      `${source} is not a valid failure artifact: missing or bad ${problems.length === 1 ? "field" : "fields"} ` +
        problems.join(", "),
    );
  }
  return value as unknown as FailureArtifact;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
