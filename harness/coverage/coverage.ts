/**
 * Behaviour coverage: the semantic analogue of forge's and Medusa's coverage-guided corpus. It counts what the
 * generated campaigns made the protocol do — which action ran in which mode and how it ended, under which oracle
 * reading, which mode transitions happened and why, which custom errors came back, which promises had a case to
 * judge — and, per command, what its transactions did (forge's `show_metrics`). It knows nothing of the protocol:
 * the scenario layer names the dimensions (from the generated Solidity enums and ABIs) and feeds it observations.
 */

/** The axes the cells are built from; every list is the universe of that axis (cells outside it still count). */
export type CoverageDimensions = {
  modes: readonly string[];
  actions: readonly string[];
  outcomes: readonly string[];
  oracleClasses: readonly string[];
  errors: readonly string[];
  promises: readonly string[];
};

/** One transaction, as coverage sees it. */
export type TxObservation = {
  command: string;
  mode: string;
  action: string;
  outcome: string;
  oracleClass: string;
  /** The custom error's name when it reverted. */
  error?: string | undefined;
};

/** Per command, like forge's invariant metrics. */
export type CommandMetrics = {
  /** Times the command ran (one step each). */
  calls: number;
  /** Transactions it sent, and how they ended. */
  txs: number;
  ok: number;
  reverts: Record<string, number>;
  /** Oracle-breaker trips and invariant trips its transactions caused. */
  trips: number;
  invariantTrips: number;
};

/** What `toJSON` writes beside a campaign (and what `--workers` merges). */
export type CoverageJson = {
  runs: number;
  modeActionOutcome: Record<string, number>;
  oracleAction: Record<string, number>;
  transitions: Record<string, number>;
  errors: Record<string, number>;
  promises: Record<string, number>;
  commands: Record<string, CommandMetrics>;
  /** Cells per command (the `modeActionOutcome` and `oracleAction` keys it produced): what steering reads. */
  producedBy: Record<string, string[]>;
};

const cell = (...parts: string[]) => parts.join(" × ");

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

const emptyMetrics = (): CommandMetrics => ({
  calls: 0,
  txs: 0,
  ok: 0,
  reverts: {},
  trips: 0,
  invariantTrips: 0,
});

export class BehaviourCoverage {
  runs = 0;
  readonly modeActionOutcome = new Map<string, number>();
  readonly oracleAction = new Map<string, number>();
  readonly transitions = new Map<string, number>();
  readonly errors = new Map<string, number>();
  readonly promises = new Map<string, number>();
  readonly commands = new Map<string, CommandMetrics>();
  readonly producedBy = new Map<string, Set<string>>();

  constructor(readonly dimensions: CoverageDimensions) {}

  private metrics(command: string): CommandMetrics {
    let m = this.commands.get(command);
    if (!m) {
      m = emptyMetrics();
      this.commands.set(command, m);
    }
    return m;
  }

  private produced(command: string, key: string): void {
    let cells = this.producedBy.get(command);
    if (!cells) {
      cells = new Set();
      this.producedBy.set(command, cells);
    }
    cells.add(key);
  }

  /** A command ran (whatever its transactions did). */
  recordCall(command: string): void {
    this.metrics(command).calls++;
  }

  recordTx(tx: TxObservation): void {
    const mao = cell(tx.mode, tx.action, tx.outcome);
    const oa = cell(tx.oracleClass, tx.action);
    bump(this.modeActionOutcome, mao);
    bump(this.oracleAction, oa);
    this.produced(tx.command, mao);
    this.produced(tx.command, oa);
    const m = this.metrics(tx.command);
    m.txs++;
    if (tx.outcome === "ok") m.ok++;
    if (tx.outcome === "tripped") m.trips++;
    if (tx.outcome === "invariant") m.invariantTrips++;
    if (tx.error !== undefined) {
      bump(this.errors, tx.error);
      m.reverts[tx.error] = (m.reverts[tx.error] ?? 0) + 1;
    }
  }

  /** A mode change the chain reported (`ModeChanged(from, to, cause)`). */
  recordTransition(command: string, from: string, to: string, cause: string): void {
    const key = `${from} → ${to} (${cause})`;
    bump(this.transitions, key);
    this.produced(command, key);
  }

  /** A promise had a case to judge (whether or not it held). */
  recordPromise(name: string): void {
    bump(this.promises, name);
  }

  /** Adds another campaign's (or run's) counts into this one. */
  merge(other: BehaviourCoverage | CoverageJson): this {
    const o = other instanceof BehaviourCoverage ? other.toJSON() : other;
    this.runs += o.runs;
    const add = (into: Map<string, number>, from: Record<string, number>) => {
      for (const [k, v] of Object.entries(from)) bump(into, k, v);
    };
    add(this.modeActionOutcome, o.modeActionOutcome);
    add(this.oracleAction, o.oracleAction);
    add(this.transitions, o.transitions);
    add(this.errors, o.errors);
    add(this.promises, o.promises);
    for (const [name, m] of Object.entries(o.commands)) {
      const into = this.metrics(name);
      into.calls += m.calls;
      into.txs += m.txs;
      into.ok += m.ok;
      into.trips += m.trips;
      into.invariantTrips += m.invariantTrips;
      for (const [reason, n] of Object.entries(m.reverts))
        into.reverts[reason] = (into.reverts[reason] ?? 0) + n;
    }
    for (const [name, cells] of Object.entries(o.producedBy)) for (const c of cells) this.produced(name, c);
    return this;
  }

  /** How many times a cell was hit over the campaign (0 when never). */
  hits(key: string): number {
    return this.modeActionOutcome.get(key) ?? this.oracleAction.get(key) ?? this.transitions.get(key) ?? 0;
  }

  /** Seen / possible, per axis, with the cells of the universe never seen. */
  summary(): CoverageSummary {
    const d = this.dimensions;
    const grid = (axes: readonly (readonly string[])[]): string[] =>
      axes.reduce<string[]>((acc, axis) => acc.flatMap((a) => axis.map((x) => (a ? cell(a, x) : x))), [""]);
    const count = (universe: string[], seen: Map<string, number>) => {
      const inside = new Set(universe);
      return {
        seen: universe.filter((c) => seen.has(c)).length,
        total: universe.length,
        // Seen cells outside the declared universe (a new enum value, an unlisted error) are still reported.
        extra: [...seen.keys()].filter((k) => !inside.has(k)).length,
        unseen: universe.filter((c) => !seen.has(c)),
      };
    };
    return {
      runs: this.runs,
      modeActionOutcome: count(grid([d.modes, d.actions, d.outcomes]), this.modeActionOutcome),
      oracleAction: count(grid([d.oracleClasses, d.actions]), this.oracleAction),
      errors: count([...d.errors], this.errors),
      promises: count([...d.promises], this.promises),
      transitions: this.transitions.size,
    };
  }

  toJSON(): CoverageJson {
    const sorted = (m: Map<string, number>) =>
      Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    return {
      runs: this.runs,
      modeActionOutcome: sorted(this.modeActionOutcome),
      oracleAction: sorted(this.oracleAction),
      transitions: sorted(this.transitions),
      errors: sorted(this.errors),
      promises: sorted(this.promises),
      commands: Object.fromEntries([...this.commands.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
      producedBy: Object.fromEntries(
        [...this.producedBy.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => [k, [...v].sort()]),
      ),
    };
  }

  static fromJSON(dimensions: CoverageDimensions, json: CoverageJson): BehaviourCoverage {
    return new BehaviourCoverage(dimensions).merge(json);
  }
}

export type AxisCount = { seen: number; total: number; extra: number; unseen: string[] };

export type CoverageSummary = {
  runs: number;
  modeActionOutcome: AxisCount;
  oracleAction: AxisCount;
  errors: AxisCount;
  promises: AxisCount;
  /** Distinct (from → to, cause) transitions seen. */
  transitions: number;
};
