import { type Address, getContract } from "viem";
import {
  lensAbi,
  liquidityPoolAbi,
  marketAbi,
  mockAggregatorAbi,
  mockErc20Abi,
  oracleGuardAbi,
} from "../../src-ts/generated/abis.js";
import type { ChainClients } from "../chain/clients.js";
import { type DeploySystemParameters, deploySystem, type SystemAddresses } from "./deploySystem.js";

/** Typed handles on a deployed system: read with `.read`, build calldata with `encodeFunctionData`. */
export type System = ReturnType<typeof bindSystem>;

/** Binds viem contract instances (public-client reads) to a deployed system's addresses. */
export function bindSystem(clients: ChainClients, addresses: SystemAddresses) {
  const client = { public: clients.publicClient };
  return {
    clients,
    addresses,
    market: getContract({ address: addresses.market, abi: marketAbi, client }),
    pool: getContract({ address: addresses.pool, abi: liquidityPoolAbi, client }),
    oracle: getContract({ address: addresses.oracle, abi: oracleGuardAbi, client }),
    lens: getContract({ address: addresses.lens, abi: lensAbi, client }),
    collateral: getContract({ address: addresses.collateral, abi: mockErc20Abi, client }),
    primaryFeed: getContract({ address: addresses.primaryFeed, abi: mockAggregatorAbi, client }),
    secondaryFeed: getContract({ address: addresses.secondaryFeed, abi: mockAggregatorAbi, client }),
  };
}

export type DeployAndBindParameters = Pick<
  DeploySystemParameters,
  "clients" | "root" | "risk" | "immediacyFee"
>;

/** Deploys with the project's script (or a patched copy's, from `root`) and binds the result. */
export async function deployAndBind(parameters: DeployAndBindParameters): Promise<System> {
  return bindSystem(parameters.clients, await deploySystem(parameters));
}

/** The market's whole state and the listed accounts', in one eth_call through the Lens. */
export async function readSnapshot(system: System, accounts: readonly Address[]) {
  const [market, list] = await system.lens.read.snapshot([system.addresses.market, accounts]);
  return { market, accounts: list };
}

export type ChainSnapshot = Awaited<ReturnType<typeof readSnapshot>>;
