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
  /** After a governance step: the timelock's delay and the market's exit window (halt + settlement). */
  governance?: { timelockDelay: bigint; exitWindow: bigint } | undefined;
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
});
