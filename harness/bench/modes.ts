import { type Address, decodeFunctionResult, encodeFunctionData, type Hex } from "viem";
import { lensAbi, marketAbi, mockAggregatorAbi, mockErc20Abi } from "../../src-ts/generated/abis.js";
import type { ChainClients } from "../chain/clients.js";
import { sendAndWait } from "../chain/sendAndWait.js";
import { createResultDecoder } from "../fast/decodeResult.js";
import type { FastChain } from "../fast/fastChain.js";
import type { SystemAddresses } from "../system/deploySystem.js";
import { type BenchNode, startBenchNode } from "./benchNode.js";
import { type BenchMode, type BenchModeContext, type MeasuredModeResult, measure } from "./measure.js";
import { runMixedScenario } from "./mixed.js";
import {
  type BenchAction,
  BenchCheckError,
  createWorkload,
  type LensSnapshot,
  type Workload,
} from "./workload.js";

/** Gas for every bench transaction: fixed, never estimated (see harness/fast/fastChain.ts). */
const gas = 3_000_000n;
/** Extra chain height for the fast-tall mode. */
const tallBy = 1_500;
const warmUpActions = 600;

type Steps = (workload: Workload, count: number) => Promise<void>;

const workloadOf = (node: BenchNode, seed: number, addresses: SystemAddresses = node.system.addresses) =>
  createWorkload({ addresses, traders: node.traders, priceSetter: node.priceSetter, seed });

// Compiled once: viem's generic decoder took half of the harness's CPU per step (harness/fast/decodeResult.ts).
const lensDecoder = createResultDecoder({ abi: lensAbi, functionName: "snapshot" });
const decodeLens = (data: Hex) => lensDecoder(data) as unknown as LensSnapshot;

const expectIncluded = (action: BenchAction, status: string | undefined) => {
  if (status !== "success")
    throw new BenchCheckError(`${action.kind} by ${action.actor}: ${status ?? "no receipt"}`);
};

/**
 * Runs `actions` actions as fuzz runs of `runLength`, each from the baseline (snapshot/revert, timed: it is
 * part of every run) with its own seeded workload, the way the runner drives a scenario.
 */
function inRuns(context: BenchModeContext, node: BenchNode, steps: Steps): Promise<MeasuredModeResult> {
  return context.measure(() => runsOn(context, node, steps));
}

async function runsOn(context: BenchModeContext, node: BenchNode, steps: Steps): Promise<number> {
  const runs = Math.ceil(context.actions / context.runLength);
  for (let run = 0; run < runs; run++) {
    await node.baseline.resetToBaseline({ label: "bench: next run" });
    await steps(workloadOf(node, context.seed + run), context.runLength);
  }
  return runs * context.runLength;
}

/** The harness as it is today: viem wallet + sendAndWait (receipt polling), then readSnapshot through viem. */
const viemSteps =
  (clients: ChainClients, a: SystemAddresses): Steps =>
  async (workload, count) => {
    for (let i = 0; i < count; i++) {
      const action = workload.next();
      const wallet = clients.walletClients[clients.accounts.indexOf(action.actor)];
      if (!wallet) throw new Error(`bench: ${action.actor} has no wallet client`);
      const receipt = await sendAndWait(clients, {
        label: action.kind,
        allowRevert: true,
        send: () => wallet.sendTransaction({ to: action.tx.to, data: action.tx.data, gas }),
      });
      expectIncluded(action, receipt.status);
      workload.apply(action);
      const snapshot = await clients.publicClient.readContract({
        address: a.lens,
        abi: lensAbi,
        functionName: "snapshot",
        args: [a.market, workload.traders],
      });
      workload.check(snapshot as unknown as LensSnapshot);
    }
  };

const viemDecodeLens = (data: Hex) =>
  decodeFunctionResult({ abi: lensAbi, functionName: "snapshot", data }) as unknown as LensSnapshot;

/** The fast path (harness/fast): send, receipt, then one Lens eth_call. */
const fastSteps =
  (fast: FastChain, decode: (data: Hex) => LensSnapshot = decodeLens): Steps =>
  async (workload, count) => {
    for (let i = 0; i < count; i++) {
      const action = workload.next();
      expectIncluded(action, (await fast.send({ ...action.tx, gas })).status);
      workload.apply(action);
      workload.check(decode(await fast.call(workload.lensCall)));
    }
  };

/**
 * A fresh node has not yet reached the steady cost per block of a long campaign (anvil's grows over the first
 * thousand blocks mined, reverted or not): warm it up untimed before comparing it with the main node.
 */
const warmUp = (c: BenchModeContext, node: BenchNode) =>
  runsOn({ ...c, actions: warmUpActions }, node, fastSteps(node.fast));

/**
 * The same checks without the Lens: one eth_call per field (aggregates, mode, balance, each account), either
 * issued concurrently as `Promise.all` code does, or as one JSON-RPC batch frame.
 */
const fieldSteps =
  (fast: FastChain, a: SystemAddresses, how: "concurrent" | "batch"): Steps =>
  async (workload, count) => {
    const calls = [
      { to: a.market, data: encodeFunctionData({ abi: marketAbi, functionName: "aggregates" }) },
      { to: a.market, data: encodeFunctionData({ abi: marketAbi, functionName: "mode" }) },
      {
        to: a.collateral,
        data: encodeFunctionData({ abi: mockErc20Abi, functionName: "balanceOf", args: [a.market] }),
      },
      ...workload.traders.map((t) => ({
        to: a.market,
        data: encodeFunctionData({ abi: marketAbi, functionName: "accountOf", args: [t] }),
      })),
    ];
    for (let i = 0; i < count; i++) {
      const action = workload.next();
      expectIncluded(action, (await fast.send({ ...action.tx, gas })).status);
      workload.apply(action);
      const results =
        how === "concurrent"
          ? await Promise.all(calls.map((c) => fast.call(c)))
          : (
              await fast.socket.batch<Hex>(calls.map((c) => ({ method: "eth_call", params: [c, "latest"] })))
            ).map((r) => {
              if (!r.ok) throw r.error;
              return r.result;
            });
      const [agg, mode, balance, ...accounts] = results as Hex[];
      workload.check([
        {
          agg: decodeFunctionResult({ abi: marketAbi, functionName: "aggregates", data: agg ?? "0x" }),
          mode: decodeFunctionResult({ abi: marketAbi, functionName: "mode", data: mode ?? "0x" }),
          collateralBalance: decodeFunctionResult({
            abi: mockErc20Abi,
            functionName: "balanceOf",
            data: balance ?? "0x",
          }),
        },
        accounts.map((data, k) => ({
          account: workload.traders[k] as Address,
          state: decodeFunctionResult({ abi: marketAbi, functionName: "accountOf", data }),
        })),
      ]);
    }
  };

/** N actions per block: one batch of sends, evm_mine, one batch with the receipts and the Lens read. */
const blockSteps =
  (fast: FastChain, perBlock: number): Steps =>
  async (workload, count) => {
    await fast.setAutomine(false);
    try {
      for (let done = 0; done < count; done += perBlock) {
        const batch = Array.from({ length: Math.min(perBlock, count - done) }, () => workload.next());
        const { receipts, reads } = await fast.sendBlock({
          txs: batch.map((a) => ({ ...a.tx, gas })),
          reads: [workload.lensCall],
        });
        batch.forEach((action, i) => {
          expectIncluded(action, receipts[i]?.status);
          workload.apply(action);
        });
        workload.check(decodeLens(reads[0] ?? "0x"));
      }
    } finally {
      await fast.setAutomine(true);
    }
  };

/** Publishes the current answer again on both feeds, so that the next reading is fresh and Valid. */
async function freshRound(node: BenchNode): Promise<void> {
  const a = node.system.addresses;
  for (const feed of [a.primaryFeed, a.secondaryFeed]) {
    const [, answer] = await node.fast.read({
      address: feed,
      abi: mockAggregatorAbi,
      functionName: "latestRoundData",
      args: [],
    });
    const data = encodeFunctionData({ abi: mockAggregatorAbi, functionName: "setAnswer", args: [answer] });
    await node.fast.send({ from: node.priceSetter, to: feed, data, gas });
  }
}

export const benchModes: readonly BenchMode[] = [
  {
    id: "mixed",
    label: "the real harness on the engine: runner + scenario layer, `mixed` scenario, all checks",
    lever: "end to end on simulated blocks (eth_simulateV1), findings confirmed on mined blocks",
    run: (c) => runMixedScenario(c, "simulated"),
  },
  {
    id: "mixed-mined",
    label: "as mixed, every step mined (the harness without the engine)",
    lever: "end to end (commands, model, every invariant, keepers), one step at a time on mined blocks",
    maxActions: 500, // tens of actions per second: half the actions keep the run within its time budget
    run: (c) => runMixedScenario(c, "mined"),
  },
  {
    id: "viem-http",
    label: "viem over HTTP: write, poll receipt, Lens read",
    lever: "baseline",
    maxActions: 500, // the slowest mode: half the actions keep the run within its time budget
    run: (c) => inRuns(c, c.node, viemSteps(c.node.httpClients, c.node.system.addresses)),
  },
  {
    id: "viem-ws",
    label: "viem over WebSocket (the harness today)",
    lever: "WebSocket transport",
    run: (c) => inRuns(c, c.node, viemSteps(c.node.clients, c.node.system.addresses)),
  },
  {
    id: "fast",
    label: "raw WS: send, receipt, 1 Lens eth_call (compiled decoder)",
    lever: "raw JSON-RPC on one WebSocket, fixed gas, compiled decoder",
    run: (c) => inRuns(c, c.node, fastSteps(c.node.fast)),
  },
  {
    id: "fast-viem-decode",
    label: "as fast, Lens result decoded by viem",
    lever: "compiled result decoder (what it saves)",
    run: (c) => inRuns(c, c.node, fastSteps(c.node.fast, viemDecodeLens)),
  },
  {
    id: "fast-prune",
    label: "as fast, anvil --prune-history",
    lever: "anvil keeps no state history",
    async run(c) {
      const node = await c.startNode("bench-prune", { pruneHistory: true });
      await warmUp(c, node);
      return inRuns(c, node, fastSteps(node.fast));
    },
  },
  {
    id: "fields-concurrent",
    label: "as fast, 11 field eth_calls at once instead of the Lens",
    lever: "without the Lens (concurrent reads, as Promise.all code does)",
    maxActions: 100, // tens of ms per step: see the lever
    run: (c) => inRuns(c, c.node, fieldSteps(c.node.fast, c.node.system.addresses, "concurrent")),
  },
  {
    id: "fields-batch",
    label: "as fast, 11 field eth_calls in one batch frame",
    lever: "JSON-RPC batch for reads",
    run: (c) => inRuns(c, c.node, fieldSteps(c.node.fast, c.node.system.addresses, "batch")),
  },
  {
    id: "block-10",
    label: "raw WS: 10 tx per block, 1 Lens read per block",
    lever: "several transactions per block (checks per block)",
    run: (c) => inRuns(c, c.node, blockSteps(c.node.fast, 10)),
  },
  {
    id: "block-50",
    label: "raw WS: 50 tx per block, 1 Lens read per block",
    lever: "several transactions per block (checks per block)",
    run: (c) => inRuns(c, c.node, blockSteps(c.node.fast, 50)),
  },
  {
    id: "fast-x2",
    label: "fast on two nodes at once (one per core)",
    lever: "parallel nodes",
    async run(c) {
      const other = await c.startNode("bench-parallel");
      const half = { ...c, actions: Math.ceil(c.actions / 2) };
      return c.measure(async () => {
        const [a, b] = await Promise.all([
          runsOn(half, c.node, fastSteps(c.node.fast)),
          runsOn(half, other, fastSteps(other.fast)),
        ]);
        return a + b;
      });
    },
  },
  {
    id: "combined",
    label: "10 tx per block, --prune-history, two nodes at once",
    lever: "every lever that keeps per-step semantics loose enough (checks per block)",
    async run(c) {
      const nodes = [await c.startNode("bench-combined-1", { pruneHistory: true })];
      nodes.push(await c.startNode("bench-combined-2", { pruneHistory: true }));
      await Promise.all(nodes.map((n) => warmUp(c, n)));
      const half = { ...c, actions: Math.ceil(c.actions / 2) };
      return c.measure(async () => {
        const done = await Promise.all(nodes.map((n) => runsOn(half, n, blockSteps(n.fast, 10))));
        return done.reduce((sum, n) => sum + n, 0);
      });
    },
  },
  {
    id: "fast-tall",
    label: `as fast, ${tallBy} blocks higher (no reset)`,
    lever: "chain height: anvil's cost per block grows with it; revert keeps chains short",
    maxActions: 200,
    async run(c) {
      // Untimed: climbing costs more than the steps (quadratic). Reset by the next mode's baseline revert.
      await c.node.fast.socket.request("anvil_mine", [`0x${tallBy.toString(16)}`]);
      await freshRound(c.node); // hours passed: the feeds went stale
      return c.measure(async () => {
        await fastSteps(c.node.fast)(workloadOf(c.node, c.seed), c.actions);
        return c.actions;
      });
    },
  },
  {
    id: "fast-redeploy",
    label: "fast, redeploy (forge script) instead of revert per run",
    lever: "redeploy per run (what snapshot/revert replaces)",
    // A redeploy takes seconds: two runs show its cost within the time budget.
    async run(c) {
      return c.measure(async () => {
        for (let run = 0; run < 2; run++) {
          const system = await c.node.redeploy();
          await fastSteps(c.node.fast)(workloadOf(c.node, c.seed + run, system.addresses), c.runLength);
        }
        return 2 * c.runLength;
      });
    },
  },
];

export type RunBenchModeParameters = {
  mode: BenchMode;
  node: BenchNode;
  actions: number;
  runLength: number;
  seed: number;
};

/**
 * Runs one mode from the node's baseline. Modes time what they wrap in `measure` (wall time, and the CPU
 * of anvil and of this process); nodes a mode starts count from its measure call and are stopped afterwards.
 */
export async function runBenchMode(parameters: RunBenchModeParameters): Promise<MeasuredModeResult> {
  const { mode, node } = parameters;
  const actions = Math.min(parameters.actions, mode.maxActions ?? Number.POSITIVE_INFINITY);
  const extra: BenchNode[] = [];
  await node.baseline.resetToBaseline({ label: `bench: reset before ${mode.id}` });
  try {
    return await mode.run({
      node,
      actions,
      runLength: parameters.runLength,
      seed: parameters.seed,
      async startNode(label, anvil) {
        const started = await startBenchNode({ label, anvil });
        extra.push(started);
        return started;
      },
      measure: (body) => measure(() => [node, ...extra].map((n) => n.pid), body),
    });
  } finally {
    for (const n of extra) await n.stop();
  }
}
