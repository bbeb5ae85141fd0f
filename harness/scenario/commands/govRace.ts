import * as fc from "fast-check";
import type { Address } from "viem";
import { Mode } from "../../model/types.js";
import { calls, governanceData } from "../calls.js";
import { executeOnTimelock, safeTransaction, scheduleThroughSafe, timelockOperation } from "../governance.js";
import type { ScenarioModel, Step } from "../step.js";
import { keeperTick } from "../world/keepers.js";
import { actorArg, keeperRefs, marginRefs, pick, resolve } from "./actorRef.js";
import { warpTo } from "./adversary.js";
import { bool, pair } from "./args.js";
import { Command, type CommandSpec } from "./base.js";

type Args = { signers: [number, number]; settler: string; lifecycle: boolean };

/**
 * The governance race: the guardian Safe halts the market, the Safe queues the timelock's reopening in the
 * same breath, and a stranger settles as soon as the permissionless exit opens; the queued reopening then
 * executes (or fails). With `lifecycle`, the settlement runs to its end: the keeper realises underwater
 * accounts inside the window, then after it everyone with a balance claims.
 */
export class GovRaceCommand extends Command<Args> {
  readonly name = "govRace";
  override check(m: Readonly<ScenarioModel>) {
    return m.port.mode() < Mode.Halted;
  }
  async act(step: Step) {
    const { m, w } = step;
    const escalate = await safeTransaction(w, {
      to: w.system.addresses.market,
      data: governanceData.escalate(Mode.Halted),
      action: { kind: "escalate", from: w.safe, to: Mode.Halted },
      signers: this.a.signers,
      label: "escalate(Halted)",
    });
    for (const p of escalate) await step.act(p);
    const op = timelockOperation(w, w.system.addresses.market, governanceData.setMode(Mode.Normal));
    const { planned, delay } = await scheduleThroughSafe(w, op, this.a.signers, "setMode(Normal)");
    for (const p of planned) await step.act(p);
    const readyAt = w.clock.latest + delay;
    await warpTo(step, m.port.haltedAt() + BigInt(m.port.safety().maxHaltDuration));
    const settler = resolve(m.actors, this.a.settler);
    await step.act(calls.settle(w, settler));
    await warpTo(step, readyAt);
    const executor = m.actors.keepers[0] as Address;
    await step.act(
      executeOnTimelock(
        w,
        executor,
        op,
        { kind: "setMode", from: w.timelock, to: Mode.Normal },
        "setMode(Normal)",
      ),
    );
    if (!this.a.lifecycle || m.port.mode() !== Mode.Settlement) return;
    await keeperTick(step, w.keepers.prompt, executor);
    const opensAt = w.clock.latest + BigInt(m.port.safety().settlementWindow);
    await warpTo(step, opensAt);
    for (const account of m.actors.accounts) {
      if (account === m.actors.griefer || m.port.claimed(account)) continue;
      const a = m.port.account(account);
      if (a.margin > 0n || a.size !== 0n) await step.act(calls.claim(w, account));
    }
  }
  toString() {
    return `govRace(guardian halts, reopening queued at once, ${this.a.settler} settles when allowed${this.a.lifecycle ? ", settlement to the end" : ""})`;
  }
}

export const govRace: CommandSpec = {
  name: "govRace",
  build: (args) =>
    new GovRaceCommand({
      signers: pair(args, "signers"),
      settler: actorArg(args, "settler", [...marginRefs, ...keeperRefs, "griefer"]),
      lifecycle: bool(args, "lifecycle"),
    }),
  arbitrary: fc
    .record({
      signers: fc.constantFrom<[number, number]>([0, 1], [1, 2], [2, 0]),
      settler: fc.oneof(fc.constant("griefer"), pick([...marginRefs, ...keeperRefs])),
      lifecycle: fc.boolean(),
    })
    .map((a) => new GovRaceCommand(a)),
};
