import * as fc from "fast-check";
import { Mode } from "../../model/types.js";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { warp } from "../world/exec.js";
import { actorArg, keeperRefs, marginRefs, pick, resolve } from "./actorRef.js";
import { oneOf } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { variant: "withdrawAll" | "settle"; actor: string };

/**
 * The exits that need nobody's permission: an account without a position takes all its margin out
 * (even from a Halted market), or anyone moves a Halted market to Settlement once its exit opens
 * (`exitOpensAt`: after maxHaltDuration and after governance's delay; waiting out the rest first).
 */
export class EmergencyExitCommand extends Command<Args> {
  readonly name = "emergencyExit";
  override check(m: Readonly<ScenarioModel>) {
    const actor = resolve(m.actors, this.a.actor);
    if (this.a.variant === "settle") return m.port.mode() === Mode.Halted;
    const account = m.port.account(actor);
    return account.size === 0n && account.margin > 0n && m.port.mode() !== Mode.Settlement;
  }
  async act(step: Step) {
    const { m, w } = step;
    const actor = resolve(m.actors, this.a.actor);
    if (this.a.variant === "withdrawAll") {
      await step.act(calls.withdraw(w, actor, m.port.account(actor).margin));
      return;
    }
    const opensAt = m.port.exitOpensAt();
    if (w.clock.next() < opensAt) await warp(w, opensAt - w.clock.latest);
    await step.act(calls.settle(w, actor));
  }
  toString() {
    return this.a.variant === "withdrawAll"
      ? `emergencyExit(${this.a.actor} withdraws all)`
      : `emergencyExit(${this.a.actor} settles once the exit opens)`;
  }
}

const actors = [...marginRefs, ...keeperRefs];

export const emergencyExit: CommandSpec = {
  name: "emergencyExit",
  build: (args) =>
    new EmergencyExitCommand({
      variant: oneOf(args, "variant", ["withdrawAll", "settle"] as const),
      actor: actorArg(args, "actor", actors),
    }),
  arbitrary: fc
    .oneof(
      fc.record({
        variant: fc.constant("withdrawAll" as const),
        actor: fc.oneof(fc.constant("never"), pick(marginRefs)),
      }),
      fc.record({ variant: fc.constant("settle" as const), actor: pick(actors) }),
    )
    .map((a) => new EmergencyExitCommand(a)),
};
