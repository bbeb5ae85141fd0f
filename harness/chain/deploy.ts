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
  Omit<DeployContractParameters<Abi>, "abi" | "bytecode" | "linkReferences"> & {
    /**
     * Addresses of the external libraries the bytecode links against, by library name. A library that is not
     * given is deployed from its own artifact (once per map: pass the same map to share deployments).
     */
    libraries?: Map<string, Address> | undefined;
  };

/** forge's `bytecode.linkReferences`: per source file, per library, the byte offsets of its address. */
type LinkReferences = Record<string, Record<string, { start: number; length: number }[]>>;

/** Writes each library's address into the creation bytecode at the offsets forge recorded. */
export function linkBytecode(
  bytecode: Hex,
  references: LinkReferences,
  libraries: Map<string, Address>,
): Hex {
  let code = bytecode.slice(2);
  for (const byLibrary of Object.values(references)) {
    for (const [name, offsets] of Object.entries(byLibrary)) {
      const address = libraries.get(name);
      if (!address) throw new DeployError(`link: no address for library ${name}`);
      for (const { start, length } of offsets) {
        if (length !== 20) throw new DeployError(`link: ${name}: a reference of ${length} bytes`);
        code = code.slice(0, start * 2) + address.slice(2).toLowerCase() + code.slice((start + length) * 2);
      }
    }
  }
  return `0x${code}`;
}

export type DeployArtifactReturnType = DeployContractReturnType<Abi>;

/** Loads `out/<File>.sol/<Contract>.json` and deploys it. Pass a generated ABI to deployContract for typed args. */
export async function deployArtifact(
  clients: ChainClients,
  parameters: DeployArtifactParameters,
): Promise<DeployArtifactReturnType> {
  const artifact = await loadArtifact(parameters);
  const references = artifact.linkReferences as LinkReferences;
  let bytecode = artifact.bytecode;
  if (Object.keys(references).length > 0) {
    const libraries = parameters.libraries ?? new Map<string, Address>();
    for (const byLibrary of Object.values(references)) {
      for (const name of Object.keys(byLibrary)) {
        if (libraries.has(name)) continue;
        const { address } = await deployArtifact(clients, {
          contract: name,
          outDir: parameters.outDir,
          from: parameters.from,
          libraries,
        });
        libraries.set(name, address);
      }
    }
    bytecode = linkBytecode(bytecode, references, libraries);
  }
  return deployContract(clients, {
    ...parameters,
    label: parameters.label ?? `deploy ${artifact.contractName}`,
    abi: artifact.abi,
    bytecode,
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
