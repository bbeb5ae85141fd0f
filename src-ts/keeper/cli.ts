import {
  type Account,
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  erc20Abi,
  http,
  type PublicClient,
  type Transport,
  webSocket,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getWebSocketRpcClient } from "viem/utils";
import { marketAbi } from "../generated/abis.js";
import { type KeeperCliOptions, keeperUsage, parseKeeperArgs, UsageError } from "./args.js";
import { createKeeper, type KeeperWalletClient } from "./index.js";
import { formatTickLine, tickReportToJson } from "./report.js";

export type KeeperCliIo = {
  out(line: string): void;
  err(line: string): void;
};

export type RunKeeperCliParameters = { argv: readonly string[]; io?: KeeperCliIo | undefined };

/** Exit status: 0 done or stopped, 1 a --once tick failed, 2 bad arguments or an unusable node. */
export type RunKeeperCliReturnType = 0 | 1 | 2;

const defaultIo: KeeperCliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** A setup problem the user can fix (node unreachable, no contract at an address): exit 2, no stack. */
class SetupError extends Error {}

/** The keeper's command line: parse, connect, check the contracts, then tick until --once or Ctrl-C. */
export async function runKeeperCli({
  argv,
  io = defaultIo,
}: RunKeeperCliParameters): Promise<RunKeeperCliReturnType> {
  let options: KeeperCliOptions;
  try {
    const parsed = parseKeeperArgs(argv);
    if (parsed.help) {
      io.out(keeperUsage);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`keeper: ${error.message}\n\n${keeperUsage}`);
    return 2;
  }

  try {
    return await runKeeper(options, io);
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    io.err(`keeper: ${error.message}`);
    return 2;
  } finally {
    await closeSocket(options.rpc);
  }
}

async function runKeeper(options: KeeperCliOptions, io: KeeperCliIo): Promise<RunKeeperCliReturnType> {
  const setup = await connect(options);
  const { publicClient, walletClient, chainId, decimals, signerLabel } = setup;

  const keeper = createKeeper({
    publicClient,
    walletClient,
    market: options.market,
    lens: options.lens,
    fromBlock: options.fromBlock,
    dryRun: options.dryRun,
    maxLiquidationsPerTick: options.maxLiquidationsPerTick,
  });
  const every = options.once ? "once" : `every ${options.intervalMs} ms`;
  io.out(
    `keeper: market ${options.market} on chain ${chainId} via ${options.rpc}, as ${signerLabel}, ${every}` +
      `${options.dryRun ? " (dry run: nothing is sent)" : ""}`,
  );

  // Ctrl-C (or SIGTERM) finishes the tick in flight, then exits 0; a second one exits at once.
  let stopping = false;
  let wake: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    io.err(`keeper: ${signal}: stopping after the current tick (again to quit now)`);
    wake?.();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let ticks = 0;
  try {
    while (!stopping) {
      ticks++;
      try {
        const report = await keeper.tick();
        io.out(
          options.json
            ? JSON.stringify(tickReportToJson(report))
            : formatTickLine({ report, collateralDecimals: decimals }),
        );
        if (options.once) return report.errors.length > 0 ? 1 : 0;
      } catch (error) {
        io.err(`keeper: tick ${ticks} failed: ${shortMessage(error)}`);
        if (options.once) return 1;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    io.out(`keeper: stopped after ${ticks} tick(s)`);
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

// viem caches one socket per URL and options; these options identify it again when closing.
const socketOptions = { reconnect: false, keepAlive: false } as const;

/** Closes the WebSocket (if any) so that nothing keeps the process alive after the last tick. */
async function closeSocket(rpc: string): Promise<void> {
  if (!rpc.startsWith("ws")) return;
  try {
    (await getWebSocketRpcClient(rpc, socketOptions)).close();
  } catch {
    // Never opened (unreachable node): nothing to close.
  }
}

async function connect(options: KeeperCliOptions) {
  const { rpc } = options;
  // No retries: an unreachable node should say so at once, not after a backoff.
  const transport: Transport = rpc.startsWith("ws")
    ? webSocket(rpc, { retryCount: 0, timeout: 10_000, ...socketOptions })
    : http(rpc, { retryCount: 0, timeout: 10_000 });
  const probe = createPublicClient({ transport });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (error) {
    throw new SetupError(`cannot reach a node at --rpc ${rpc}: ${shortMessage(error)}${detailsOf(error)}`);
  }
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: {
      default: { http: rpc.startsWith("http") ? [rpc] : [], webSocket: rpc.startsWith("ws") ? [rpc] : [] },
    },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 250 }) as PublicClient;

  for (const [flag, address] of [
    ["--market", options.market],
    ["--lens", options.lens],
  ] as const) {
    const code = await publicClient.getCode({ address });
    if (!code || code === "0x") throw new SetupError(`no contract at ${flag} ${address} on chain ${chainId}`);
  }
  let collateral: Address;
  try {
    await publicClient.readContract({ address: options.market, abi: marketAbi, functionName: "mode" });
    collateral = await publicClient.readContract({
      address: options.market,
      abi: marketAbi,
      functionName: "collateral",
    });
  } catch (error) {
    throw new SetupError(
      `--market ${options.market} does not answer like a Bulkhead market: ${shortMessage(error)}`,
    );
  }
  const decimals = await publicClient
    .readContract({ address: collateral, abi: erc20Abi, functionName: "decimals" })
    .catch(() => undefined);

  let account: Account | Address;
  let signerLabel: string;
  const { signer } = options;
  if (signer?.kind === "privateKey") {
    account = privateKeyToAccount(signer.key);
    signerLabel = `${account.address} (local key)`;
  } else if (signer?.kind === "account") {
    const unlocked = await createWalletClient({ transport })
      .getAddresses()
      .catch(() => [] as Address[]);
    if (!unlocked.some((a) => a.toLowerCase() === signer.address.toLowerCase())) {
      throw new SetupError(
        `--account ${signer.address} is not unlocked on the node (not in eth_accounts); pass --private-key instead`,
      );
    }
    account = signer.address;
    signerLabel = `${signer.address} (unlocked)`;
  } else {
    // A dry run only simulates; any sender will do.
    account = "0x0000000000000000000000000000000000000001";
    signerLabel = "nobody (dry run)";
  }
  const walletClient = createWalletClient({ account, chain, transport }) as KeeperWalletClient;
  return { publicClient, walletClient, chainId, decimals, signerLabel };
}

function shortMessage(error: unknown): string {
  if (error instanceof Error) {
    const short = (error as { shortMessage?: string }).shortMessage ?? error.message;
    return short.split("\n")[0] ?? short;
  }
  return String(error);
}

/** viem's lowest-level reason (e.g. "connect ECONNREFUSED 127.0.0.1:1"), which its short message hides. */
function detailsOf(error: unknown): string {
  let cause: unknown = error;
  let deepest: string | undefined;
  for (let depth = 0; cause instanceof Error && depth < 8; depth++) {
    const details = (cause as { details?: string }).details;
    const message = details || cause.message;
    if (message && !/unknown RPC error|HTTP request failed/i.test(message)) deepest = message.split("\n")[0];
    cause = cause.cause;
  }
  return deepest ? ` (${deepest})` : "";
}
