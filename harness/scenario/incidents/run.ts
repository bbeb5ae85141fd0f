// One incident's run: its phases (each a Step with every check after it), the actors' value measured from
// the chain before and after, and what the protocol refused or tripped on along the way.
import type { Address } from "viem";
import { SpeculationError } from "../../engine/speculation.js";
import { violate } from "../../invariants/violation.js";
import { max, min } from "../../model/math.js";
import { enumName, Mode, OracleClass } from "../../model/types.js";
import type { ChainSnapshot } from "../../system/system.js";
import { calls } from "../calls.js";
import { fundMargin, warpTo } from "../commands/adversary.js";
import { moved, sizeForLeverage } from "../commands/sizing.js";
import { InvariantViolation } from "../contract.js";
import type { Planned, ScenarioCommand, ScenarioModel, Step as StepType } from "../step.js";
import { Step } from "../step.js";
import { sockOf } from "../world/actors.js";
import { keeperTick } from "../world/keepers.js";
import { unit, type World } from "../world/world.js";

export const keeperModes = ["prompt", "slow", "absent"] as const;
export type KeeperMode = (typeof keeperModes)[number];

/** What every incident's args share: the honest side of the market around the attack. */
export type CommonArgs = {
  /** The second LP's deposit in whole units (lp0 seeded 1M at the baseline: about a $2M pool). */
  lpUnits: number;
  /** t0..t2: -1 short, 0 out, 1 long; at `honestLeverageBps` of their equity. */
  honestSides: number[];
  honestLeverageBps: number;
  keeper: KeeperMode;
  /** lp1 redeems this share of its shares (bps) at attack phase `lpExitAt` (0: never). */
  lpExitBps: number;
  lpExitAt: number;
};

/** What stopped (or did not stop) the attack, from the transactions' outcomes and the market's events. */
export type Stoppers = {
  /** Mode transitions, in order ("Normal→Halted"). */
  modes: string[];
  /** Breaker trips by oracle class, with counts. */
  trips: Record<string, number>;
  /** Rounds the oracle guard rejected, by class, with counts. */
  rejected: Record<string, number>;
  /** The attacker's refused transactions: call and error, with counts. */
  refused: Record<string, number>;
  /** Honest traders liquidated, and bad debt the pool absorbed (units of collateral). */
  liquidations: number;
  badDebt: bigint;
};

const count = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

/**
 * The incident's driver: phases run as their own steps (the protocol invariants, user and campaign
 * promises, mode transitions and the model are checked after each), with helpers for the moves every
 * playbook is made of.
 */
export class IncidentRun {
  readonly stoppers: Stoppers = {
    modes: [],
    trips: {},
    rejected: {},
    refused: {},
    liquidations: 0,
    badDebt: 0n,
  };
  /** The attacker's accounts (a second one where the playbook used a sock puppet). */
  readonly attackers: Address[];
  /** The LPs the attack is measured against. */
  readonly honestLps: Address[];
  /** The traders who hold a position from the setup (t0..t2 on a non-zero `honestSides`). */
  readonly honestTraders: Address[];
  /** The feeds' answer before the attack: the true price a manipulation returns to. */
  truth = 0n;
  /** The chain right after the setup phase: where the attack starts and its P&L is measured from. */
  started: ChainSnapshot | undefined;
  last: ChainSnapshot | undefined;
  private attackPhase = 0;

  constructor(
    readonly m: ScenarioModel,
    readonly w: World,
    readonly command: ScenarioCommand,
    readonly common: CommonArgs,
    sock = false,
  ) {
    const { actors } = m;
    this.attackers = sock ? [actors.attacker, sockOf(actors)] : [actors.attacker];
    this.honestLps = [...actors.lps];
    this.honestTraders = common.honestSides.flatMap((side, i) => {
      const trader = actors.traders[i];
      return side !== 0 && trader ? [trader] : [];
    });
  }

  get attacker(): Address {
    return this.m.actors.attacker;
  }

  /** One phase: a Step of its own, ended by every check (throws InvariantViolation). */
  async phase(label: string, act: (step: StepType) => Promise<void>): Promise<ChainSnapshot> {
    // An incident measures P&L from the chain between its phases: it runs on mined blocks only (`simulates`).
    if (this.w.speculation) throw new SpeculationError("an incident runs on mined blocks");
    const step = new Step(this.m, this.w);
    await act(step);
    this.observe(step);
    const named = {
      name: this.command.name,
      args: () => this.command.args(),
      toString: () => `${this.command.toString()}: ${label}`,
    } as unknown as ScenarioCommand;
    const snapshot = await step.finish(named);
    if (!snapshot) throw new SpeculationError("an incident runs on mined blocks");
    this.last = snapshot;
    return snapshot;
  }

  /**
   * One phase of the attack itself: the honest LP's exit lands at its chosen phase, and the keeper ticks
   * after the attacker's move.
   */
  async attack(label: string, act: (step: StepType) => Promise<void>): Promise<ChainSnapshot> {
    const index = this.attackPhase++;
    return this.phase(label, async (step) => {
      if (index === this.common.lpExitAt) await this.lpExit(step);
      await act(step);
      await this.tick(step);
    });
  }

  /** The honest side: lp1 deposits, t0..t2 open; the attacker's borrowed capital arrives. */
  async setup(attackerUnits: number, sockUnits = 0): Promise<ChainSnapshot> {
    this.truth = this.m.port.feed("primary").latestAnswer;
    this.started = await this.phase("setup", async (step) => {
      const { m, w } = this;
      const lp1 = m.actors.lps[1] as Address;
      if (this.common.lpUnits > 0)
        await step.act(calls.lpDeposit(w, lp1, BigInt(this.common.lpUnits) * unit));
      const opens: Planned[] = [];
      this.common.honestSides.forEach((side, i) => {
        const trader = m.actors.traders[i] as Address;
        if (side !== 0) {
          const size = sizeForLeverage(m.port, trader, side as 1 | -1, this.common.honestLeverageBps);
          opens.push(calls.modify(w, trader, size, 0n));
        }
      });
      if (opens.length > 0) await step.block(opens);
      await fundMargin(step, this.attacker, BigInt(attackerUnits));
      const sock = this.attackers[1];
      if (sock) await fundMargin(step, sock, BigInt(sockUnits));
    });
    return this.started;
  }

  /** A position of `leverageBps` of the account's equity on `side`. */
  open(account: Address, side: 1 | -1, leverageBps: number): Planned {
    return calls.modify(this.w, account, sizeForLeverage(this.m.port, account, side, leverageBps), 0n);
  }

  close(account: Address): Planned {
    return calls.close(this.w, account, 0n);
  }

  /** `bps` of what the account could withdraw now at the model's price (free margin, capped by margin). */
  withdrawFree(account: Address, bps: number): Planned | undefined {
    const h = this.m.port.health(account);
    const margin = this.m.port.account(account).margin;
    const limit = min(h.equity - h.initialRequired, margin);
    const amount = (limit * BigInt(bps)) / 10_000n;
    return amount > 0n ? calls.withdraw(this.w, account, amount) : undefined;
  }

  /**
   * One block of rounds: the primary at `primary` (an answer), the secondary at `secondary` (undefined: it
   * keeps its last round), then a refresh by the keeper if one is about (or the attacker otherwise).
   */
  rounds(primary: bigint, secondary: bigint | undefined, refresh = true): Planned[] {
    const { m, w } = this;
    const block: Planned[] = [];
    if (m.port.feed("primary").reportedOverride !== 0n) block.push(calls.feedReportedRound(w, "primary", 0n));
    block.push(calls.feedAnswer(w, "primary", primary));
    if (secondary !== undefined) block.push(calls.feedAnswer(w, "secondary", secondary));
    if (refresh) block.push(calls.refresh(w, this.refresher()));
    return block;
  }

  /** Both feeds moved by `bps` from the primary's latest answer (a compromised pair, or a real move). */
  both(bps: number): Planned[] {
    const answer = moved(this.m.port.feed("primary").latestAnswer, bps);
    return this.rounds(answer, answer);
  }

  refresher(): Address {
    const { actors } = this.m;
    return this.common.keeper === "absent" ? this.attacker : (actors.keepers[0] as Address);
  }

  /** The keeper's tick, as the mode says (slow: one liquidation per tick; absent: none). */
  async tick(step: StepType): Promise<void> {
    const [k0, k1] = this.m.actors.keepers as [Address, Address];
    if (this.common.keeper === "prompt") await keeperTick(step, this.w.keepers.prompt, k0);
    if (this.common.keeper === "slow") await keeperTick(step, this.w.keepers.slow, k1);
  }

  /** The next block lands `seconds` after the latest one, or after a wait already pending (waits add up). */
  async wait(step: StepType, seconds: number): Promise<void> {
    const { clock } = step.w;
    await warpTo(step, (clock.pending ?? clock.latest) + BigInt(seconds));
  }

  private async lpExit(step: StepType): Promise<void> {
    const lp1 = this.m.actors.lps[1] as Address;
    const shares = (this.m.port.lpShares(lp1) * BigInt(this.common.lpExitBps)) / 10_000n;
    if (shares > 0n) await step.act(calls.lpRedeem(this.w, lp1, shares));
  }

  /**
   * The end every incident shares: the feeds publish the true price (in steps under the jump band when the
   * path went far, so that a working breaker is not what keeps the market there), an hour passes (the
   * breaker's cooldown, and `jumpResetAfter`: today's guard accepts a held level then), valid rounds follow
   * and the keeper ticks: the market as the honest side finds it once the incident is over.
   */
  async settleAt(price: bigint, label = "the true price returns"): Promise<ChainSnapshot> {
    await this.phase(label, async (step) => {
      for (let i = 0; i < 40; i++) {
        const latest = this.m.port.feed("primary").latestAnswer;
        if (latest === price) break;
        const ratio = (price * 10_000n) / latest;
        const next = ratio > 10_900n ? moved(latest, 900) : ratio < 9_100n ? moved(latest, -900) : price;
        await this.wait(step, 60);
        await step.block(this.rounds(next, next));
      }
    });
    const { breakerCooldown, jumpResetAfter, breakerValidReadings } = this.w.bounds;
    const quiet = max(breakerCooldown, jumpResetAfter);
    await this.phase("an hour on: valid rounds, keeper", async (step) => {
      await this.wait(step, Number(quiet) + 60);
      for (let i = 0; i < breakerValidReadings + 1; i++) {
        await this.wait(step, 60);
        await step.block(this.rounds(price, price));
      }
      const [k0] = this.m.actors.keepers as [Address];
      await keeperTick(step, this.w.keepers.prompt, k0);
    });
    // What the attacker got is real only once it leaves: accounts without a position withdraw their margin.
    return this.phase("the attacker cashes out", async (step) => {
      for (const account of this.attackers) {
        const { size, margin } = this.m.port.account(account);
        if (size === 0n && margin > 0n) await step.act(calls.withdraw(this.w, account, margin));
      }
    });
  }

  /** The incident's own promises that broke, in order (judged when the incident ends: see `verdict`). */
  readonly breaches: InvariantViolation[] = [];

  /**
   * An incident's promise, judged from the chain after the latest phase. A breach is kept, not thrown, so
   * that the incident plays to its end and its P&L is measured; `verdict` throws the first one.
   */
  promise(
    invariant: string,
    holds: boolean,
    detail: { expected: unknown; actual: unknown; actors: string[] },
  ) {
    if (holds) return;
    try {
      violate({ invariant, kind: "promise", step: this.w.steps.length - 1, ...detail });
    } catch (error) {
      if (!(error instanceof InvariantViolation)) throw error;
      this.breaches.push(error);
    }
  }

  /** Throws the first breach the world does not tolerate (tolerated ones are recorded, as the steps do). */
  verdict(): void {
    for (const breach of this.breaches) {
      if (!this.w.tolerate(breach.info)) throw breach;
      this.w.toleratedSeen.push(breach.info);
    }
  }

  private observe(step: StepType): void {
    const attackers = new Set(this.attackers.map((a) => a.toLowerCase()));
    for (const tx of step.facts.txs) {
      if (attackers.has(tx.from.toLowerCase()) && tx.status !== "ok" && tx.call !== "refresh") {
        count(this.stoppers.refused, `${tx.call}: ${tx.error ?? tx.status}`);
      }
      for (const e of tx.guard) {
        if (e.eventName === "ReadingRejected")
          count(this.stoppers.rejected, enumName(OracleClass, Number(e.args.class)));
      }
      for (const e of tx.market) {
        if (e.eventName === "ModeChanged") {
          this.stoppers.modes.push(
            `${enumName(Mode, Number(e.args.from))}→${enumName(Mode, Number(e.args.to))}`,
          );
        }
        if (e.eventName === "BreakerTripped")
          count(this.stoppers.trips, enumName(OracleClass, Number(e.args.class)));
        if (e.eventName === "Liquidated" && !attackers.has(String(e.args.account).toLowerCase())) {
          this.stoppers.liquidations++;
        }
        if (e.eventName === "BadDebt") this.stoppers.badDebt += e.args.socialised as bigint;
      }
    }
  }
}

/**
 * What an account holds in collateral, read from the chain: its wallet, its margin account's equity at the
 * market's last good price (nothing if negative: the deficit is the pool's), and its LP shares at the
 * pool's equity per share.
 */
export function heldBy(snapshot: ChainSnapshot, account: Address): bigint {
  const a = accountIn(snapshot, account);
  const equity = a.equity > 0n ? a.equity : 0n;
  return a.walletBalance + equity + inPool(snapshot, account);
}

/** An account's LP shares at the pool's equity per share. */
export function inPool(snapshot: ChainSnapshot, account: Address): bigint {
  const m = snapshot.market;
  if (m.poolShareSupply === 0n || m.poolEquity <= 0n) return 0n;
  return (accountIn(snapshot, account).lpShares * m.poolEquity) / m.poolShareSupply;
}

function accountIn(snapshot: ChainSnapshot, account: Address) {
  const a = snapshot.accounts.find((x) => x.account.toLowerCase() === account.toLowerCase());
  if (!a) throw new Error(`account ${account} not in the snapshot`);
  return a;
}
