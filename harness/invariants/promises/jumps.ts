import type { ObservedTx } from "../facts.js";
import { arg, type Breach, moveBps, type PromiseContext, WAD } from "./context.js";
import type { PublishedRound } from "./history.js";

const FEED_TO_WAD = 10n ** 10n; // the feeds answer with 8 decimals

/** Records the rounds the feeds published (successful setAnswer transactions to a feed). */
export function followFeeds(ctx: PromiseContext, tx: ObservedTx): void {
  if (tx.call !== "feedAnswer" || tx.status !== "ok") return;
  const feed = tx.input.feed as "primary" | "secondary";
  const updatedAt = (tx.input.updatedAt as bigint | undefined) ?? tx.timestamp;
  ctx.history.published[feed].push({ answer: tx.input.answer as bigint, updatedAt, at: tx.timestamp });
}

/**
 * A level is accepted only when confirmed or persistent, never because time passed: an accepted round that
 * moves more than the jump band from the last accepted price needs a fresh secondary within the divergence
 * band of it (and a move of at most `maxConfirmedJump`: both feeds can be wrong together), or the primary
 * publishing that level for at least `persistSeconds`.
 */
export function judgeJump(ctx: PromiseContext, tx: ObservedTx): Breach[] {
  const h = ctx.history;
  const b = ctx.bounds;
  const breaches: Breach[] = [];
  let previous = h.rounds[h.rounds.length - 1]?.price;
  for (const e of tx.guard) {
    if (e.eventName !== "PriceAccepted") continue;
    const price = arg<bigint>(e, "price");
    const from = previous;
    previous = price;
    if (from === undefined || moveBps(price, from) * WAD <= b.jumpBand * 10_000n) continue;
    ctx.exercise?.("jump-confirmed");
    const secondary = h.published.secondary[h.published.secondary.length - 1];
    const confirmed =
      moveBps(price, from) * WAD <= b.maxConfirmedJump * 10_000n &&
      secondary !== undefined &&
      tx.timestamp - secondary.updatedAt <= b.secondaryMaxAge &&
      // Divergence as the guard defines it (OracleParams.divergenceBand): |primary - secondary| / secondary.
      moveBps(price, secondary.answer * FEED_TO_WAD) * WAD <= b.divergenceBand * 10_000n;
    if (confirmed || persisted(h.published.primary, price, tx.timestamp, b.jumpBand, b.persistSeconds))
      continue;
    breaches.push({
      promise: "jump-confirmed",
      expected: {
        jumpBeyondBand: "confirmed by a fresh secondary (within maxConfirmedJump) or persistent",
        persistSeconds: b.persistSeconds,
        jumpBand: b.jumpBand,
        maxConfirmedJump: b.maxConfirmedJump,
      },
      actual: {
        from,
        accepted: price,
        movedBps: moveBps(price, from),
        secondary: secondary
          ? { answer: secondary.answer, ageSeconds: tx.timestamp - secondary.updatedAt }
          : null,
        acceptedBy: tx.label,
      },
      actors: [tx.from],
    });
  }
  return breaches;
}

/** Whether the latest primary rounds have stayed at `price`'s level (within the band) for `seconds`. */
function persisted(
  rounds: readonly PublishedRound[],
  price: bigint,
  now: bigint,
  band: bigint,
  seconds: bigint,
) {
  let since: bigint | undefined;
  for (let i = rounds.length - 1; i >= 0; i--) {
    const r = rounds[i] as PublishedRound;
    if (moveBps(r.answer * FEED_TO_WAD, price) * WAD > band * 10_000n) break;
    since = r.updatedAt;
  }
  return since !== undefined && now - since >= seconds;
}
