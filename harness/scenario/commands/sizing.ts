import type { Address } from "viem";
import { WAD } from "../../model/math.js";
import { Mode } from "../../model/types.js";
import type { ModelPort } from "../model/port.js";

const VALUE_DIVISOR = 10n ** 30n;
/** The smallest position a command opens when the sizing rounds to nothing (0.001 units). */
export const dust = 10n ** 15n;

/** A size delta worth `leverageBps` / 10,000 times the account's equity at the last good price. */
export function sizeForLeverage(
  port: ModelPort,
  account: Address,
  side: 1 | -1,
  leverageBps: number,
): bigint {
  const equity = port.health(account).equity;
  const base = equity > 0n ? equity : port.account(account).margin;
  if (base <= 0n) return BigInt(side) * dust;
  const size = (((base * BigInt(leverageBps)) / 10_000n) * VALUE_DIVISOR) / port.price();
  return BigInt(side) * (size === 0n ? dust : size);
}

/**
 * A size delta at `fractionBps` / 10,000 of the largest position the account's equity supports at the
 * current initial margin (raised in Cautious and beyond): the population of a liquidation cascade.
 */
export function sizeNearLimit(port: ModelPort, account: Address, side: 1 | -1, fractionBps: number): bigint {
  let im = port.initialMarginRatio();
  if (port.mode() >= Mode.Cautious) im = (im * port.safety().cautiousImMultiplier) / WAD;
  const leverageBps = Number((BigInt(fractionBps) * WAD) / im);
  return sizeForLeverage(port, account, side, leverageBps);
}

/** 0 (no limit), or the last good price moved by `limitBps` in the trader's favour (negative: too tight). */
export function priceLimit(port: ModelPort, side: 1 | -1, limitBps: number): bigint {
  if (limitBps === 0) return 0n;
  return (port.price() * BigInt(10_000 + side * limitBps)) / 10_000n;
}

/** `bps` / 10,000 of `amount`, at least 1 when `amount` is positive (so a fraction never rounds to a no-op). */
export function fraction(amount: bigint, bps: number): bigint {
  if (amount <= 0n) return 1n;
  const part = (amount * BigInt(bps)) / 10_000n;
  return part === 0n ? 1n : part;
}

/** A feed answer moved by `bps` basis points (8-decimal answers), never below 1. */
export function moved(answer: bigint, bps: number): bigint {
  const next = (answer * BigInt(10_000 + bps)) / 10_000n;
  return next > 0n ? next : 1n;
}
