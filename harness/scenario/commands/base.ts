import type { JsonValue } from "../contract.js";
import { type ScenarioCommand, type ScenarioModel, Step } from "../step.js";
import type { World } from "../world/world.js";

/**
 * What every command shares: JSON args kept verbatim (the artifact rebuilds the command from them), a
 * precondition on the model, and a run that acts through a Step and ends with the step's checks.
 */
export abstract class Command<A extends Record<string, JsonValue>> implements ScenarioCommand {
  abstract readonly name: string;

  constructor(readonly a: A) {}

  args(): Record<string, JsonValue> {
    return this.a;
  }

  check(_m: Readonly<ScenarioModel>): boolean {
    return true;
  }

  async run(m: ScenarioModel, w: World): Promise<void> {
    const step = await Step.begin(this, m, w);
    await this.act(step);
    await step.finish(this);
  }

  /** The command's transactions (public so that macro commands can compose commands). */
  abstract act(step: Step): Promise<void>;

  abstract toString(): string;
}

/** One command kind: how to generate it, and how to rebuild it from an artifact's args. */
export type CommandSpec = {
  readonly name: string;
  build(args: Record<string, JsonValue>): ScenarioCommand;
  readonly arbitrary: import("fast-check").Arbitrary<ScenarioCommand>;
};
