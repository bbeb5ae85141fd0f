import {
  type Address,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  type JsonRpcAccount,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
  webSocket,
} from "viem";
import { anvil } from "viem/chains";
import { getWebSocketRpcClient } from "viem/utils";
import type { AnvilNode } from "./anvil.js";
import { runStep } from "./nodeDied.js";

export type TransportKind = "webSocket" | "http";

export type ChainWalletClient = WalletClient<Transport, Chain, JsonRpcAccount>;

export type CreateChainClientsParameters = {
  node: AnvilNode;
  /** "auto" (default) uses WebSocket (about 3x faster against anvil here) and falls back to HTTP. */
  transport?: TransportKind | "auto" | undefined;
  /** Per-request timeout. A local node that does not answer within it is treated as hung. */
  requestTimeoutMs?: number | undefined;
};

export type ChainClients = {
  readonly node: AnvilNode;
  readonly transportKind: TransportKind;
  readonly chain: Chain;
  readonly publicClient: PublicClient<Transport, Chain>;
  readonly testClient: TestClient<"anvil", Transport, Chain>;
  /** One wallet client per funded dev account, in anvil's order (index 0 is the usual deployer). */
  readonly walletClients: readonly ChainWalletClient[];
  readonly accounts: readonly Address[];
  /** Closes the WebSocket (if any). Also happens by itself when the node exits. */
  close(): Promise<void>;
};

export type CreateChainClientsReturnType = ChainClients;

const wsOptions = { keepAlive: false, reconnect: false } as const;

/**
 * Connects viem public, test and wallet clients to a node. Wallet clients use anvil's unlocked dev
 * accounts (JSON-RPC accounts), so anvil signs and no private key is handled here.
 */
export async function createChainClients(
  parameters: CreateChainClientsParameters,
): Promise<CreateChainClientsReturnType> {
  const { node, requestTimeoutMs = 30_000 } = parameters;
  const wanted = parameters.transport ?? "auto";

  const connect = async (kind: TransportKind) => {
    // No retries: a local node's failures are deterministic, and retrying would delay NodeDiedError.
    const transport =
      kind === "webSocket"
        ? webSocket(node.wsUrl, { ...wsOptions, retryCount: 0, timeout: requestTimeoutMs })
        : http(node.httpUrl, { retryCount: 0, timeout: requestTimeoutMs });
    const probe = createPublicClient({ transport });
    return { kind, transport, chainId: await probe.getChainId() };
  };

  const connection = await runStep({
    node,
    step: "connect clients",
    action: async () => {
      if (wanted !== "auto") return connect(wanted);
      try {
        return await connect("webSocket");
      } catch {
        await closeSocket(node.wsUrl);
        return connect("http");
      }
    },
  });

  const { kind, transport, chainId } = connection;
  const chain = defineChain({
    ...anvil,
    id: chainId,
    rpcUrls: { default: { http: [node.httpUrl], webSocket: [node.wsUrl] } },
  });
  // Local polling (waitForTransactionReceipt, watchers) should not wait viem's default 4 s. No caching:
  // viem caches getBlockNumber for `cacheTime`, and a harness must never read a stale block number.
  const pollingInterval = 50;
  const cacheTime = 0;
  const publicClient = createPublicClient({ chain, transport, pollingInterval, cacheTime });
  const testClient = createTestClient({ chain, transport, mode: "anvil", pollingInterval, cacheTime });
  const accounts = await runStep({
    node,
    step: "list dev accounts",
    action: () => createWalletClient({ chain, transport }).getAddresses(),
  });
  const walletClients = accounts.map((address) =>
    createWalletClient({ account: address, chain, transport, pollingInterval, cacheTime }).extend(() => ({
      // viem asks the node for its chain id before every JSON-RPC-account transaction to guard against
      // a wallet switching chains; a local node's id never changes, so answer from memory.
      getChainId: async () => chainId,
    })),
  ) as unknown as ChainWalletClient[];

  const close = async () => {
    if (kind === "webSocket") await closeSocket(node.wsUrl);
  };
  // viem caches sockets by URL: evict this one when the node exits, so a later node that reuses the
  // port does not inherit a dead socket.
  node.onExit(() => void close());

  return {
    node,
    transportKind: kind,
    chain,
    publicClient,
    testClient,
    walletClients,
    accounts,
    close,
  };
}

async function closeSocket(url: string): Promise<void> {
  try {
    (await getWebSocketRpcClient(url, wsOptions)).close();
  } catch {
    // Never opened, or the node is gone: nothing to close.
  }
}
