import { parseArgs } from "node:util";
import { type Address, getAddress, type Hex, isAddress } from "viem";

export const keeperUsage = `Usage: npm run keeper -- --rpc URL --market ADDR --lens ADDR (--private-key KEY | --account ADDR) [options]

Runs the Bulkhead keeper: liquidates accounts under maintenance, resets a tripped oracle breaker, settles a
market halted longer than maxHaltDuration, and realises underwater accounts in the settlement window.

  --rpc URL               node to use: http(s)://… or ws(s)://…
  --market ADDR           the market
  --lens ADDR             the Lens contract (one call reads the market and every account)
  --private-key KEY       sign locally with this key (0x + 64 hex digits)
  --account ADDR          send from an account the node has unlocked (anvil's dev accounts)
  --interval DURATION     time between ticks: 500ms, 2s, 1m (default 2s)
  --once                  run one tick and exit (exit 1 if it reported errors)
  --dry-run               simulate only, send nothing (no key or account needed)
  --max-liquidations N    at most N liquidate/realise calls per tick
  --from-block N          first block to discover accounts in (default 0)
  --json                  one JSON report per tick instead of a progress line
  -h, --help              this text

Exit status: 0 done (or stopped with Ctrl-C), 1 --once tick failed, 2 bad arguments or unreachable node.`;

export type KeeperSigner = { kind: "privateKey"; key: Hex } | { kind: "account"; address: Address };

export type KeeperCliOptions = {
  rpc: string;
  market: Address;
  lens: Address;
  /** Undefined only in a dry run. */
  signer: KeeperSigner | undefined;
  intervalMs: number;
  once: boolean;
  dryRun: boolean;
  maxLiquidationsPerTick: number | undefined;
  fromBlock: bigint | undefined;
  json: boolean;
};

export type ParseKeeperArgsReturnType = { help: true } | ({ help: false } & KeeperCliOptions);

/** A command-line mistake: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Parses and validates the keeper's command line; throws UsageError with a message that names the flag. */
export function parseKeeperArgs(argv: readonly string[]): ParseKeeperArgsReturnType {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        rpc: { type: "string" },
        market: { type: "string" },
        lens: { type: "string" },
        "private-key": { type: "string" },
        account: { type: "string" },
        interval: { type: "string" },
        once: { type: "boolean" },
        "dry-run": { type: "boolean" },
        "max-liquidations": { type: "string" },
        "from-block": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true };

  const text = (name: string) => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  const required = (name: string) => {
    const value = text(name);
    if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
    return value;
  };
  const address = (name: string, value: string) => {
    if (!isAddress(value, { strict: false })) throw new UsageError(`--${name} ${value} is not an address`);
    return getAddress(value);
  };

  const rpc = required("rpc");
  if (!/^(https?|wss?):\/\/[^\s/]+/.test(rpc)) {
    throw new UsageError(`--rpc ${rpc} is not an http(s):// or ws(s):// URL`);
  }
  const market = address("market", required("market"));
  const lens = address("lens", required("lens"));
  const dryRun = values["dry-run"] === true;

  const key = text("private-key");
  const account = text("account");
  if (key !== undefined && account !== undefined) {
    throw new UsageError("pass either --private-key or --account, not both");
  }
  let signer: KeeperSigner | undefined;
  if (key !== undefined) {
    const normalised = key.startsWith("0x") ? key : `0x${key}`;
    if (!/^0x[0-9a-fA-F]{64}$/.test(normalised)) {
      throw new UsageError("--private-key must be 32 bytes of hex (64 digits, 0x optional)");
    }
    signer = { kind: "privateKey", key: normalised as Hex };
  } else if (account !== undefined) {
    signer = { kind: "account", address: address("account", account) };
  } else if (!dryRun) {
    throw new UsageError("pass --private-key KEY or --account ADDR (an unlocked account), or --dry-run");
  }

  const interval = text("interval");
  const maxLiquidations = text("max-liquidations");
  const fromBlock = text("from-block");
  return {
    help: false,
    rpc,
    market,
    lens,
    signer,
    intervalMs: interval === undefined ? 2_000 : parseDuration(interval),
    once: values.once === true,
    dryRun,
    maxLiquidationsPerTick:
      maxLiquidations === undefined ? undefined : positiveInteger("max-liquidations", maxLiquidations),
    fromBlock: fromBlock === undefined ? undefined : BigInt(nonNegativeInteger("from-block", fromBlock)),
    json: values.json === true,
  };
}

/** "500ms", "2s", "1.5s", "1m"; a bare number is seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!match) throw new UsageError(`--interval ${value} is not a duration (e.g. 500ms, 2s, 1m)`);
  const amount = Number(match[1]);
  const ms = match[2] === "ms" ? amount : match[2] === "m" ? amount * 60_000 : amount * 1_000;
  if (!(ms >= 1)) throw new UsageError(`--interval ${value} is too short (at least 1ms)`);
  return Math.round(ms);
}

function positiveInteger(name: string, value: string): number {
  const n = nonNegativeInteger(name, value);
  if (n === 0) throw new UsageError(`--${name} must be at least 1`);
  return n;
}

function nonNegativeInteger(name: string, value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${name} ${value} is not a non-negative integer`);
  }
  return Number(value);
}
