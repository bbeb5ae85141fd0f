import { type Address, formatUnits, type Hash } from "viem";
import { solidityEnums } from "../generated/abis.js";
import type { modeNames } from "./revert.js";

export type ModeName = (typeof modeNames)[number];

/** The market's `Cause` names by value (generated from the Solidity enum). */
export const causeNames: readonly string[] = Object.keys(solidityEnums.Cause);

export type KeeperActionKind = "refresh" | "liquidate" | "settleLoss" | "settle" | "realise";

/** Something the keeper did (or, in a dry run, would have done: no hash). */
export type KeeperAction = {
  kind: KeeperActionKind;
  account?: Address | undefined;
  /** refresh: "new price" or "breaker reset"; liquidate: "equity E < maintenance M"; realise: "equity E". */
  detail: string;
  /** liquidate: the keeper reward the call returned (collateral units). */
  reward?: bigint | undefined;
  /** realise: the account's (negative) equity at the settlement snapshot. */
  equity?: bigint | undefined;
  hash?: Hash | undefined;
  block?: bigint | undefined;
};

/** An action the simulation refused with an expected error (someone was faster, the price is not usable…). */
export type KeeperSkip = { kind: KeeperActionKind; account?: Address | undefined; reason: string };

/** An unexpected revert, a reverted transaction, or an RPC failure while sending. */
export type KeeperError = {
  kind: KeeperActionKind;
  account?: Address | undefined;
  message: string;
  hash?: Hash | undefined;
};

/** A ModeChanged event emitted by one of the keeper's own transactions. */
export type ModeChange = { from: ModeName; to: ModeName; cause: string; block: bigint };

export type TickReport = {
  /** 1 for the keeper's first tick. */
  tick: number;
  dryRun: boolean;
  /** The head block when the tick started. */
  block: bigint;
  timestamp: bigint;
  modeBefore: ModeName;
  modeAfter: ModeName;
  /** Accounts known after discovery, and the ones first seen in this tick. */
  accounts: number;
  newAccounts: Address[];
  /** The block scanned last was gone (evm_revert or reorg): discovery started over. */
  rescanned: boolean;
  /** Accounts the Lens reported liquidatable (after any oracle refresh), before the per-tick cap. */
  liquidatable: number;
  actions: KeeperAction[];
  skipped: KeeperSkip[];
  errors: KeeperError[];
  modeChanges: ModeChange[];
  durationMs: number;
};

export type FormatTickLineParameters = { report: TickReport; collateralDecimals?: number | undefined };

/** One progress line per tick, e.g. `tick 3 block 120 Normal accounts 12 (+2) liquidatable 1 | liquidate …`. */
export function formatTickLine({ report: r, collateralDecimals }: FormatTickLineParameters): string {
  const amount = (value: bigint) =>
    collateralDecimals === undefined ? value.toString() : formatUnits(value, collateralDecimals);
  const mode = r.modeBefore === r.modeAfter ? r.modeAfter : `${r.modeBefore}->${r.modeAfter}`;
  const head =
    `tick ${r.tick} block ${r.block} ${mode} accounts ${r.accounts}` +
    `${r.newAccounts.length ? ` (+${r.newAccounts.length})` : ""}${r.rescanned ? " (rescanned)" : ""}` +
    ` liquidatable ${r.liquidatable}`;
  const parts = r.actions.map((a) => {
    const verb = r.dryRun ? `would ${a.kind}` : a.kind;
    const who = a.account ? ` ${shortAddress(a.account)}` : "";
    const extra =
      a.reward !== undefined
        ? ` reward ${amount(a.reward)}`
        : a.equity !== undefined
          ? ` equity ${amount(a.equity)}`
          : a.kind === "refresh"
            ? ` (${a.detail})`
            : "";
    return `${verb}${who}${extra}`;
  });
  if (r.skipped.length) parts.push(`skipped ${r.skipped.length}`);
  for (const e of r.errors) {
    parts.push(`ERROR ${e.kind}${e.account ? ` ${shortAddress(e.account)}` : ""}: ${e.message}`);
  }
  for (const c of r.modeChanges) parts.push(`mode ${c.from}->${c.to} (${c.cause})`);
  return `${[head, ...parts].join(" | ")} (${r.durationMs} ms)`;
}

/** The report as JSON-safe values (bigints as decimal strings). */
export function tickReportToJson(report: TickReport): unknown {
  return JSON.parse(JSON.stringify(report, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
}

function shortAddress(address: Address): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}
