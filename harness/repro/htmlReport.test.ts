/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The HTML report in a real headless browser (Debian's chromium through playwright-core): the charts are drawn
// (SVG paths with points), the failing step is highlighted in the table and the charts, no request leaves the
// page, and a full-page screenshot is not blank and shows the highlight colour, decoded pixel by pixel.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../chain/foundryBinary.js";
import { readArtifact } from "../runner/artifact.js";
import { defaultHarnessModule, loadHarnessModule } from "../runner/loadHarness.js";
import { highlightColour, renderHtmlReport } from "./htmlReport.js";
import type { Recording } from "./recording.js";
import { recordOnce } from "./session.js";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const corpusArtifact = path.join(repoRoot, "test", "corpus", "timelock-delay-below-exit-window.json");
const rgb = [0xff, 0x40, 0x81] as const;

describe("HTML report in headless chromium", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "bulkhead-html-"));
  let context: BrowserContext | undefined;
  let recording: Recording;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `chromium not found at ${chromiumPath}: install Debian's package (as root: apt-get install -y chromium) ` +
          "or point CHROMIUM_PATH at a Chromium binary",
      );
    }
    const module = await loadHarnessModule(path.join(repoRoot, defaultHarnessModule));
    recording = await recordOnce({ artifact: await readArtifact(corpusArtifact), module, label: "html" });
    context = await chromium.launchPersistentContext(path.join(dir, "profile"), {
      executablePath: chromiumPath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
      viewport: { width: 1000, height: 900 },
    });
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a report; returns what the rendered page shows, and the highlight pixels of a full screenshot. */
  const inspect = async (html: string, name: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, html);
    const page = await (context as BrowserContext).newPage();
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    const shown = await page.evaluate(() => {
      const failing = [...document.querySelectorAll("tr.failing")];
      return {
        paths: [...document.querySelectorAll("svg path.series")].map((p) => p.getAttribute("d") ?? ""),
        points: document.querySelectorAll("svg circle").length,
        modeCells: document.querySelectorAll("#chart-modes g.mode").length,
        failingRows: failing.map((r) => (r as HTMLElement).dataset.step),
        failingBackground: failing[0]
          ? getComputedStyle(failing[0].querySelector("td") as Element).backgroundColor
          : "",
        bands: document.querySelectorAll("rect.failing-step").length,
      };
    });
    const png = (await page.screenshot({ fullPage: true })).toString("base64");
    // Decode the screenshot in the page itself (a canvas): count the exact highlight colour and the colours used.
    const pixels = await page.evaluate(
      async ({ png, rgb }) => {
        const img = new Image();
        img.src = `data:image/png;base64,${png}`;
        await img.decode();
        const canvas = document.createElement("canvas");
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
        ctx.drawImage(img, 0, 0);
        const data = ctx.getImageData(0, 0, img.width, img.height).data;
        let highlight = 0;
        const colours = new Set<number>();
        for (let i = 0; i < data.length; i += 4) {
          const [r, g, b] = [data[i] as number, data[i + 1] as number, data[i + 2] as number];
          if (r === rgb[0] && g === rgb[1] && b === rgb[2]) highlight++;
          if (colours.size < 1000) colours.add((r << 16) | (g << 8) | b);
        }
        return { highlight, colours: colours.size, width: img.width, height: img.height };
      },
      { png, rgb },
    );
    await page.close();
    return {
      shown,
      pixels,
      requests: requests.filter((u) => !u.startsWith("file:") && !u.startsWith("data:")),
    };
  };

  it("draws the charts, highlights the failing step and makes no request", async () => {
    const started = Date.now();
    const { shown, pixels, requests } = await inspect(renderHtmlReport(recording), "report.html");
    const steps = recording.steps.length;
    expect(highlightColour.toLowerCase()).toBe("#ff4081");
    // Price (primary, secondary, last good price) and pool equity at least; each path joins every column.
    expect(shown.paths.length).toBeGreaterThanOrEqual(4);
    for (const d of shown.paths) expect(d.match(/[ML]/g)?.length).toBe(steps + 1);
    expect(shown.points).toBeGreaterThanOrEqual(4 * (steps + 1));
    expect(shown.modeCells).toBe(steps + 1);
    expect(shown.failingRows).toEqual([String(recording.failure.step)]);
    expect(shown.failingBackground).toBe(`rgb(${rgb.join(", ")})`);
    expect(shown.bands).toBeGreaterThanOrEqual(2);
    expect(requests).toEqual([]);
    expect(pixels.colours).toBeGreaterThan(20);
    expect(pixels.highlight).toBeGreaterThan(500);
    console.log(
      `report: ${shown.paths.length} series, ${shown.points} points, screenshot ${pixels.width}x${pixels.height} with ` +
        `${pixels.highlight} highlight pixels, checked in ${Date.now() - started} ms`,
    );
  }, 60_000);

  it("the pixel check can fail: a report whose failing step is not among the steps shows no highlight", async () => {
    const elsewhere = { ...recording, failure: { ...recording.failure, step: 99 } };
    const { shown, pixels } = await inspect(renderHtmlReport(elsewhere), "no-highlight.html");
    expect(shown.failingRows).toEqual([]);
    expect(pixels.highlight).toBe(0);
    expect(pixels.colours).toBeGreaterThan(20);
  }, 60_000);
});
