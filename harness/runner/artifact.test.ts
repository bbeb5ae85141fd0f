import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../chain/foundryBinary.js";
import {
  ArtifactError,
  type ArtifactErrorKind,
  createArtifact,
  type FailureArtifact,
  readArtifact,
  serializeArtifact,
  toolVersions,
  writeArtifact,
} from "./artifact.js";
import { runCampaign } from "./run.js";
import { createToyHarness } from "./testing/toyHarness.js";

describe("failure artifacts", () => {
  let dir: string;
  let artifact: FailureArtifact;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "bulkhead-artifact-test-"));
    const result = await runCampaign({
      harness: createToyHarness({ aLimit: 2 }),
      scenario: "cascade",
      seed: 5,
      runs: 100,
      maxCommands: 10,
    });
    if (result.status !== "failed") throw new Error("the toy harness should fail");
    artifact = await createArtifact({
      counterexample: result.counterexample,
      scenario: "cascade",
      maxCommands: 10,
    });
  }, 30_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("records versions, the run's coordinates, the decoded commands, steps and the failure", async () => {
    expect(artifact).toMatchObject({
      format: "bulkhead-failure",
      formatVersion: 1,
      harnessVersion: JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).version,
      scenario: "cascade",
      seed: 5,
      maxCommands: 10,
      commands: [
        { name: "a", args: { weight: 0 } },
        { name: "a", args: { weight: 0 } },
      ],
      failure: { invariant: "too-many-a", step: 1 },
    });
    expect(artifact.steps.map((s) => [s.index, s.block])).toEqual([
      [0, "1"],
      [1, "2"],
    ]);
    expect(artifact.path).toMatch(/^\d+(:\d+)*$/);
    const tools = await toolVersions();
    expect(tools.forge).toMatch(/forge Version: 1\.7\.1/);
    expect(tools.anvil).toMatch(/anvil Version: 1\.7\.1/);
    expect(tools.node).toBe(process.version);
    expect(tools.viem).toMatch(/^\d+\.\d+\.\d+/);
    expect(tools.fastCheck).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("writes atomically under a name with the invariant and seed, and reads back the same", async () => {
    const file = await writeArtifact(artifact, { dir });
    expect(path.basename(file)).toMatch(/^too-many-a-cascade-seed5-[0-9a-f]{8}\.json$/);
    expect(readdirSync(dir)).toEqual([path.basename(file)]); // no temporary file left behind
    expect(readFileSync(file, "utf8")).toBe(serializeArtifact(artifact));
    expect(await readArtifact(file)).toEqual(artifact);
    // Same failure, same name: a second write replaces the file.
    expect(await writeArtifact(artifact, { dir })).toBe(file);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  const bad = async (content: string | undefined, kind: ArtifactErrorKind, message: RegExp) => {
    const file = path.join(dir, `bad-${Math.random().toString(16).slice(2)}.json`);
    if (content !== undefined) writeFileSync(file, content);
    const error = await readArtifact(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ArtifactError);
    expect((error as ArtifactError).kind).toBe(kind);
    expect((error as ArtifactError).message).toMatch(message);
    expect((error as ArtifactError).message).toContain(file);
  };
  const edited = (edit: (a: Record<string, unknown>) => void) => {
    const copy = JSON.parse(serializeArtifact(artifact)) as Record<string, unknown>;
    edit(copy);
    return JSON.stringify(copy);
  };

  it("explains a missing file", () => bad(undefined, "unreadable", /cannot read .*: no such file/));
  it("explains a file that is not JSON", () => bad("{ not json", "not-json", /not JSON/));
  it("explains a foreign JSON file", async () => {
    await bad(
      readFileSync(path.join(repoRoot, "package.json"), "utf8"),
      "foreign",
      /not a Bulkhead failure artifact/,
    );
    await bad("[1, 2]", "foreign", /not a Bulkhead failure artifact/);
    await bad("null", "foreign", /not a Bulkhead failure artifact/);
  });
  it("explains another format version", () =>
    bad(
      edited((a) => {
        a.formatVersion = 2;
      }),
      "version",
      /format version 2, but this harness .* reads version 1/,
    ));
  it("lists every missing or bad field", async () => {
    await bad(
      edited((a) => {
        delete a.seed;
        delete a.failure;
        a.scenario = "lunar";
      }),
      "invalid",
      /bad fields scenario \(oracle \| cascade \| mixed[^)]*\), seed \(an integer\), .*failure \(an object\)/,
    );
    await bad(
      edited((a) => {
        (a.commands as unknown[])[1] = { args: {} };
        const step = (a.steps as { block: string }[])[0];
        if (step) step.block = "0x10";
      }),
      "invalid",
      /commands\[1\]\.name \(a string\), steps\[0\]/,
    );
    await bad(
      edited((a) => {
        (a.failure as { diff: unknown }).diff = [{ path: 1 }];
      }),
      "invalid",
      /failure\.diff/,
    );
  });
  it("accepts the corpus's expectFailure marker, and only with a reason", async () => {
    const file = path.join(dir, "open-bug.json");
    writeFileSync(
      file,
      edited((a) => {
        a.expectFailure = { reason: "issue #12" };
      }),
    );
    expect((await readArtifact(file)).expectFailure).toEqual({ reason: "issue #12" });
    await bad(
      edited((a) => {
        a.expectFailure = true;
      }),
      "invalid",
      /expectFailure\.reason/,
    );
  });
});
