import { parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AnvilNode } from "./anvil.js";
import { type ChainClients, createChainClients } from "./clients.js";
import { getFreePort } from "./freePort.js";
import { mine, setAutomine } from "./mining.js";
import { NodeDiedError, runStep } from "./nodeDied.js";
import { sendAndWait } from "./sendAndWait.js";
import { startTestChain } from "./testdata/testChain.js";

describe("createChainClients", () => {
  let node: AnvilNode;
  let clients: ChainClients;
  beforeAll(async () => {
    ({ node, clients } = await startTestChain({ label: "clients" }));
  });
  afterAll(() => node.stop());

  test("connects over WebSocket by default, with anvil's funded dev accounts", async () => {
    expect(clients.transportKind).toBe("webSocket");
    expect(clients.chain.id).toBe(31337);
    expect(clients.accounts).toHaveLength(10);
    expect(clients.walletClients.map((wallet) => wallet.account.address)).toEqual(clients.accounts);
    const [first] = clients.accounts;
    expect(await clients.publicClient.getBalance({ address: first as `0x${string}` })).toBe(
      parseEther("10000"),
    );
  });

  test("can be forced onto HTTP", async () => {
    const overHttp = await createChainClients({ node, transport: "http" });
    expect(overHttp.transportKind).toBe("http");
    expect(await overHttp.publicClient.getChainId()).toBe(31337);
  });

  test("falls back to HTTP when the WebSocket endpoint does not answer", async () => {
    const noWebSocket = { ...node, wsUrl: `ws://127.0.0.1:${await getFreePort()}` } as AnvilNode;
    const fallback = await createChainClients({ node: noWebSocket });
    expect(fallback.transportKind).toBe("http");
    expect(await fallback.publicClient.getBlockNumber()).toBeTypeOf("bigint");
  });

  test("wallet transactions are mined before sendAndWait returns", async () => {
    const [sender, recipient] = clients.walletClients;
    if (!sender || !recipient) throw new Error("need two dev accounts");
    const before = await clients.publicClient.getBalance({ address: recipient.account.address });
    const receipt = await sendAndWait(clients, {
      label: "transfer 1 ETH",
      send: () => sender.sendTransaction({ to: recipient.account.address, value: parseEther("1") }),
    });
    expect(receipt.status).toBe("success");
    // Read right after: must already see the new state.
    expect(await clients.publicClient.getBalance({ address: recipient.account.address })).toBe(
      before + parseEther("1"),
    );
  });
});

describe("a node that dies mid-run", () => {
  test.each(["webSocket", "http"] as const)(
    "fails the pending step with NodeDiedError over %s",
    async (transport) => {
      const { node, clients } = await startTestChain({ label: `doomed-${transport}`, transport });
      const [sender] = clients.walletClients;
      if (!sender) throw new Error("need a dev account");
      // With automine off the transaction stays pending, so the step is in flight when the node dies.
      await setAutomine(clients, { enabled: false });
      const pending = sendAndWait(clients, {
        label: "step 7: transfer while the node dies",
        send: () => sender.sendTransaction({ to: sender.account.address, value: 1n }),
      });
      const settled = pending.catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.kill(node.pid as number, "SIGKILL");

      const startedWaiting = Date.now();
      const error = await settled;
      expect(Date.now() - startedWaiting).toBeLessThan(2_000);
      expect(error).toBeInstanceOf(NodeDiedError);
      expect((error as NodeDiedError).step).toBe("step 7: transfer while the node dies");
      expect((error as Error).message).toMatch(
        /died \(signal SIGKILL\) during step "step 7: transfer while the node dies"/,
      );

      // Every later step fails at once, naming itself.
      await expect(mine(clients, { label: "step 8: mine" })).rejects.toThrow(/during step "step 8: mine"/);
      await expect(
        runStep({ node, step: "step 9: read", action: () => clients.publicClient.getBlockNumber() }),
      ).rejects.toBeInstanceOf(NodeDiedError);
    },
  );

  test("a node stopped by the harness is reported as such", async () => {
    const { node, clients } = await startTestChain({ label: "stopped" });
    await node.stop();
    await expect(mine(clients, { label: "after stop" })).rejects.toThrow(/already stopped by the harness/);
  });

  test("ordinary errors are not mistaken for a dead node", async () => {
    const { node, clients } = await startTestChain({ label: "healthy" });
    try {
      const error = await runStep({
        node,
        step: "bad call",
        action: () =>
          clients.publicClient.request({ method: "eth_getBalance", params: ["0x1234", "latest"] }),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(NodeDiedError);
    } finally {
      await node.stop();
    }
  });
});
