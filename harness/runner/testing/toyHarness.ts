/**
 * A pure, chainless ScenarioHarness for fast runner tests. Commands "a" and "b" count into a model.
 * Invariant "too-many-a" fails once `aLimit` a-commands ran. With `decoyAfterFirstFailure`, a "b" run fails
 * with invariant "decoy" once any earlier run has failed: a second bug that only shows up in shrink
 * candidates, to test that shrinking stays on the first failure.
 */
import * as fc from "fast-check";
import {
  InvariantViolation,
  type JsonValue,
  type NamedCommand,
  type ScenarioHarness,
  type StepRecord,
} from "../../scenario/contract.js";

export type ToyModel = { a: number };
export type ToyReal = { steps: StepRecord[] };

export type ToyHarnessParameters = { aLimit: number; decoyAfterFirstFailure?: boolean };

export function createToyHarness(parameters: ToyHarnessParameters): ScenarioHarness<ToyModel, ToyReal> & {
  readonly failures: number;
} {
  let failures = 0;
  const make = (name: "a" | "b", weight: number): NamedCommand<ToyModel, ToyReal> => ({
    name,
    args: () => ({ weight }),
    check: () => true,
    async run(model, real) {
      const index = real.steps.length;
      real.steps.push({
        index,
        command: `${name}(${weight})`,
        name,
        args: { weight },
        block: String(index + 1),
        timestamp: "0",
      });
      if (name === "a") model.a++;
      const fail = (invariant: string, expected: JsonValue, actual: JsonValue) => {
        failures++;
        throw new InvariantViolation({ invariant, expected, actual, diff: [], step: index });
      };
      if (name === "b" && parameters.decoyAfterFirstFailure && failures > 0) fail("decoy", "no b", "b");
      if (model.a >= parameters.aLimit) fail("too-many-a", `< ${parameters.aLimit}`, model.a);
    },
    toString: () => `${name}(${weight})`,
  });
  const weight = fc.integer({ min: 0, max: 9 });
  return {
    get failures() {
      return failures;
    },
    commands: (_kind, maxCommands, replayPath) =>
      fc.commands([weight.map((w) => make("a", w)), weight.map((w) => make("b", w))], {
        maxCommands,
        replayPath,
      }),
    rebuild(name, args) {
      if ((name !== "a" && name !== "b") || typeof args.weight !== "number")
        throw new Error(`unknown command "${name}"`);
      return make(name, args.weight);
    },
    setup: async () => ({ model: { a: 0 }, real: { steps: [] } }),
    trace: (real) => real.steps,
    stats: () => ({ modes: ["Normal"], worstHealth: null }),
  };
}
