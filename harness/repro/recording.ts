/**
 * A replay, recorded from the chain: every transaction from the deployment on (hash, sender, calldata, block,
 * timestamp, outcome, the market's events), grouped into the baseline and the artifact's steps, with the Lens
 * snapshot after each step. What the Foundry test writer, the call tracer and the HTML report read.
 */
import type { Address, Hex, TransactionReceipt } from "viem";
import { decodeRevert } from "../../src-ts/protocol/errors.js";
import { safeAbi } from "../../src-ts/protocol/governanceAbis.js";
import type { ChainClients } from "../chain/clients.js";
import { repoRoot } from "../chain/foundryBinary.js";
import type { FailureArtifact } from "../runner/artifact.js";
import type { AnyHarness } from "../runner/loadHarness.js";
import { type ReplayResult, replayArtifact } from "../runner/replay.js";
import type { FailureInfo } from "../scenario/contract.js";
import type { World } from "../scenario/world/world.js";
import type { SystemAddresses } from "../system/deploySystem.js";
import type { ChainSnapshot, System } from "../system/system.js";
import { describeCall, type MarketEvents, marketEvents } from "./decode.js";
import { type LibraryDeployment, libraryDeployment, linkedLibraries } from "./libraries.js";

export type TxOutcome = { status: "ok" } | { status: "reverted"; error: string; args: string[]; data: Hex };

export type RecordedTx = {
  hash: Hex;
  block: bigint;
  timestamp: bigint;
  from: Address;
  to: Address | null;
  input: Hex;
  value: bigint;
  gas: bigint;
  /** The harness's label for it (e.g. "t0 modifyPosition +5"), when the scenario logged one. */
  label: string | undefined;
  /** `market.deposit(20000000000)`. */
  call: string;
  outcome: TxOutcome;
  events: MarketEvents;
};

export type RecordedStep = {
  index: number;
  command: string;
  block: bigint;
  timestamp: bigint;
  txs: RecordedTx[];
  /** The Lens snapshot at the step's last block (undefined for a step that threw before it finished). */
  snapshot: ChainSnapshot | undefined;
  /** The feeds' latest answers then. */
  feeds: FeedAnswers | undefined;
};

export type FeedAnswers = { primary: bigint; secondary: bigint; decimals: bigint };

export type Recording = {
  artifact: FailureArtifact;
  result: ReplayResult;
  /** The failure the replay hit, else the artifact's (a fixed bug: the property is still asserted). */
  failure: FailureInfo;
  addresses: SystemAddresses;
  /** Accounts the snapshots list (every market-facing actor). */
  accounts: readonly Address[];
  /** Who plays what: address (lowercase) → role name, for readable output. */
  roles: ReadonlyMap<string, string>;
  /**
   * Each deployment transaction, in order, with its block and timestamp (the Foundry test deploys at the same),
   * and the library it deployed when it was one of forge's library deployments.
   */
  deployment: {
    block: bigint;
    timestamp: bigint;
    hash: Hex;
    to: Address | null;
    library?: LibraryDeployment | undefined;
  }[];
  /** Who broadcast the deployment, and the guardian Safe's owners and threshold it was given. */
  deployer: Address;
  safeOwners: readonly Address[];
  safeThreshold: bigint;
  baseline: RecordedTx[];
  /** The Lens snapshot at the baseline (before the first step). */
  baselineSnapshot: ChainSnapshot;
  baselineFeeds: FeedAnswers;
  steps: RecordedStep[];
};

export type RecordReplayParameters = {
  artifact: FailureArtifact;
  harness: AnyHarness;
  clients: ChainClients;
  system: System;
  /** The last block of the deployment (the node's block number before the harness funded anyone). */
  deployedAt: bigint;
  /** The last block of the harness's baseline (its block number right after createHarness). */
  baselineAt: bigint;
  /** Every replayed transaction, as it is read back from the chain (hash and outcome). */
  onTx?: ((tx: RecordedTx, step: number) => void) | undefined;
  /** Other failures to let pass on the way (the corpus's other open bugs); the artifact's own never passes. */
  tolerate?: ((failure: FailureInfo) => boolean) | undefined;
  /** The Foundry project the system was deployed from (its build names the libraries); default the repository. */
  root?: string | undefined;
};

/** Replays the artifact and reads back what happened on chain. */
export async function recordReplay(parameters: RecordReplayParameters): Promise<Recording> {
  const { artifact, harness, clients, system, deployedAt, baselineAt } = parameters;
  const world = (harness as { world?: World }).world;
  const labels: { step: number; label: string }[] = [];
  const previousLog = world?.log;
  if (world) {
    // The scenario's own transaction log: "  [step] label: {outcome}", one line per transaction in block order.
    world.log = (line: string) => {
      const match = /^ {2}\[(\d+)\] (.*): \{"status".*\}$/.exec(line);
      if (match) labels.push({ step: Number(match[1]), label: match[2] as string });
      previousLog?.(line);
    };
  }
  let result: ReplayResult;
  try {
    result = await replayArtifact(artifact, harness, parameters.tolerate);
  } finally {
    if (world) world.log = previousLog;
  }

  const { publicClient } = clients;
  const addresses = system.addresses;
  const latest = await publicClient.getBlockNumber();
  const deployment: Recording["deployment"] = [];
  const libraries = await linkedLibraries(parameters.root ?? repoRoot);
  let deployer: Address | undefined;
  const all: RecordedTx[] = [];
  for (let n = 1n; n <= latest; n++) {
    const block = await publicClient.getBlock({ blockNumber: n, includeTransactions: true });
    for (const tx of block.transactions) {
      if (n <= deployedAt) {
        const library = libraryDeployment({ to: tx.to ?? null, input: tx.input }, libraries);
        deployment.push({ block: n, timestamp: block.timestamp, hash: tx.hash, to: tx.to ?? null, library });
        deployer ??= tx.from;
        continue;
      }
      const receipt = await publicClient.getTransactionReceipt({ hash: tx.hash });
      all.push({
        hash: tx.hash,
        block: n,
        timestamp: block.timestamp,
        from: tx.from,
        to: tx.to ?? null,
        input: tx.input,
        value: tx.value,
        gas: tx.gas,
        label: undefined,
        call: describeCall(addresses, tx.to, tx.input),
        outcome: await outcomeOf(clients, receipt),
        events: marketEvents(addresses.market, receipt.logs),
      });
    }
  }

  const baseline = all.filter((tx) => tx.block <= baselineAt);
  const accounts = world?.actors.accounts ?? [];
  const steps: RecordedStep[] = [];
  let from = baselineAt;
  const trace = result.trace;
  for (const record of trace) {
    const to = BigInt(record.block);
    steps.push({
      index: record.index,
      command: record.command,
      block: to,
      timestamp: BigInt(record.timestamp),
      txs: all.filter((tx) => tx.block > from && tx.block <= to),
      snapshot: await readSnapshotAt(system, accounts, to),
      feeds: await readFeedsAt(system, to),
    });
    from = to;
  }
  const rest = all.filter((tx) => tx.block > from);
  if (rest.length > 0 && result.status !== "fixed") {
    // The failing command threw before its step was recorded: its transactions are the rest.
    const last = rest[rest.length - 1] as RecordedTx;
    steps.push({
      index: result.failure.step,
      command: artifact.commands[result.failure.step]?.name ?? "(failing command)",
      block: last.block,
      timestamp: last.timestamp,
      txs: rest,
      snapshot: undefined,
      feeds: undefined,
    });
  }
  for (const step of steps) {
    const logged = labels.filter((l) => l.step === step.index);
    if (logged.length === step.txs.length)
      step.txs.forEach((tx, i) => {
        tx.label = logged[i]?.label;
      });
    for (const tx of step.txs) parameters.onTx?.(tx, step.index);
  }
  for (const tx of baseline) tx.label = "baseline funding";

  if (!deployer) throw new Error(`recordReplay: no deployment transactions in blocks 1-${deployedAt}`);
  const safe = { address: addresses.guardian, abi: safeAbi, blockNumber: deployedAt } as const;
  return {
    deployer,
    safeOwners: await publicClient.readContract({ ...safe, functionName: "getOwners" }),
    safeThreshold: await publicClient.readContract({ ...safe, functionName: "getThreshold" }),
    artifact,
    result,
    failure: result.status === "fixed" ? artifact.failure : result.failure,
    addresses,
    accounts,
    roles: libraryNames(world ? roleNames(world) : new Map(), deployment),
    deployment,
    baseline,
    baselineSnapshot: await readSnapshotAt(system, accounts, baselineAt),
    baselineFeeds: await readFeedsAt(system, baselineAt),
    steps,
  };
}

async function readSnapshotAt(
  system: System,
  accounts: readonly Address[],
  blockNumber: bigint,
): Promise<ChainSnapshot> {
  const [market, list] = await system.lens.read.snapshot([system.addresses.market, accounts], {
    blockNumber,
  });
  return { market, accounts: list };
}

async function readFeedsAt(system: System, blockNumber: bigint): Promise<FeedAnswers> {
  const [, primary] = await system.primaryFeed.read.latestRoundData({ blockNumber });
  const [, secondary] = await system.secondaryFeed.read.latestRoundData({ blockNumber });
  const decimals = BigInt(await system.primaryFeed.read.decimals({ blockNumber }));
  return { primary, secondary, decimals };
}

async function outcomeOf(clients: ChainClients, receipt: TransactionReceipt): Promise<TxOutcome> {
  if (receipt.status === "success") return { status: "ok" };
  const trace = (await clients.publicClient.request({
    method: "debug_traceTransaction",
    params: [receipt.transactionHash, { tracer: "callTracer" }],
  } as never)) as { output?: Hex };
  const data = trace.output ?? "0x";
  const { error, args } = decodeRevert(data);
  return { status: "reverted", error, args: args.map(String), data };
}

/** "operator", "neverTrader", "t0"…, "lp0", "k0", "attacker", "owner1"…, and the contracts' names. */
export function roleNames(world: World): Map<string, string> {
  const a = world.actors;
  const names = new Map<string, string>();
  const put = (address: string, name: string) => {
    if (!names.has(address.toLowerCase())) names.set(address.toLowerCase(), name);
  };
  put(a.operator, "operator");
  for (const [i, o] of a.safeOwners.entries()) put(o, `owner${i}`);
  put(a.neverTrader, "neverTrader");
  for (const [i, t] of a.traders.entries()) put(t, `t${i}`);
  for (const [i, l] of a.lps.entries()) put(l, `lp${i}`);
  for (const [i, k] of a.keepers.entries()) put(k, `k${i}`);
  put(a.attacker, "attacker");
  for (const [name, address] of Object.entries(world.system.addresses)) put(address, name);
  return names;
}

/** The roles with the linked libraries' addresses named too (a call trace shows their delegatecalls). */
function libraryNames(names: Map<string, string>, deployment: Recording["deployment"]): Map<string, string> {
  for (const { library } of deployment) {
    if (library) names.set(library.address.toLowerCase(), library.id.split(":").pop() as string);
  }
  return names;
}

/** Every recorded transaction after the baseline, with its step. */
export function stepTxs(recording: Recording): { step: number; tx: RecordedTx }[] {
  return recording.steps.flatMap((s) => s.txs.map((tx) => ({ step: s.index, tx })));
}
