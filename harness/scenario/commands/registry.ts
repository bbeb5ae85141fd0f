import type { JsonValue } from "../contract.js";
import type { ScenarioCommand } from "../step.js";
import { BadArgsError } from "./args.js";
import type { CommandSpec } from "./base.js";
import { buildPopulation } from "./buildPopulation.js";
import { cascade } from "./cascade.js";
import { claim } from "./claim.js";
import { close } from "./close.js";
import { crash } from "./crash.js";
import { addMargin, deposit } from "./deposit.js";
import { divergence } from "./divergence.js";
import { drainThenClose } from "./drainThenClose.js";
import { emergencyExit } from "./emergencyExit.js";
import { flatRounds } from "./flatRounds.js";
import { frontRun } from "./frontRun.js";
import { govRace } from "./govRace.js";
import { griefer } from "./griefer.js";
import { guardianEscalate } from "./guardianEscalate.js";
import { heartbeat } from "./heartbeat.js";
import { incident } from "./incident.js";
import { jitLp } from "./jitLp.js";
import { keeperTick } from "./keeperTick.js";
import { liquidate } from "./liquidate.js";
import { lpClaim } from "./lpClaim.js";
import { lpDeposit } from "./lpDeposit.js";
import { lpRedeem } from "./lpRedeem.js";
import { mangoPump } from "./mangoPump.js";
import { modify } from "./modify.js";
import { netting } from "./netting.js";
import { open } from "./open.js";
import { order } from "./order.js";
import { pinned } from "./pinned.js";
import { pricePath } from "./pricePath.js";
import { realise } from "./realise.js";
import { roundRegression } from "./roundRegression.js";
import { spikeRestore } from "./spikeRestore.js";
import { staleFeed } from "./staleFeed.js";
import { timelockAction } from "./timelockAction.js";
import { timePasses } from "./timePasses.js";
import { underBand } from "./underBand.js";
import { volSpike } from "./volSpike.js";
import { windowEdgeLp } from "./windowEdgeLp.js";
import { withdraw } from "./withdraw.js";

/** Every command kind, by its stable name (the name artifacts record). */
export const commandSpecs = {
  deposit,
  addMargin,
  withdraw,
  open,
  modify,
  close,
  order,
  lpDeposit,
  lpRedeem,
  liquidate,
  claim,
  lpClaim,
  realise,
  emergencyExit,
  guardianEscalate,
  timelockAction,
  timePasses,
  keeperTick,
  pricePath,
  spikeRestore,
  staleFeed,
  divergence,
  pinned,
  roundRegression,
  underBand,
  buildPopulation,
  crash,
  cascade,
  griefer,
  heartbeat,
  jitLp,
  windowEdgeLp,
  netting,
  volSpike,
  flatRounds,
  frontRun,
  govRace,
  drainThenClose,
  mangoPump,
  incident,
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof commandSpecs;

/** Rebuilds a command from an artifact's name and args; throws BadArgsError on anything unknown or malformed. */
export function rebuildCommand(name: string, args: Record<string, JsonValue>): ScenarioCommand {
  const spec = (commandSpecs as Record<string, CommandSpec>)[name];
  if (!spec) throw new BadArgsError(`unknown command ${JSON.stringify(name)}`);
  if (args === null || typeof args !== "object" || Array.isArray(args)) {
    throw new BadArgsError(`${name}: args must be an object`);
  }
  try {
    return spec.build(args);
  } catch (error) {
    if (error instanceof BadArgsError) throw new BadArgsError(`${name}: ${error.message}`);
    throw error;
  }
}
