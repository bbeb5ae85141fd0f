/**
 * The scenario layer against the real deployment (script/Deploy.s.sol: Safe guardian, timelock owner) with
 * harness/model's MarketModel behind the ModelPort: every step compares each transaction's outcome and the
 * whole Lens snapshot with the model's, then runs the protocol invariants and the user promises. Scripted
 * command sequences reach the self-correcting paths on purpose; a short fixed-seed campaign per scenario kind
 * covers the rest.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { checkModelEquality } from "../invariants/modelEquality.js";
import { Mode } from "../model/types.js";
import { knownOpen } from "../runner/knownOpen.js";
import { runCampaign } from "../runner/run.js";
import { type ChainWorld, startChainWorld } from "../runner/world.js";
import { readSnapshot } from "../system/system.js";
import { rebuildCommand } from "./commands/registry.js";
import type { JsonValue } from "./contract.js";
import {
  createScenarioHarness,
  type ScenarioHarnessReturnType,
  type ScenarioModel,
  type World,
} from "./index.js";

let chain: ChainWorld;
let harness: ScenarioHarnessReturnType;

beforeAll(async () => {
  chain = await startChainWorld({ label: "scenario" });
  harness = await createScenarioHarness({ clients: chain.clients, system: chain.system });
  // The open bugs the corpus records (and replays on their own) pass here, as in the fuzz suite.
  harness.tolerate?.(knownOpen());
}, 120_000);

afterAll(async () => {
  await chain?.stop();
});

/** Runs named commands in order on a fresh baseline, each only if its precondition holds; returns the model. */
async function script(
  commands: [string, Record<string, JsonValue>][],
): Promise<{ m: ScenarioModel; w: World }> {
  const { model, real } = await harness.setup();
  for (const [name, args] of commands) {
    const command = rebuildCommand(name, args);
    expect(command.check(model), `${command.toString()}: precondition`).toBe(true);
    await command.run(model, real);
  }
  return { m: model, w: real };
}

describe("scenario layer on the unified model", () => {
  test("the baseline: the model built from the chain agrees with the Lens after funding", async () => {
    const { model, real } = await harness.setup();
    const snapshot = await readSnapshot(real.system, model.actors.accounts);
    expect(() =>
      checkModelEquality({ view: model.port.view(model.actors.accounts), snapshot, step: 0 }),
    ).not.toThrow();
    expect(snapshot.market.mode).toBe(Mode.Normal);
    expect(model.port.lpShares(model.actors.lps[0] as `0x${string}`)).toBeGreaterThan(0n);
  });

  test("a model disagreement stops the run unless the caller tolerates it (a fixed bug put back in a copy)", async () => {
    const drifted = async () => {
      const { model, real } = await harness.setup();
      // The model alone takes an insurance top-up the chain never saw: the next step's snapshots differ.
      const t0 = model.actors.traders[0] as `0x${string}`;
      const topUp = model.port.apply({ kind: "fundInsurance", from: t0, amount: 1_000_000n }, model.port.now);
      expect(topUp.status).toBe("ok");
      await rebuildCommand("timePasses", { seconds: 60, refresh: true }).run(model, real);
      return real;
    };
    await expect(drifted()).rejects.toMatchObject({ info: { invariant: "model-equality" } });
    const open = knownOpen();
    harness.tolerate?.((f) => f.invariant === "model-equality" || open(f));
    try {
      const w = await drifted();
      expect(w.toleratedSeen.map((f) => f.invariant)).toContain("model-equality");
    } finally {
      harness.tolerate?.(open);
    }
  }, 120_000);

  test("a breaker trip inside a same-block sandwich, then the reset after quiet rounds", async () => {
    const { m } = await script([
      ["open", { actor: "t0", side: "long", leverageBps: 30_000, limitBps: 0 }],
      ["spikeRestore", { spikeBps: 2_000, both: false, victim: "open", actor: "t1" }],
    ]);
    expect(m.port.mode()).toBe(Mode.Halted);
    const again = await script([
      ["spikeRestore", { spikeBps: 2_000, both: false, victim: "open", actor: "t1" }],
      ["underBand", { count: 4, up: true, bps: 50 }],
      ["timePasses", { seconds: 1_200, refresh: true }],
    ]);
    expect(again.m.port.mode()).toBe(Mode.Normal);
  }, 120_000);

  test("a cascade: population, crash with the keeper in the loop, LP run", async () => {
    const { m } = await script([
      [
        "buildPopulation",
        {
          entries: [
            { trader: "t0", side: "long", fractionBps: 9_000 },
            { trader: "t1", side: "long", fractionBps: 8_000 },
            { trader: "t2", side: "short", fractionBps: 5_000 },
          ],
        },
      ],
      ["crash", { drops: [900, 900, 900, 900], keeper: "prompt", every: 1, lpRunBps: 2_000, lpFirst: true }],
      ["liquidate", { keeper: "k1", target: "auto" }],
    ]);
    expect(m.port.account(m.actors.traders[0] as `0x${string}`).size).toBe(0n);
  }, 120_000);

  test("governance and the exit: guardian halt, settlement by anyone after maxHaltDuration, claims", async () => {
    const { m, w } = await script([
      ["open", { actor: "t0", side: "long", leverageBps: 20_000, limitBps: 0 }],
      ["open", { actor: "t1", side: "short", leverageBps: 20_000, limitBps: 0 }],
      ["guardianEscalate", { to: Mode.Cautious, signers: [0, 1] }],
      ["guardianEscalate", { to: Mode.Halted, signers: [1, 2] }],
      ["emergencyExit", { variant: "withdrawAll", actor: "never" }],
      ["emergencyExit", { variant: "settle", actor: "k0" }],
      ["realise", { keeper: "k0", target: "auto" }],
      ["claim", { actor: "t2" }],
      ["timePasses", { seconds: 86_400, refresh: false }],
      ["claim", { actor: "t0" }],
      ["claim", { actor: "t1" }],
      ["lpClaim", { lp: "lp0", bps: 10_000 }],
    ]);
    expect(m.port.mode()).toBe(Mode.Settlement);
    expect(w.steps.map((s) => s.name)).toContain("lpClaim");
  }, 120_000);

  test("timelocked governance: risk parameters, then Settlement by the owner", async () => {
    const { m } = await script([
      ["open", { actor: "t0", side: "long", leverageBps: 20_000, limitBps: 0 }],
      ["timelockAction", { op: "riskParams", to: 0, scaleBps: 15_000, signers: [0, 1], executor: "k0" }],
      ["timelockAction", { op: "riskParams", to: 0, scaleBps: 30_000, signers: [0, 1], executor: "k0" }],
      ["timelockAction", { op: "settle", to: 0, scaleBps: 10_000, signers: [1, 2], executor: "k1" }],
    ]);
    expect(m.port.mode()).toBe(Mode.Settlement);
  }, 120_000);

  test.each(["oracle", "cascade", "mixed"] as const)(
    "a short fixed-seed campaign: %s",
    async (scenario) => {
      const result = await runCampaign({
        harness,
        scenario,
        seed: Number(process.env.FUZZ_SEED ?? 7),
        runs: Number(process.env.FUZZ_RUNS ?? 12),
        maxCommands: 25,
        shrinkBudgetMs: 30_000,
      });
      if (result.status === "failed") {
        const { failure, trace } = result.counterexample;
        throw new Error(
          `${scenario}: ${failure.invariant} at step ${failure.step}\n` +
            `${trace.map((t) => t.command).join("\n")}\n${JSON.stringify(failure, null, 2)}`,
        );
      }
      expect(result.numRuns).toBeGreaterThan(0);
    },
    300_000,
  );
});
