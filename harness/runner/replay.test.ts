import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactError, createArtifact, type FailureArtifact } from "./artifact.js";
import { replayArtifact } from "./replay.js";
import { runCampaign } from "./run.js";
import { createStandInHarness, type StandInHarness } from "./testing/standIn.js";
import { type ChainWorld, startChainWorld } from "./world.js";

const cap = 15_000n * 1_000_000n;

describe("replayArtifact (stand-in harness on anvil)", () => {
  const worlds: ChainWorld[] = [];
  let artifact: FailureArtifact;
  let fresh: StandInHarness;

  beforeAll(async () => {
    // Found on one node, replayed on another: nothing may depend on the node the failure came from.
    // Sequentially: two forge scripts at once on two cores are slower than one after the other.
    const a = await startChainWorld({ label: "replay-find" });
    worlds.push(a);
    const b = await startChainWorld({ label: "replay-fresh" });
    worlds.push(b);
    const finder = await createStandInHarness({ world: a, toyMarginCap: cap });
    const result = await runCampaign({
      harness: finder,
      scenario: "mixed",
      seed: 42,
      runs: 20,
      maxCommands: 8,
    });
    if (result.status !== "failed") throw new Error("expected the toy cap to fail");
    artifact = await createArtifact({
      counterexample: result.counterexample,
      scenario: "mixed",
      maxCommands: 8,
    });
    fresh = await createStandInHarness({ world: b, toyMarginCap: cap });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(worlds.map((w) => w.stop()));
  });

  it("reproduces the failure on a fresh node, step for step", async () => {
    const result = await replayArtifact(artifact, fresh);
    expect(result.status).toBe("reproduced");
    if (result.status !== "reproduced") return;
    expect(result.failure).toEqual(artifact.failure);
    expect(result.trace).toEqual(artifact.steps);
    expect(result.ran).toEqual(artifact.commands);
  });

  it("reports fixed once the check holds", async () => {
    const withoutCap = {
      ...fresh,
      setup: async () => {
        const world = await fresh.setup();
        world.real.toyMarginCap = undefined;
        return world;
      },
    };
    const result = await replayArtifact(artifact, withoutCap);
    expect(result.status).toBe("fixed");
    expect(result.trace.map((s) => [s.block, s.timestamp])).toEqual(
      artifact.steps.map((s) => [s.block, s.timestamp]),
    );
  });

  it("reports a different failure as different", async () => {
    const renamed = { ...artifact, failure: { ...artifact.failure, invariant: "something-else" } };
    const result = await replayArtifact(renamed, fresh);
    expect(result).toMatchObject({ status: "different", failure: { invariant: "toy-margin-cap" } });
  });

  it("refuses commands this harness cannot rebuild, naming them", async () => {
    const foreign = { ...artifact, commands: [...artifact.commands, { name: "teleport", args: {} }] };
    await expect(replayArtifact(foreign, fresh)).rejects.toThrow(ArtifactError);
    await expect(replayArtifact(foreign, fresh)).rejects.toThrow(/command \d+ .*teleport.*unknown command/);
    const badArgs = { ...artifact, commands: [{ name: "deposit", args: { trader: 9, amount: 1 } }] };
    await expect(replayArtifact(badArgs, fresh)).rejects.toThrow(/"trader" must be an integer in \[0, 1\]/);
  });
});
