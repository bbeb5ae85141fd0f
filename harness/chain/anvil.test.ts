import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, describe, expect, test } from "vitest";
import { type AnvilNode, AnvilStartError, defaultGenesisTimestamp, startAnvil } from "./anvil.js";
import { FoundryBinaryNotFoundError, foundryBinary, repoRoot } from "./foundryBinary.js";
import { liveNodePids } from "./liveNodes.js";
import { isProcessRunning, readFirstLine, waitUntilGone } from "./testdata/processes.js";

const started: AnvilNode[] = [];
async function start(...parameters: Parameters<typeof startAnvil>) {
  const node = await startAnvil(...parameters);
  started.push(node);
  return node;
}
afterAll(async () => {
  await Promise.all(started.map((node) => node.stop()));
});

async function rpc(node: AnvilNode, method: string, params: unknown[] = []) {
  const response = await fetch(node.httpUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return ((await response.json()) as { result: unknown }).result;
}

describe("startAnvil", () => {
  test("starts the npm anvil binary on a free port and stops it", async () => {
    const node = await start({ label: "lifecycle" });
    expect(node.pid).toBeTypeOf("number");
    const pid = node.pid as number;
    expect(isProcessRunning(pid)).toBe(true);
    expect(liveNodePids()).toContain(pid);
    expect(await rpc(node, "eth_chainId")).toBe("0x7a69");

    await node.stop();
    expect(node.exit).toMatchObject({ expected: true });
    expect(await waitUntilGone(pid)).toBe(true);
    expect(liveNodePids()).not.toContain(pid);
    await node.stop(); // idempotent
  });

  test("gives concurrent nodes their own ports", async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a.port).not.toBe(b.port);
    expect(a.pid).not.toBe(b.pid);
  });

  test("makes block timestamps independent of the wall clock", async () => {
    const node = await start();
    expect(node.blockTimestampInterval).toBe(12);
    await rpc(node, "evm_mine");
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await rpc(node, "evm_mine");
    const block = (await rpc(node, "eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
    expect(BigInt(block.timestamp)).toBe(BigInt(defaultGenesisTimestamp + 24));
  });

  test("a missing binary says to run npm ci", async () => {
    const emptyRoot = mkdtempSync(path.join(tmpdir(), "bulkhead-no-modules-"));
    expect(() => foundryBinary("anvil", emptyRoot)).toThrow(FoundryBinaryNotFoundError);
    expect(() => foundryBinary("anvil", emptyRoot)).toThrow(/npm ci/);
    await expect(startAnvil({ anvilBinary: path.join(emptyRoot, "anvil") })).rejects.toThrow(/npm ci/);
  });

  test("a port already taken fails with anvil's own reason", async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const before = liveNodePids();
    try {
      const error = await startAnvil({ port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AnvilStartError);
      expect((error as Error).message).toMatch(/Address already in use/);
      expect(liveNodePids()).toEqual(before);
    } finally {
      server.close();
    }
  });
});

describe("no anvil outlives the process that started it", () => {
  const fixture = fileURLToPath(new URL("./testdata/startAnvilThenDie.ts", import.meta.url));

  // Each case: a child process starts anvil, then ends in its own way; its anvil must be gone.
  const cases = [
    { mode: "throw", signal: undefined, expected: { exitCode: 1 } },
    { mode: "reject", signal: undefined, expected: { exitCode: 1 } },
    { mode: "exit", signal: undefined, expected: { exitCode: 3 } },
    { mode: "wait", signal: "SIGTERM", expected: { signal: "SIGTERM" } },
    { mode: "wait", signal: "SIGINT", expected: { signal: "SIGINT" } },
  ] as const;

  test.concurrent.each(cases)("child ends by $mode $signal", async ({ mode, signal, expected }) => {
    // node --import tsx (not the tsx CLI) so that the pid we signal is the script's own process.
    const child = execa("node", ["--import", "tsx", fixture, mode], { cwd: repoRoot, reject: false });
    const { pid } = JSON.parse(await readFirstLine(child.stdout)) as { pid: number };
    expect(isProcessRunning(pid)).toBe(true);

    if (signal) child.kill(signal);
    else child.stdin.write("go\n");
    const result = await child;
    // The hooks must not change how the process itself ends.
    if ("exitCode" in expected) expect(result.exitCode).toBe(expected.exitCode);
    if ("signal" in expected) expect(result.signal).toBe(expected.signal);
    const gone = await waitUntilGone(pid);
    if (!gone) process.kill(pid, "SIGKILL"); // do not let a failing case leak the very thing it tests
    expect(gone).toBe(true);
  });

  test("a vitest test that fails with its node running does not leak it", async () => {
    const pidFile = path.join(mkdtempSync(path.join(tmpdir(), "bulkhead-pid-")), "pid");
    // A clean environment: the nested run must not think it is one of this run's workers.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("VITEST")));
    const result = await execa(
      "vitest",
      ["run", "--config", "harness/chain/testdata/vitest.fixture.config.ts"],
      {
        cwd: repoRoot,
        preferLocal: true,
        reject: false,
        extendEnv: false,
        env: { ...env, BULKHEAD_PID_FILE: pidFile },
      },
    );
    expect(result.exitCode).toBe(1); // the fixture's test failed, as intended
    const pid = Number(readFileSync(pidFile, "utf8"));
    const gone = await waitUntilGone(pid);
    if (!gone) process.kill(pid, "SIGKILL");
    expect(gone).toBe(true);
  });
});
