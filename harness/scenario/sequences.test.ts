import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Mode } from "../model/types.js";
import { knownOpen } from "../runner/knownOpen.js";
import { InvariantViolation } from "./contract.js";
import type { ScenarioHarnessReturnType } from "./index.js";
import { runKind, runSequence, startScenarioHarness } from "./testing.js";

let harness: ScenarioHarnessReturnType;
let stop: () => Promise<void>;

beforeAll(async () => {
  // The open bugs the corpus records (and replays on their own) pass here, as in the fuzz suite.
  ({ harness, stop } = await startScenarioHarness("scenario-test", knownOpen()));
}, 60_000);
afterAll(async () => {
  await stop?.();
});

describe("hand-picked sequences", () => {
  it("a trading round trip agrees with the model at every step", async () => {
    const real = await runSequence(harness, [
      ["open", { actor: "t0", side: "long", leverageBps: 50_000, limitBps: 0 }],
      ["open", { actor: "t1", side: "short", leverageBps: 30_000, limitBps: 0 }],
      ["pricePath", { regime: "calm", moves: [150, -80, 40], noiseBps: 20 }],
      ["withdraw", { actor: "never", bps: 5_000 }],
      ["timePasses", { seconds: 3_000, refresh: true }],
      ["close", { actor: "t0", limitBps: 0 }],
      ["lpRedeem", { lp: "lp0", bps: 1_000 }],
    ]);
    expect(real.steps.map((s) => s.name)).toEqual([
      "open",
      "open",
      "pricePath",
      "withdraw",
      "timePasses",
      "close",
      "lpRedeem",
    ]);
  }, 60_000);

  it("a spike-and-restore inside one block trips the breaker for the attacker's risk-adding action", async () => {
    const real = await runSequence(harness, [
      ["spikeRestore", { spikeBps: 1_500, both: false, victim: "open", actor: "attacker" }],
    ]);
    // Spike, the attacker's open and the restore share one block: the first after the baseline.
    expect(real.steps[0]?.block).toBe(String(real.baselineBlock + 1n));
    expect(await real.system.market.read.mode()).toBe(Mode.Halted);
    expect(await real.system.market.read.haltFlags()).toBe(1);
  }, 60_000);

  it("the guardian Safe halts at once; only the timelock loosens, after its delay", async () => {
    const real = await runSequence(harness, [
      ["guardianEscalate", { to: Mode.Halted, signers: [0, 1] }],
      ["emergencyExit", { variant: "withdrawAll", actor: "never" }],
      [
        "timelockAction",
        { op: "setMode", to: Mode.Normal, scaleBps: 10_000, signers: [1, 2], executor: "k0" },
      ],
    ]);
    expect(real.modesSeen.has("Halted")).toBe(true);
    expect(await real.system.market.read.mode()).toBe(Mode.Normal);
  }, 60_000);

  it("a cascade with a prompt keeper liquidates the population", async () => {
    const real = await runSequence(harness, [
      [
        "cascade",
        {
          population: {
            entries: [
              { trader: "t0", side: "long", fractionBps: 9_500 },
              { trader: "t1", side: "long", fractionBps: 9_000 },
              { trader: "t2", side: "long", fractionBps: 8_000 },
            ],
          },
          crash: { drops: [800, 600, 700], keeper: "prompt", every: 1, lpRunBps: 2_000, lpFirst: true },
        },
      ],
    ]);
    const sizes = await Promise.all(
      real.actors.traders.slice(0, 3).map((t) => real.system.market.read.accountOf([t])),
    );
    expect(sizes.map((a) => a.size)).toEqual([0n, 0n, 0n]);
  }, 60_000);

  // A known limitation of src/ (README, Known limitations), kept as documentation: accounts left unrealised
  // through the settlement window keep their negative equity out of the deficit, so the claim ratio promises
  // more than the market holds (the keeper realises every underwater account in the window).
  it("documents (known limitation): Settlement over-commits when an underwater account is not realised in the window", async () => {
    const failure = await runSequence(harness, [
      ["open", { actor: "t0", side: "long", leverageBps: 90_000, limitBps: 0 }],
      ["open", { actor: "t1", side: "short", leverageBps: 90_000, limitBps: 0 }],
      ["guardianEscalate", { to: Mode.Halted, signers: [0, 1] }],
      ["timePasses", { seconds: 4_000, refresh: false }],
      ["pricePath", { regime: "crash", moves: [-3_000], noiseBps: 0 }],
      ["emergencyExit", { variant: "settle", actor: "k0" }],
      ["timePasses", { seconds: 86_400, refresh: false }],
      ["claim", { actor: "t1" }],
    ]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(InvariantViolation);
    expect((failure as InvariantViolation).info).toMatchObject({
      invariant: "claims-within-assets",
      step: 7,
    });
  }, 60_000);

  // Fixed in src/ (once found here): the timelock administers itself and can still lower its own delay below
  // the market's exit window, but the market re-checks the delay on every owner call and refuses to act
  // (MarketTimelockTooShort) until the delay covers the window again. The model predicts the refusal; the
  // exit-window-covered promise holds.
  it("fixed: a timelock that shortened its delay below the exit window cannot act on the market", async () => {
    const shortened = await runSequence(harness, [
      ["timelockAction", { op: "updateDelay", to: 0, scaleBps: 2_500, signers: [0, 1], executor: "k0" }],
      [
        "timelockAction",
        { op: "setMode", to: Mode.Cautious, scaleBps: 10_000, signers: [1, 2], executor: "k0" },
      ],
    ]);
    expect(await shortened.system.market.read.mode()).toBe(Mode.Normal);
    const restored = await runSequence(harness, [
      ["timelockAction", { op: "updateDelay", to: 0, scaleBps: 2_500, signers: [0, 1], executor: "k0" }],
      ["timelockAction", { op: "updateDelay", to: 0, scaleBps: 10_000, signers: [0, 2], executor: "k0" }],
      [
        "timelockAction",
        { op: "setMode", to: Mode.Cautious, scaleBps: 10_000, signers: [1, 2], executor: "k0" },
      ],
    ]);
    expect(await restored.system.market.read.mode()).toBe(Mode.Cautious);
  }, 60_000);

  // Redesigned in src/ (review of 632d01d, M-02 and H-01): a withdrawal without a position reads no feed and
  // changes no mode, and a pool pushed under its backing is not a mode at all (it refuses increases and LP
  // exits per action), so an attacker's idle withdrawal around a spike cannot tighten the market.
  it("an idle withdrawal around a spike changes no mode; below backing is refused per action", async () => {
    const population = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"].map((trader) => ({
      trader,
      side: "long",
      fractionBps: 9_500,
    }));
    const real = await runSequence(harness, [
      ["lpRedeem", { lp: "lp0", bps: 2_400 }],
      ["buildPopulation", { entries: population }],
      ["spikeRestore", { spikeBps: 900, both: true, victim: "withdraw", actor: "attacker" }],
    ]);
    expect(await real.system.market.read.mode()).toBe(Mode.Normal);
  }, 60_000);

  // Fixed in src/ (once documented here): the guardian can pin a halt the breaker started (escalate(Halted) on
  // a breaker-halted market adds the guardian's own halt), so the breaker's hysteresis no longer resumes
  // trading over the guardian's head.
  it("fixed: a guardian halt on a breaker-halted market pins it; the breaker's reset does not resume trading", async () => {
    const real = await runSequence(harness, [
      ["spikeRestore", { spikeBps: 1_500, both: false, victim: "open", actor: "attacker" }],
      ["guardianEscalate", { to: Mode.Halted, signers: [0, 1] }],
      ["timePasses", { seconds: 1_000, refresh: false }],
      ["pricePath", { regime: "calm", moves: [10, 10, 10], noiseBps: 0 }],
    ]);
    expect(real.modesSeen.has("Halted")).toBe(true);
    expect(await real.system.market.read.mode()).toBe(Mode.Halted);
  }, 60_000);
});

describe("scenario kinds (fixed seed, 3 runs x 15 commands)", () => {
  for (const kind of ["oracle", "cascade", "mixed"] as const) {
    it(`${kind}`, async () => {
      const { actions } = await runKind(harness, kind, { runs: 3, maxCommands: 15, seed: 20_261_121 });
      expect(actions).toBeGreaterThan(0);
    }, 120_000);
  }

  it("the same seed gives the same commands, blocks and timestamps", async () => {
    const traces = [];
    for (let i = 0; i < 2; i++) {
      const { default: fc } = await import("fast-check");
      const [commands] = fc.sample(harness.commands("mixed", 10), { numRuns: 1, seed: 7 });
      const setup = await harness.setup();
      await fc.asyncModelRun(() => setup, commands ?? []).catch(() => {});
      traces.push(JSON.stringify(setup.real.steps));
    }
    expect(traces[1]).toBe(traces[0]);
  }, 120_000);
});
