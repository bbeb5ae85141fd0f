// `npm run repro` with --trace, --html, --forge and --keep-node on the corpus artifact, as a user runs it
// (the CLI in its own process). --forge writes into a scratch copy of the project (--root), never this one.
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { createPublicClient, http, parseAbi } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../chain/foundryBinary.js";
import { scratchProject } from "./forgeProject.js";
import { linkedLibraries } from "./libraries.js";

const corpusArtifact = path.join(repoRoot, "test", "corpus", "timelock-delay-below-exit-window.json");
const node = process.execPath;
// Node itself runs the CLI (tsx as a loader), so the pid we signal is the CLI's, as a terminal's Ctrl-C reaches it.
const cli = (args: string[]) =>
  execa(node, ["--import", "tsx", path.join(repoRoot, "harness/cli/repro.ts"), ...args], {
    cwd: repoRoot,
    reject: false,
    all: true,
  });

describe("npm run repro: --trace, --html, --forge, --keep-node", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await scratchProject();
  }, 60_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("prints every transaction's hash and outcome, the call trace, and writes the HTML report and the Foundry test", async () => {
    const started = Date.now();
    const result = await cli([corpusArtifact, "--trace", "--html", "--forge", "--root", scratch]);
    const out = String(result.all);
    expect(result.exitCode, out).toBe(0);
    expect(out).toMatch(/FIXED: all 2 commands ran/);
    // One line per transaction: step, hash, label or call, outcome (the refused owner call decoded).
    expect(out).toMatch(
      /\[0\] 0x[0-9a-f]{64} {2}timelock\.execute\(timelock\.updateDelay\(172800s\)\) {2}→ ok/,
    );
    expect(out).toMatch(
      /\[1\] 0x[0-9a-f]{64} {2}timelock\.execute\(setMode\(Cautious\)\) {2}→ reverted MarketTimelockTooShort\(172800, 345600\)/,
    );
    expect(out).toMatch(/call trace of step 0: 0x[0-9a-f]{64}/);
    expect(out).toMatch(/^CALL k0 → timelock\.execute\(/m);
    expect(out).toMatch(/^ {2}CALL timelock\.updateDelay\(172800\) → ok/m);
    const html = /HTML report: {2}(\S+)/.exec(out)?.[1];
    expect(html && existsSync(path.resolve(repoRoot, html))).toBe(true);
    const forge = /Foundry test: (\S+)/.exec(out)?.[1] as string;
    expect(path.resolve(repoRoot, forge).startsWith(path.join(scratch, "test", "regressions"))).toBe(true);
    const source = readFileSync(path.resolve(repoRoot, forge), "utf8");
    expect(source).toMatch(/contract Repro_exit_window_covered_mixed_seed42_\w+ is Test, SystemDeployer/);
    expect(source).toMatch(/assertFalse\(delayShort && r\.ok, "exit-window-covered: /);
    console.log(`repro --trace --html --forge: ${Date.now() - started} ms`);
  }, 120_000);

  it("--keep-node leaves the node up for inspection until SIGINT, with the system's and its libraries' addresses, then stops it", async () => {
    const started = Date.now();
    const child = cli([corpusArtifact, "--keep-node"]);
    let out = "";
    const ready = new Promise<{ url: string; pid: number; market: `0x${string}` }>((resolve, reject) => {
      child.all?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const url = /node kept running: (http:\/\/\S+) \(pid (\d+)\)/.exec(out);
        const market = /^ {2}market +(0x[0-9a-fA-F]{40})$/m.exec(out);
        if (url && market && /Ctrl-C stops the node/.test(out)) {
          resolve({ url: url[1] as string, pid: Number(url[2]), market: market[1] as `0x${string}` });
        }
      });
      child.on("exit", () => reject(new Error(`the CLI exited before keeping the node:\n${out}`)));
    });
    const { url, pid, market } = await ready;
    // The node answers: the market refused the short-delay setMode, so it is still Normal (0).
    const client = createPublicClient({ transport: http(url) });
    const mode = await client.readContract({
      address: market,
      abi: parseAbi(["function mode() view returns (uint8)"]),
      functionName: "mode",
    });
    expect(mode).toBe(0);
    // Every library the build links, at an address with its code (where a trace's delegatecalls go).
    const libraries = [...out.matchAll(/^ {2}(\w+) +(0x[0-9a-fA-F]{40}) {2}\(library (\S+)\)$/gm)];
    expect(libraries.map((l) => l[3]).sort()).toEqual((await linkedLibraries(repoRoot)).map((l) => l.id));
    for (const [line, name, address] of libraries) {
      expect(
        (await client.getCode({ address: address as `0x${string}` }))?.length ?? 0,
        line,
      ).toBeGreaterThan(2);
      expect(line).toContain(`${name} `);
    }
    expect(() => process.kill(pid, 0)).not.toThrow();
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, String(result.all)).toBe(0);
    expect(String(result.all)).toMatch(/repro: stopping the node/);
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    console.log(`repro --keep-node: ${Date.now() - started} ms`);
  }, 120_000);
});
