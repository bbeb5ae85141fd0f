import * as fc from "fast-check";
import { Mode } from "../../model/types.js";
import { calls } from "../calls.js";
import type { ScenarioModel, Step } from "../step.js";
import { actorArg, marginRefs, pick, resolve } from "./actorRef.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { actor: string };

/** In Settlement: an account pulls its claim (idle margin in full at once; equity after finalisation). */
export class ClaimCommand extends Command<Args> {
  readonly name = "claim";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.mode() === Mode.Settlement && !m.port.claimed(resolve(m.actors, this.a.actor));
  }
  async act(step: Step) {
    await step.act(calls.claim(step.w, resolve(step.m.actors, this.a.actor)));
  }
  toString() {
    return `claim(${this.a.actor})`;
  }
}

export const claim: CommandSpec = {
  name: "claim",
  build: (args) => new ClaimCommand({ actor: actorArg(args, "actor", marginRefs) }),
  arbitrary: fc.record({ actor: pick(marginRefs) }).map((a) => new ClaimCommand(a)),
};
