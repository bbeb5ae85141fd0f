import { type Address, type Hex, numberToHex } from "viem";
import type { FastChain } from "../fast/fastChain.js";
import {
  maxBlocksPerRequest,
  type SimBlock,
  type SimCall,
  type SimCallResult,
  simulateBlocks,
} from "./simulate.js";

/** Where a call's answer will be once the engine has flushed: a call in a pending block, or a base read. */
export type CallRef = { block: number; call: number } | { base: number };

/** Reads a flushed call's answer. */
export type Answers = (ref: CallRef) => SimCallResult;

/** A command that runs on simulated blocks did something only the real chain can do. */
export class SpeculationError extends Error {
  override name = "SpeculationError";
}

/** The mined blocks of a commit did not do what their simulation did. */
export class CommitMismatchError extends Error {
  override name = "CommitMismatchError";
}

/** Gas of every transaction, simulated or mined: fixed, never estimated (as harness/scenario/world/exec.ts). */
export const txGas = 3_000_000n;

/** Address the engine's own reads come from: no actor of the system, so a read changes nothing it sees. */
const reader: Address = "0x00000000000000000000000000000000000b0b0b";

/**
 * Blocks are flushed, checked and committed before a step starts once this many are pending, so that the
 * next command's blocks still fit one eth_simulateV1 request.
 */
const flushAt = maxBlocksPerRequest - 100;

export type CreateSpeculationParameters = {
  /** The node's fast path (its socket also carries eth_simulateV1). */
  fast: FastChain;
};

/**
 * One fuzz run's simulated chain: the blocks its steps planned since the last flush (on top of the node's
 * latest block), the reads each step's checks need, and the checks themselves, deferred until the blocks
 * have been simulated in one eth_simulateV1 request. A flush runs the checks in step order; when the run
 * goes on afterwards (a command that needs the real chain, or too many blocks for one request), the
 * blocks are also mined for real, so that the chain and the next simulation start where the last one
 * ended.
 */
export class Speculation {
  /** False while a command runs on the real chain (exec.ts and the keeper refuse to speculate then). */
  active = true;
  private blocks: (SimBlock & { txs: number[] })[] = [];
  private base: SimCall[] = [];
  private deferred: ((answers: Answers) => void)[] = [];
  /**
   * What the pending blocks change in governance, as the model predicts it (a wrong prediction fails the
   * step anyway): Safe transactions executed, and the timelock's new delay. Planning reads the chain, which
   * is at the pending blocks' base, and adds these.
   */
  safeExecutions = 0;
  timelockDelay: bigint | undefined;
  /**
   * Whether this speculation changed the chain (it mines only in a commit): until then the chain is where
   * the run found it, and the next run need not revert it (scenario/index.ts).
   */
  chainTouched = false;
  /** Blocks simulated (and checked) by this speculation, and blocks it mined to go on from them. */
  simulated = 0;
  committed = 0;

  /** Reads of the chain at the pending blocks' base (see `atBase`) once a commit has moved it, by key. */
  private baseViews = new Map<string, Promise<unknown>>();

  /**
   * `baselineViews`: reads at the base every run starts from (the baseline), shared by the runs of one
   * harness: a run on simulated blocks finds the chain there, until a commit of its own.
   */
  constructor(
    private readonly fast: FastChain,
    private readonly baselineViews = new Map<string, Promise<unknown>>(),
  ) {}

  /**
   * A view of the chain as it stands under the pending blocks (their base), asked once per base: nothing
   * changes the chain while a run is on simulated blocks but a commit, so planning (governance's Safe nonce
   * and timelock delay, harness/scenario/governance.ts) need not ask the node again for every command, nor,
   * before a commit, for every run (the base is then the baseline).
   */
  atBase<T>(key: string, read: () => Promise<T>): Promise<T> {
    const views = this.chainTouched ? this.baseViews : this.baselineViews;
    let view = views.get(key) as Promise<T> | undefined;
    if (!view) {
      view = read();
      views.set(key, view);
      view.catch(() => views.delete(key));
    }
    return view;
  }

  /** Steps planned but not yet checked. */
  get pendingSteps(): number {
    return this.deferred.length;
  }

  /** Whether a step should flush first, so that its blocks fit the next request. */
  get full(): boolean {
    return this.blocks.length >= flushAt;
  }

  /** A new block holding these transactions, in order; returns where each one's result will be. */
  block(number: bigint, time: bigint, txs: readonly { from: Address; to: Address; data: Hex }[]): CallRef[] {
    const index = this.blocks.length;
    const calls = txs.map((t) => ({ from: t.from, to: t.to, data: t.data, gas: txGas }));
    this.blocks.push({ number, time, calls, txs: calls.map((_, i) => i) });
    return calls.map((_, call) => ({ block: index, call }));
  }

  /**
   * A read at the end of the latest pending block (or of the node's latest block if none is pending). The
   * same read already there (a step that added no block reads after the step before it) is asked once:
   * reads are views, and a block's reads all come after its transactions, so it would answer the same.
   */
  read(to: Address, data: Hex): CallRef {
    const last = this.blocks.at(-1);
    if (!last) {
      const known = this.base.findIndex((c) => c.to === to && c.data === data);
      if (known >= 0) return { base: known };
      this.base.push({ from: reader, to, data });
      return { base: this.base.length - 1 };
    }
    const block = this.blocks.length - 1;
    for (let call = last.txs.length; call < last.calls.length; call++) {
      const c = last.calls[call] as SimCall;
      if (c.to === to && c.data === data) return { block, call };
    }
    last.calls.push({ from: reader, to, data });
    return { block, call: last.calls.length - 1 };
  }

  /** Runs `check` with the answers once the blocks are simulated (in the order the checks were deferred). */
  defer(check: (answers: Answers) => void): void {
    this.deferred.push(check);
  }

  /**
   * Simulates every pending block in one request and runs the deferred checks (the first failing one
   * throws). With `commit`, then mines the same blocks for real, so that the run can go on from them.
   */
  async flush(parameters: { commit: boolean }): Promise<void> {
    const { blocks, base, deferred } = this;
    this.blocks = [];
    this.base = [];
    this.deferred = [];
    if (blocks.length === 0 && base.length === 0 && deferred.length === 0) return;
    const [simulated, baseAnswers] = await Promise.all([
      simulateBlocks(this.fast.socket, blocks),
      this.readBase(base),
    ]);
    this.simulated += blocks.length;
    const answers: Answers = (ref) => {
      const answer =
        "base" in ref
          ? baseAnswers[ref.base]
          : (simulated[ref.block] as SimCallResult[] | undefined)?.[ref.call];
      if (!answer) throw new SpeculationError(`no answer for call ${JSON.stringify(ref)}`);
      return answer;
    };
    for (const check of deferred) check(answers);
    if (parameters.commit) await this.commit(blocks, simulated);
  }

  /** Mines `blocks` (their transactions only) as simulated: same numbers, timestamps, order and outcomes. */
  private async commit(blocks: readonly (SimBlock & { txs: number[] })[], simulated: SimCallResult[][]) {
    if (blocks.length === 0) return;
    const { fast } = this;
    this.chainTouched = true;
    await fast.setAutomine(false);
    try {
      for (const [i, b] of blocks.entries()) {
        await fast.socket.request("evm_setNextBlockTimestamp", [numberToHex(b.time)]);
        if (b.txs.length === 0) {
          await fast.socket.request("evm_mine");
          continue;
        }
        const { receipts } = await fast.sendBlock({ txs: b.txs.map((t) => b.calls[t] as SimCall) });
        receipts.forEach((receipt, k) => {
          const expected = simulated[i]?.[b.txs[k] as number];
          if (receipt.blockNumber !== b.number || (receipt.status === "success") !== expected?.ok) {
            throw new CommitMismatchError(
              `block ${b.number} tx ${k}: mined ${receipt.status} in block ${receipt.blockNumber}, simulated ${expected?.ok ? "success" : "reverted"} in ${b.number}`,
            );
          }
        });
      }
    } finally {
      await fast.setAutomine(true);
    }
    this.committed += blocks.length;
    this.baseViews.clear();
    this.safeExecutions = 0;
    this.timelockDelay = undefined;
  }

  private async readBase(base: readonly SimCall[]): Promise<SimCallResult[]> {
    if (base.length === 0) return [];
    const answers = await this.fast.socket.batch<Hex>(
      base.map((c) => ({ method: "eth_call", params: [{ from: c.from, to: c.to, data: c.data }, "latest"] })),
    );
    return answers.map((a) => {
      if (!a.ok) throw a.error;
      return { ok: true, returnData: a.result, logs: [], gasUsed: 0n };
    });
  }
}
