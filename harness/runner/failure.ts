import type * as fc from "fast-check";
import {
  type FailureInfo,
  InvariantViolation,
  type JsonValue,
  type NamedCommand,
} from "../scenario/contract.js";

/** A command as an artifact stores it: enough for ScenarioHarness.rebuild. */
export type CommandRecord = { name: string; args: Record<string, JsonValue> };

// Failures of the machinery, not findings about the protocol: never shrunk, never written as artifacts.
const infrastructureErrors = new Set([
  "NodeDiedError",
  "AnvilStartError",
  "SnapshotConsumedError",
  "ReceiptTimeoutError",
  "FoundryBinaryNotFoundError",
]);

export function isInfrastructureError(error: unknown): boolean {
  return error instanceof Error && infrastructureErrors.has(error.name);
}

/**
 * Turns what a command run threw into a FailureInfo, or undefined for an infrastructure error. Anything a
 * command did not explain (an unexpected revert, a TypeError) is a finding too, named after its class so
 * that shrinking can stay on it: "unexpected-error:<Name>".
 */
export function toFailureInfo(error: unknown, step: number): FailureInfo | undefined {
  if (error instanceof InvariantViolation) return error.info;
  if (isInfrastructureError(error)) return undefined;
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return {
    invariant: `unexpected-error:${name}`,
    expected: null,
    actual: message.split("\n").slice(0, 8).join("\n").slice(0, 2_000),
    diff: [],
    step,
  };
}

/**
 * The NamedCommand behind what fc.commands yields (its CommandWrapper keeps it in `cmd` and flags whether it
 * ran, which fast-check's shrinker uses). A command without a name cannot go into an artifact: fail early.
 */
export function unwrapCommand<M extends object, R>(command: unknown): NamedCommand<M, R> {
  const inner = ((command as { cmd?: unknown }).cmd ?? command) as Partial<NamedCommand<M, R>>;
  if (typeof inner.name !== "string" || typeof inner.args !== "function") {
    throw new TypeError(`command ${String(inner)} is not a NamedCommand (no name or args())`);
  }
  return inner as NamedCommand<M, R>;
}

/** Wraps commands so that the ones actually run (check passed) are recorded in order, args included. */
export function recordRuns<M extends object, R>(
  commands: Iterable<fc.AsyncCommand<M, R, boolean>>,
  ran: CommandRecord[],
): NamedCommand<M, R>[] {
  return Array.from(commands, (command) => {
    const inner = unwrapCommand<M, R>(command);
    return {
      name: inner.name,
      args: () => inner.args(),
      check: (model: Readonly<M>) => command.check(model),
      // Calls the wrapper's run (not the inner command's) so fast-check's own bookkeeping stays right.
      run: (model: M, real: R) => {
        ran.push({ name: inner.name, args: inner.args() });
        return command.run(model, real);
      },
      toString: () => command.toString(),
    };
  });
}
