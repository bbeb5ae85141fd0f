import * as fc from "fast-check";
import type { Address } from "viem";
import type { JsonValue } from "../contract.js";
import { type Actors, actorCounts } from "../world/actors.js";
import { BadArgsError } from "./args.js";

/**
 * Actors are named in args by role and index ("t3", "lp0", "k1", "never", "attacker"), never by
 * address: artifacts stay readable and valid on any node.
 */
export type ActorRef = string;

export const traderRefs = Array.from({ length: actorCounts.traders }, (_, i) => `t${i}`);
export const lpRefs = Array.from({ length: actorCounts.lps }, (_, i) => `lp${i}`);
export const keeperRefs = Array.from({ length: actorCounts.keepers }, (_, i) => `k${i}`);
/** Accounts with a margin account that may trade. */
export const tradingRefs = [...traderRefs, "attacker"];
/** Accounts with a margin account. */
export const marginRefs = [...tradingRefs, "never"];

export function resolve(actors: Actors, ref: ActorRef): Address {
  const found = lookup(actors, ref);
  if (!found) throw new BadArgsError(`unknown actor ${JSON.stringify(ref)}`);
  return found;
}

function lookup(actors: Actors, ref: ActorRef): Address | undefined {
  if (ref === "never") return actors.neverTrader;
  if (ref === "attacker") return actors.attacker;
  if (ref === "griefer") return actors.griefer;
  const match = /^(t|lp|k)(\d+)$/.exec(ref);
  if (!match) return undefined;
  const list = match[1] === "t" ? actors.traders : match[1] === "lp" ? actors.lps : actors.keepers;
  return list[Number(match[2])];
}

export function actorArg(args: Record<string, JsonValue>, key: string, allowed: readonly string[]): ActorRef {
  const value = args[key];
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new BadArgsError(`${key} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export const pick = (refs: readonly string[]) => fc.constantFrom(...refs);
