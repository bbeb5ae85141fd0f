import { type Address, decodeErrorResult, decodeFunctionResult, encodeFunctionData } from "viem";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { lensAbi, marketAbi, mockErc20Abi } from "../../src-ts/generated/abis.js";
import { startAnvil } from "../chain/anvil.js";
import { type ChainClients, createChainClients } from "../chain/clients.js";
import { type Baseline, takeBaseline } from "../chain/snapshots.js";
import { deployAndBind, type System } from "../system/system.js";
import { createFastChain, FastBlockError, type FastChain } from "./fastChain.js";
import { openRpcSocket, RpcError, RpcSocketClosedError } from "./rpcSocket.js";

describe("fast chain", () => {
  let clients: ChainClients;
  let system: System;
  let fast: FastChain;
  let baseline: Baseline;
  let alice: Address;
  let bob: Address;

  const deposit = (from: Address, amount: bigint) => ({
    from,
    to: system.addresses.market,
    data: encodeFunctionData({ abi: marketAbi, functionName: "deposit", args: [amount] }),
  });
  const margins = async () => {
    const [, list] = await fast.read({
      address: system.addresses.lens,
      abi: lensAbi,
      functionName: "snapshot",
      args: [system.addresses.market, [alice, bob]],
    });
    return list.map((a) => a.state.margin);
  };

  beforeAll(async () => {
    const node = await startAnvil({ label: "fast" });
    clients = await createChainClients({ node });
    system = await deployAndBind({ clients });
    fast = await createFastChain({ url: node.wsUrl });
    [alice, bob] = [clients.accounts[5] as Address, clients.accounts[6] as Address];
    for (const who of [alice, bob]) {
      const token = system.addresses.collateral;
      await fast.send({
        from: who,
        to: token,
        data: encodeFunctionData({ abi: mockErc20Abi, functionName: "mint", args: [who, 10n ** 12n] }),
      });
      await fast.send({
        from: who,
        to: token,
        data: encodeFunctionData({
          abi: mockErc20Abi,
          functionName: "approve",
          args: [system.addresses.market, 10n ** 12n],
        }),
      });
    }
    baseline = await takeBaseline(clients);
  }, 60_000);

  beforeEach(async () => {
    await fast.setAutomine(true);
    await baseline.resetToBaseline();
  });

  afterAll(async () => {
    fast?.close();
    await clients?.close();
    await clients?.node.stop();
  });

  it("sends and waits for the receipt; the next read sees the new state", async () => {
    const receipt = await fast.send(deposit(alice, 1_000n));
    expect(receipt.status).toBe("success");
    expect(await margins()).toEqual([1_000n, 0n]);
  });

  it("decodes a Lens snapshot exactly as viem does (compiled decoder)", async () => {
    await fast.send(deposit(bob, 5n));
    const args = [system.addresses.market, [alice, bob]] as const;
    const data = await fast.call({
      to: system.addresses.lens,
      data: encodeFunctionData({ abi: lensAbi, functionName: "snapshot", args }),
    });
    const viaViem = decodeFunctionResult({ abi: lensAbi, functionName: "snapshot", data });
    expect(
      await fast.read({ address: system.addresses.lens, abi: lensAbi, functionName: "snapshot", args }),
    ).toStrictEqual(viaViem);
  });

  it("includes a reverting transaction and recovers its revert data", async () => {
    const receipt = await fast.send({
      from: alice,
      to: system.addresses.market,
      data: encodeFunctionData({ abi: marketAbi, functionName: "withdraw", args: [5n] }),
    });
    expect(receipt.status).toBe("reverted");
    const data = await fast.revertData(receipt.transactionHash);
    expect(data).toBeDefined();
    const error = decodeErrorResult({ abi: marketAbi, data: data ?? "0x" });
    expect(error.errorName).toBe("MarketInsufficientFreeMargin");
    expect(await fast.revertData((await fast.send(deposit(alice, 1n))).transactionHash)).toBeUndefined();
  });

  it("mines several transactions in one block, in order, repeated senders included", async () => {
    await fast.setAutomine(false);
    const lens = encodeFunctionData({
      abi: lensAbi,
      functionName: "snapshot",
      args: [system.addresses.market, [alice, bob]],
    });
    const txs = [
      deposit(alice, 1n),
      deposit(bob, 2n),
      deposit(alice, 3n),
      deposit(alice, 4n),
      deposit(bob, 5n),
    ];
    const { receipts, reads } = await fast.sendBlock({
      txs,
      reads: [{ to: system.addresses.lens, data: lens }],
    });
    expect(receipts.map((r) => [r.status, r.from])).toEqual(
      txs.map((t) => ["success", t.from.toLowerCase()]),
    );
    expect(new Set(receipts.map((r) => r.blockNumber)).size).toBe(1);
    const [, list] = decodeFunctionResult({ abi: lensAbi, functionName: "snapshot", data: reads[0] ?? "0x" });
    expect(list.map((a) => a.state.margin)).toEqual([8n, 7n]);
  });

  it("refuses to pretend a block was ordered when automine is on", async () => {
    await expect(fast.sendBlock({ txs: [deposit(alice, 1n), deposit(bob, 1n)] })).rejects.toThrow(
      FastBlockError,
    );
  });

  it("answers every element of a batch, failures included", async () => {
    const [good, bad] = await fast.socket.batch([{ method: "eth_chainId" }, { method: "no_such_method" }]);
    expect(good).toEqual({ ok: true, result: "0x7a69" });
    expect(bad?.ok).toBe(false);
    await expect(fast.socket.request("no_such_method")).rejects.toThrow(RpcError);
  });

  it("fails pending and later requests once the socket is closed", async () => {
    const socket = await openRpcSocket({ url: clients.node.wsUrl });
    const inFlight = socket.request("eth_blockNumber");
    socket.close();
    await expect(inFlight).rejects.toThrow(RpcSocketClosedError);
    await expect(socket.request("eth_blockNumber")).rejects.toThrow(RpcSocketClosedError);
  });
});
