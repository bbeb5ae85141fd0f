import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { type Address, type ContractConstructorArgs, encodeAbiParameters, getAddress } from "viem";
import { marketAbi } from "../../src-ts/generated/abis.js";
import type { ChainClients } from "../chain/clients.js";
import { foundryBinary, repoRoot } from "../chain/foundryBinary.js";

/** Every address the deploy script wires together. */
export type SystemAddresses = {
  collateral: Address;
  primaryFeed: Address;
  secondaryFeed: Address;
  oracle: Address;
  market: Address;
  pool: Address;
  lens: Address;
  guardian: Address;
  timelock: Address;
};

export class SystemDeployError extends Error {
  override name = "SystemDeployError";
}

export type DeploySystemParameters = {
  clients: ChainClients;
  /** Owners of the guardian Safe (default: dev accounts 1-3, as the script's own default). */
  safeOwners?: readonly Address[] | undefined;
  safeThreshold?: number | undefined;
  /** The Foundry project to deploy from (default: this repository). A patched copy deploys its own build. */
  root?: string | undefined;
  /**
   * The market's risk parameters at construction (default: the script's, `Defaults.riskParams()`). A
   * deployment-time value, not a governance step: setRiskParams moves each parameter by bounded steps only.
   */
  risk?: RiskParams | undefined;
  /** The premium atomic trades pay, WAD (default: the script's, `Defaults.IMMEDIACY_FEE`). */
  immediacyFee?: bigint | undefined;
};

/** The Market constructor's RiskParams, as viem types it from the generated ABI. */
export type RiskParams = ContractConstructorArgs<typeof marketAbi>[2];

export type DeploySystemReturnType = SystemAddresses;

/**
 * Deploys the whole system with the project's own `script/Deploy.s.sol` (one source of truth for the
 * wiring: token, feeds, guard, market, pool, lens, Safe guardian, timelock), broadcast from the node's
 * first unlocked dev account. Broadcast records go to a temporary folder so parallel workers never race.
 */
export async function deploySystem(parameters: DeploySystemParameters): Promise<DeploySystemReturnType> {
  const { clients, root = repoRoot } = parameters;
  const sender = clients.accounts[0];
  if (!sender) throw new SystemDeployError("the node has no dev accounts to deploy from");
  const owners = parameters.safeOwners ?? clients.accounts.slice(1, 4);
  const broadcastDir = mkdtempSync(path.join(tmpdir(), "bulkhead-broadcast-"));
  try {
    const result = await execa(
      foundryBinary("forge"),
      [
        "script",
        "script/Deploy.s.sol",
        "--rpc-url",
        clients.node.httpUrl,
        "--broadcast",
        "--unlocked",
        "--sender",
        sender,
        "--json",
        // One transaction per block, each sent after the previous one is mined: without it forge pipelines
        // the broadcast and anvil packs a varying number of transactions per block, so block numbers and
        // timestamps (feed rounds, the market's funding clock) differ from one deployment to the next.
        "--slow",
      ],
      {
        cwd: root,
        reject: false,
        env: {
          FOUNDRY_BROADCAST: broadcastDir,
          SAFE_OWNERS: owners.join(","),
          SAFE_THRESHOLD: String(parameters.safeThreshold ?? 2),
          ...(parameters.risk ? { RISK_PARAMS: encodeRisk(parameters.risk) } : {}),
          ...(parameters.immediacyFee !== undefined
            ? { IMMEDIACY_FEE: String(parameters.immediacyFee) }
            : {}),
        },
      },
    );
    if (result.exitCode !== 0) {
      const why = `${result.stderr}\n${result.stdout}`.trim().split("\n").slice(-15).join("\n");
      const hint = /No such file|ENOENT/.test(String(result.message)) ? " (run `npm ci`)" : "";
      throw new SystemDeployError(
        `forge script script/Deploy.s.sol failed on ${clients.node.label}${hint}:\n${why}`,
      );
    }
    return parseReturns(String(result.stdout));
  } finally {
    rmSync(broadcastDir, { recursive: true, force: true });
  }
}

/** Reads the script's `returns` (two tuples of addresses: System and Governance) from forge's JSON output. */
export function parseReturns(stdout: string): SystemAddresses {
  for (const line of stdout.split("\n")) {
    if (!line.includes('"returns"')) continue;
    let parsed: { returns?: Record<string, { value?: string }> };
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const system = tupleAddresses(parsed.returns?.s?.value);
    const governance = tupleAddresses(parsed.returns?.g?.value);
    if (system.length !== 7 || governance.length !== 2) break;
    const [collateral, primaryFeed, secondaryFeed, oracle, market, pool, lens] = system as [
      Address,
      Address,
      Address,
      Address,
      Address,
      Address,
      Address,
    ];
    const [guardian, timelock] = governance as [Address, Address];
    return { collateral, primaryFeed, secondaryFeed, oracle, market, pool, lens, guardian, timelock };
  }
  throw new SystemDeployError(
    "forge script printed no `returns` with the System (7 addresses) and Governance (2) tuples; " +
      "did script/Deploy.s.sol change shape?",
  );
}

function tupleAddresses(value: string | undefined): Address[] {
  return (value?.match(/0x[0-9a-fA-F]{40}/g) ?? []).map((a) => getAddress(a));
}

/** RiskParams ABI-encoded as the script's RISK_PARAMS reads it (`abi.decode(encoded, (RiskParams))`). */
function encodeRisk(risk: RiskParams): `0x${string}` {
  const marketConstructor = marketAbi.find((item) => item.type === "constructor");
  const input = marketConstructor?.inputs[2];
  if (input?.internalType !== "struct RiskParams")
    throw new SystemDeployError("the Market constructor's third input is no longer RiskParams");
  return encodeAbiParameters([input], [risk]);
}
