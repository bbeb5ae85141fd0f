import * as fc from "fast-check";
import { type Mode, Mode as Modes } from "../../model/types.js";
import { governanceData, modeName } from "../calls.js";
import { safeTransaction } from "../governance.js";
import type { ScenarioModel, Step } from "../step.js";
import { int, pair } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { to: number; signers: [number, number] };

/** The guardian Safe (2 of 3 owners) moves the market to a stricter mode: a real execTransaction. */
export class GuardianEscalateCommand extends Command<Args> {
  readonly name = "guardianEscalate";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.mode() !== Modes.Settlement;
  }
  async act(step: Step) {
    const { w } = step;
    const to = this.a.to as Mode;
    const planned = await safeTransaction(w, {
      to: w.system.addresses.market,
      data: governanceData.escalate(to),
      action: { kind: "escalate", from: w.safe, to },
      signers: this.a.signers,
      label: `escalate(${modeName(to)})`,
    });
    for (const p of planned) await step.act(p);
  }
  toString() {
    return `guardianEscalate(${modeName(this.a.to)}, owners ${this.a.signers.join("+")})`;
  }
}

export const guardianEscalate: CommandSpec = {
  name: "guardianEscalate",
  build: (args) => new GuardianEscalateCommand({ to: int(args, "to", 0, 4), signers: pair(args, "signers") }),
  arbitrary: fc
    .record({
      to: fc.integer({ min: 1, max: 4 }),
      signers: fc.constantFrom<[number, number]>([0, 1], [1, 2], [2, 0], [1, 0]),
    })
    .map((a) => new GuardianEscalateCommand(a)),
};
