import type {
  Abi,
  Address,
  ContractConstructorArgs,
  Hex,
  TransactionReceipt,
  DeployContractParameters as ViemDeployContractParameters,
} from "viem";
import { type LoadArtifactParameters, loadArtifact } from "./artifacts.js";
import type { ChainClients } from "./clients.js";
import { sendAndWait } from "./sendAndWait.js";

export class DeployError extends Error {
  override name = "DeployError";
}

export type DeployContractParameters<abi extends Abi> = {
  /** The ABI (a generated `as const` one types `args`) and creation bytecode, e.g. from loadArtifact. */
  abi: abi;
  bytecode: Hex;
  args?: ContractConstructorArgs<abi> | undefined;
  /** Name used in errors; defaults to "deploy". */
  label?: string | undefined;
  /** Deployer: a dev account address or its index in clients.accounts (default 0). */
  from?: Address | number | undefined;
  value?: bigint | undefined;
  /** Library references still present in the bytecode; deploying such code would fail obscurely. */
  linkReferences?: Record<string, unknown> | undefined;
};

export type DeployContractReturnType<abi extends Abi> = {
  address: Address;
  abi: abi;
  receipt: TransactionReceipt;
};

/** Deploys creation bytecode from a dev account and waits for the receipt. */
export async function deployContract<const abi extends Abi>(
  clients: ChainClients,
  parameters: DeployContractParameters<abi>,
): Promise<DeployContractReturnType<abi>> {
  const label = parameters.label ?? "deploy";
  if (parameters.bytecode === "0x") {
    throw new DeployError(`${label}: no creation bytecode (an interface or abstract contract?)`);
  }
  if (Object.keys(parameters.linkReferences ?? {}).length > 0 || parameters.bytecode.includes("__$")) {
    throw new DeployError(`${label}: bytecode has unlinked library references; link or inline the libraries`);
  }
  const wallet = walletFor(clients, parameters.from ?? 0);
  const receipt = await sendAndWait(clients, {
    label,
    send: () =>
      wallet.deployContract({
        abi: parameters.abi,
        bytecode: parameters.bytecode,
        args: parameters.args,
        value: parameters.value,
      } as unknown as ViemDeployContractParameters),
  });
  if (!receipt.contractAddress) throw new DeployError(`${label}: the receipt has no contract address`);
  return { address: receipt.contractAddress, abi: parameters.abi, receipt };
}

export type DeployArtifactParameters = LoadArtifactParameters &
  Omit<DeployContractParameters<Abi>, "abi" | "bytecode" | "linkReferences">;

export type DeployArtifactReturnType = DeployContractReturnType<Abi>;

/** Loads `out/<File>.sol/<Contract>.json` and deploys it. Pass a generated ABI to deployContract for typed args. */
export async function deployArtifact(
  clients: ChainClients,
  parameters: DeployArtifactParameters,
): Promise<DeployArtifactReturnType> {
  const artifact = await loadArtifact(parameters);
  return deployContract(clients, {
    ...parameters,
    label: parameters.label ?? `deploy ${artifact.contractName}`,
    abi: artifact.abi,
    bytecode: artifact.bytecode,
    linkReferences: artifact.linkReferences,
  });
}

function walletFor(clients: ChainClients, from: Address | number) {
  const index =
    typeof from === "number"
      ? from
      : clients.accounts.findIndex((a) => a.toLowerCase() === from.toLowerCase());
  const wallet = clients.walletClients[index];
  if (!wallet) throw new DeployError(`deployer ${String(from)} is not one of the node's dev accounts`);
  return wallet;
}
