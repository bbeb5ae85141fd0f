import type { TransactionReceipt } from "viem";

/**
 * The world's idea of the chain's clock. Nodes run with a fixed block timestamp interval, so the block a
 * transaction lands in is predictable before it is sent: the model is told that time up front, and the
 * chain-vs-model check compares it with the block the Lens reads.
 */
export class Clock {
  /** Set by a warp: the timestamp the next block will carry instead of latest + interval. */
  pending: bigint | undefined;

  constructor(
    public latest: bigint,
    public block: bigint,
    readonly interval: bigint,
  ) {}

  /** The timestamp of the next block to be mined. */
  next(): bigint {
    return this.pending ?? this.latest + this.interval;
  }

  mined(receipt: TransactionReceipt): void {
    this.minedAt(receipt.blockNumber, this.next());
  }

  minedAt(block: bigint, timestamp: bigint): void {
    this.block = block;
    this.latest = timestamp;
    this.pending = undefined;
  }

  copy(): Clock {
    const clock = new Clock(this.latest, this.block, this.interval);
    clock.pending = this.pending;
    return clock;
  }
}
