/**
 * One self-contained HTML page for a recorded replay (inline SVG and CSS, no network): the price path (primary
 * and secondary feed, last good price), the mode timeline with the causes of each change, every account's
 * health and the pool's equity over the steps, the failing step highlighted, and the shrunk command list
 * with every transaction's hash and outcome.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { enumName, Mode } from "../model/types.js";
import { outcomeText } from "./describe.js";
import type { Recording } from "./recording.js";

/** The colour of the failing step everywhere on the page (the browser test looks for it). */
export const highlightColour = "#ff4081";
const modeColours = ["#2e7d32", "#f9a825", "#ef6c00", "#c62828", "#6a1b9a"];
const lineColours = ["#1565c0", "#00897b", "#8e24aa", "#6d4c41", "#3949ab", "#c0ca33", "#5e35b1", "#00acc1"];

type Point = { x: number; y: number | null };
type Series = { name: string; colour: string; points: Point[]; dashed?: boolean };

export function htmlReportName(recording: Recording): string {
  const a = recording.artifact;
  const slug = recording.failure.invariant.replace(/[^A-Za-z0-9._-]+/g, "_");
  return `${slug}-${a.scenario}-seed${a.seed}.html`;
}

export async function writeHtmlReport(recording: Recording, options: { dir: string }): Promise<string> {
  await mkdir(options.dir, { recursive: true });
  const file = path.join(options.dir, htmlReportName(recording));
  await writeFile(file, renderHtmlReport(recording));
  return file;
}

export function renderHtmlReport(recording: Recording): string {
  const f = recording.failure;
  const columns = [
    { label: "baseline", snapshot: recording.baselineSnapshot, feeds: recording.baselineFeeds, step: -1 },
    ...recording.steps.map((s) => ({
      label: `step ${s.index}`,
      snapshot: s.snapshot,
      feeds: s.feeds,
      step: s.index,
    })),
  ];
  const failingX = columns.findIndex((c) => c.step === f.step);
  const wad = 10n ** 18n;
  const price = (v: bigint, decimals: bigint) => Number(v) / Number(10n ** decimals);
  const priceSeries: Series[] = [
    {
      name: "primary feed",
      colour: "#1565c0",
      points: columns.map((c, x) => ({ x, y: c.feeds ? price(c.feeds.primary, c.feeds.decimals) : null })),
    },
    {
      name: "secondary feed",
      colour: "#00897b",
      dashed: true,
      points: columns.map((c, x) => ({ x, y: c.feeds ? price(c.feeds.secondary, c.feeds.decimals) : null })),
    },
    {
      name: "last good price",
      colour: "#6d4c41",
      points: columns.map((c, x) => ({
        x,
        y: c.snapshot ? Number(c.snapshot.market.price) / Number(wad) : null,
      })),
    },
  ];
  const unit = 1e6;
  const equitySeries: Series[] = [
    {
      name: "pool equity",
      colour: "#3949ab",
      points: columns.map((c, x) => ({
        x,
        y: c.snapshot ? Number(c.snapshot.market.poolEquity) / unit : null,
      })),
    },
  ];
  const healthSeries: Series[] = recording.accounts.flatMap((account, i) => {
    const points = columns.map((c, x) => {
      const a = c.snapshot?.accounts.find((v) => v.account.toLowerCase() === account.toLowerCase());
      if (!a || a.state.size === 0n || a.maintenanceRequired === 0n) return { x, y: null };
      return { x, y: Number((a.equity * 10_000n) / a.maintenanceRequired) / 10_000 };
    });
    if (points.every((p) => p.y === null)) return [];
    const name = recording.roles.get(account.toLowerCase()) ?? account.slice(0, 8);
    return [{ name, colour: lineColours[i % lineColours.length] as string, points }];
  });

  const modes = columns.map((c) => (c.snapshot ? c.snapshot.market.mode : null));
  const causes = columns.map((c) =>
    c.step < 0
      ? []
      : (recording.steps.find((s) => s.index === c.step)?.txs ?? []).flatMap((tx) =>
          tx.events.modeChanges.map((m) => `${m.from} → ${m.to}: ${m.cause}`),
        ),
  );

  const rows = recording.steps
    .map((s) => {
      const failing = s.index === f.step;
      const txs = s.txs
        .map(
          (tx) =>
            `<li><code class="hash">${esc(tx.hash)}</code> ${esc(tx.label ?? tx.call)} <span class="${
              tx.outcome.status === "ok" && tx.events.trips.length === 0 ? "ok" : "bad"
            }">→ ${esc(outcomeText(tx))}</span></li>`,
        )
        .join("");
      return `<tr class="${failing ? "failing" : ""}" data-step="${s.index}"><td>${failing ? "&#9654; " : ""}${s.index}</td><td><code>${esc(
        s.command,
      )}</code><ul>${txs}</ul></td><td>${s.block}</td><td>${s.timestamp}</td></tr>`;
    })
    .join("\n");

  const trips = recording.steps.flatMap((s) =>
    s.txs.flatMap((tx) =>
      tx.events.trips.map(
        (t) =>
          `<li>InvariantViolated(<b>${esc(t.invariant)}</b>, expected ${t.expected}, actual ${t.actual}) in ${esc(
            t.actionName,
          )}, step ${s.index}, ${esc(tx.label ?? tx.call)} <code>${esc(tx.hash)}</code></li>`,
      ),
    ),
  );
  const a = recording.artifact;
  const status = recording.result.status;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Bulkhead repro: ${esc(f.invariant)} (${esc(a.scenario)}, seed ${a.seed})</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#212121;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#555}.box{border:1px solid #ddd;border-radius:6px;padding:12px;margin:8px 0}
svg{display:block;background:#fafafa;border:1px solid #e0e0e0;border-radius:4px}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:4px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
tr.failing td{background:${highlightColour};color:#fff}tr.failing code{color:#fff}
ul{margin:4px 0 0 0;padding-left:18px}.ok{color:#2e7d32}.bad{color:#b71c1c;font-weight:600}tr.failing .ok,tr.failing .bad{color:#fff}
code.hash{font-size:11px}pre{white-space:pre-wrap;margin:0}
</style></head><body>
<h1>${esc(f.invariant)} violated at step ${f.step}</h1>
<div class="meta">scenario ${esc(a.scenario)}, seed ${a.seed}, path ${esc(a.path)}, harness ${esc(a.harnessVersion)};
replayed: <b>${status}</b> (${recording.steps.length} steps)</div>
<div class="box"><pre>expected: ${esc(json(f.expected))}
actual:   ${esc(json(f.actual))}${f.diff.map((d) => `\n  ${esc(d.path)}: model ${esc(d.expected)}, chain ${esc(d.actual)}`).join("")}</pre>
${trips.length > 0 ? `<p>The market's own check fired:</p><ul>${trips.join("")}</ul>` : ""}</div>
<h2>Price path</h2>${chart(
    "price",
    priceSeries,
    columns.length,
    failingX,
    columns.map((c) => c.label),
  )}
<h2>Mode timeline</h2>${modeTimeline(
    modes,
    causes,
    failingX,
    columns.map((c) => c.label),
  )}
<h2>Account health (equity / maintenance requirement; 1 = liquidatable)</h2>${
    healthSeries.length > 0
      ? chart(
          "health",
          healthSeries,
          columns.length,
          failingX,
          columns.map((c) => c.label),
          1,
        )
      : '<p class="meta">No account held a position.</p>'
  }
<h2>Pool equity (collateral units)</h2>${chart(
    "equity",
    equitySeries,
    columns.length,
    failingX,
    columns.map((c) => c.label),
  )}
<h2>Shrunk commands</h2>
<table id="steps"><tr><th>step</th><th>command and its transactions</th><th>block</th><th>time</th></tr>
${rows}</table>
<script>
// Clicking a step in a chart scrolls its row into view.
for (const el of document.querySelectorAll("[data-goto]")) {
  el.addEventListener("click", () => document.querySelector('tr[data-step="' + el.dataset.goto + '"]')?.scrollIntoView({ behavior: "smooth" }));
}
</script>
</body></html>
`;
}

const W = 900;
const H = 220;
const PAD = { left: 70, right: 20, top: 12, bottom: 28 };

function chart(
  id: string,
  series: Series[],
  columns: number,
  failingX: number,
  labels: string[],
  reference?: number,
): string {
  const ys = series.flatMap((s) => s.points.map((p) => p.y).filter((y): y is number => y !== null));
  if (reference !== undefined) ys.push(reference);
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (hi === lo) [lo, hi] = [lo - Math.abs(lo || 1) * 0.01, hi + Math.abs(hi || 1) * 0.01];
  const x = (i: number) => PAD.left + (columns <= 1 ? 0 : (i * (W - PAD.left - PAD.right)) / (columns - 1));
  const y = (v: number) => PAD.top + ((hi - v) * (H - PAD.top - PAD.bottom)) / (hi - lo);
  const band = failingX >= 0 ? highlightBand(x, failingX, columns) : "";
  const paths = series
    .map((s) => {
      let d = "";
      let pen = false;
      for (const p of s.points) {
        if (p.y === null) {
          pen = false;
          continue;
        }
        d += `${pen ? "L" : "M"}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)} `;
        pen = true;
      }
      const dots = s.points
        .filter((p) => p.y !== null)
        .map(
          (p) =>
            `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y as number).toFixed(1)}" r="3" fill="${s.colour}" data-goto="${p.x - 1}"><title>${esc(
              s.name,
            )}, ${esc(labels[p.x] ?? "")}: ${fmt(p.y as number)}</title></circle>`,
        )
        .join("");
      return `<path class="series" d="${d.trim()}" fill="none" stroke="${s.colour}" stroke-width="2"${
        s.dashed ? ' stroke-dasharray="6 4"' : ""
      }/>${dots}`;
    })
    .join("");
  const ref =
    reference === undefined
      ? ""
      : `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(reference)}" y2="${y(reference)}" stroke="#b71c1c" stroke-dasharray="3 3"/>`;
  const ticks = [lo, (lo + hi) / 2, hi]
    .map((v) => `<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${fmt(v)}</text>`)
    .join("");
  const xLabels = labels
    .map((l, i) => `<text x="${x(i)}" y="${H - 8}" text-anchor="middle" font-size="11">${esc(l)}</text>`)
    .join("");
  const legend = series
    .map((s) => `<span><i style="background:${s.colour}"></i>${esc(s.name)}</span>`)
    .join("");
  return `<svg id="chart-${id}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${band}${ref}${ticks}${xLabels}${paths}</svg><div class="legend">${legend}</div>`;
}

function highlightBand(x: (i: number) => number, failingX: number, columns: number): string {
  const step = columns <= 1 ? 40 : (W - PAD.left - PAD.right) / (columns - 1);
  const left = x(failingX) - step / 2;
  return `<rect class="failing-step" x="${Math.max(PAD.left - 10, left).toFixed(1)}" y="${PAD.top}" width="${step.toFixed(
    1,
  )}" height="${H - PAD.top - PAD.bottom}" fill="${highlightColour}" fill-opacity="0.18"/>`;
}

function modeTimeline(
  modes: (number | null)[],
  causes: string[][],
  failingX: number,
  labels: string[],
): string {
  const width = (W - PAD.left - PAD.right) / Math.max(1, modes.length);
  const cells = modes
    .map((mode, i) => {
      const name = mode === null ? "?" : enumName(Mode, mode);
      const fill = mode === null ? "#bdbdbd" : (modeColours[mode] ?? "#bdbdbd");
      const left = PAD.left + i * width;
      const why = causes[i]?.length ? ` (${causes[i]?.join("; ")})` : "";
      const outline =
        i === failingX
          ? `<rect x="${left + 1}" y="4" width="${width - 2}" height="40" fill="none" stroke="${highlightColour}" stroke-width="3"/>`
          : "";
      return `<g class="mode" data-goto="${i - 1}"><rect x="${left}" y="6" width="${width - 2}" height="36" fill="${fill}"><title>${esc(
        labels[i] ?? "",
      )}: ${name}${esc(why)}</title></rect><text x="${left + 4}" y="29" font-size="12" fill="#fff">${name}</text>${outline}<text x="${left + 4}" y="60" font-size="10">${esc(
        (causes[i] ?? []).join("; ").slice(0, 48),
      )}</text></g>`;
    })
    .join("");
  return `<svg id="chart-modes" viewBox="0 0 ${W} 72" width="${W}" height="72"><text x="4" y="29" font-size="11">mode</text>${cells}</svg>`;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 ? v.toExponential(4) : Number(v.toPrecision(6)).toString();
}

function json(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
