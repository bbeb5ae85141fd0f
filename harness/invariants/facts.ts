import type { Address } from "viem";

/** What a step did that the user-level promises judge (collected by the scenario's step pipeline). */
export type StepFacts = {
  /** Risk-adding actions that read a non-Valid oracle class (as the model classified the reading). */
  anomalies: { action: string; oracleClass: number }[];
  /** Exit attempts by accounts without a position: margin withdrawals outside Settlement, claims in it. */
  exits: ExitAttempt[];
  /** A step that tampers with the system on purpose may trip the market's own invariant check. */
  expectInvariantTrip: boolean;
  /** The timelock executed a setMode in this step (the one sanctioned way to loosen besides the breaker). */
  governanceSetMode: boolean;
  /** A market call the owner timelock executed in this step, with the delay and exit window it ran under. */
  governance?: GovernanceCall | undefined;
  /**
   * Every transaction the step mined, in block order, with what the chain said it did (receipt status, the
   * decoded revert, and the market's, guard's and pool's events): what the campaign promises judge.
   */
  txs: ObservedTx[];
};

/** An event as decoded from a receipt: its name and named arguments. */
export type ObservedEvent = { eventName: string; args: Record<string, unknown> };

/** One mined transaction as the chain reports it (never the model's prediction). */
export type ObservedTx = {
  from: Address;
  to: Address;
  label: string;
  /** The protocol call it makes (the step's action kind: "modify", "refresh", "lpRedeem", "feedAnswer", ...). */
  call: string;
  /** Call arguments the promises need (the size delta of a trade, the feed and answer of a round, ...). */
  input: Record<string, unknown>;
  status: "ok" | "reverted" | "tripped" | "invariant";
  error?: string | undefined;
  block: bigint;
  timestamp: bigint;
  market: ObservedEvent[];
  guard: ObservedEvent[];
  pool: ObservedEvent[];
  /** The sender's account read from the chain right after a margin withdrawal mined alone in its block. */
  after?: { margin: bigint; size: bigint; equity: bigint; initialRequired: bigint } | undefined;
};

export type GovernanceCall = {
  /** The market call (e.g. "setMode(Cautious)"). */
  call: string;
  /** Whether the timelock's execute (and so the market call) succeeded. */
  ok: boolean;
  error?: string | undefined;
  /** The timelock's getMinDelay when it executed. */
  timelockDelay: bigint;
  /** The market's exit window then: maxHaltDuration + settlementWindow. */
  exitWindow: bigint;
  /**
   * The call needs no owner rights: settle() on a market Halted past maxHaltDuration is open to anyone (the
   * exit itself), so a short delay does not bar it.
   */
  openToAnyone: boolean;
};

export type ExitAttempt = {
  account: Address;
  kind: "withdraw" | "claim";
  /** Market mode when the attempt was made. */
  mode: number;
  amount: bigint;
  /** Margin the account held before the attempt. */
  marginBefore: bigint;
  ok: boolean;
  error?: string | undefined;
  /** Collateral the account received (claims). */
  paid?: bigint | undefined;
};

export const emptyFacts = (): StepFacts => ({
  anomalies: [],
  exits: [],
  expectInvariantTrip: false,
  governanceSetMode: false,
  txs: [],
});
