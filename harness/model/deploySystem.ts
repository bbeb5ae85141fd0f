/**
 * Deploys one complete system from Foundry's out/ artifacts, in script/SystemDeployer.sol's order and with
 * its arguments (collateral, primary and secondary feeds, oracle guard, market, setSafetyParams, pool,
 * setPool, lens), then sets a guardian, and builds the matching MarketModel from the deployment's own block
 * times. The owner stays a dev account (no timelock), so that a test can call the owner's functions directly;
 * harness/system/deploySystem.ts deploys the real thing (script/Deploy.s.sol, Safe and timelock included).
 *
 * harness/chain provides the generic pieces (anvil, clients, deployArtifact, sendAndWait); this is the
 * protocol-specific part the model needs.
 */
import type { Abi, Address, Hash } from "viem";
import { loadArtifact } from "../chain/artifacts.js";
import type { ChainClients } from "../chain/clients.js";
import { deployArtifact } from "../chain/deploy.js";
import { sendAndWait } from "../chain/sendAndWait.js";
import {
  COLLATERAL_DECIMALS,
  defaultOracleParams,
  defaultRiskParams,
  defaultSafetyParams,
  FEED_DECIMALS,
  INITIAL_ANSWER,
  INITIAL_VARIANCE,
  MAX_ANSWER,
  MAX_OUTFLOW,
  MIN_ANSWER,
  OUTFLOW_WINDOW,
} from "./defaults.js";
import { MarketModel } from "./market.js";
import type { OracleParams, RiskParams, SafetyParams } from "./types.js";
import { zeroAddress } from "./types.js";

export type SystemAbis = {
  collateral: Abi;
  feed: Abi;
  oracle: Abi;
  market: Abi;
  pool: Abi;
  lens: Abi;
  /** Every event of the market, the guard and the pool. */
  events: Abi;
};

export type DeployedSystem = {
  addresses: {
    owner: Address;
    collateral: Address;
    primaryFeed: Address;
    secondaryFeed: Address;
    oracle: Address;
    market: Address;
    pool: Address;
    lens: Address;
    guardian: Address;
  };
  abis: SystemAbis;
  /** Block time of each deployment transaction. */
  timestamps: {
    primaryFeed: bigint;
    secondaryFeed: bigint;
    oracle: bigint;
    market: bigint;
    setGuardian: bigint;
  };
  risk: RiskParams;
  safety: SafetyParams;
  oracleParams: OracleParams;
  initialVariance: bigint;
};

export type DeploySystemParameters = {
  clients: ChainClients;
  /** The deployer and owner: index into the node's dev accounts (default 0). */
  from?: number | undefined;
  /** The guardian: index into the node's dev accounts (default 9, the last of anvil's ten). */
  guardian?: number | undefined;
  risk?: RiskParams | undefined;
  safety?: SafetyParams | undefined;
  oracleParams?: OracleParams | undefined;
  initialVariance?: bigint | undefined;
};

export type DeploySystemReturnType = DeployedSystem;

export async function deploySystem(parameters: DeploySystemParameters): Promise<DeploySystemReturnType> {
  const { clients } = parameters;
  const from = parameters.from ?? 0;
  const owner = clients.accounts[from];
  if (!owner) throw new Error(`deploySystem: the node has no dev account #${from}`);
  const guardian = clients.accounts[parameters.guardian ?? 9];
  if (!guardian) throw new Error("deploySystem: the node has no dev account for the guardian");
  const risk = parameters.risk ?? defaultRiskParams();
  const safety = parameters.safety ?? defaultSafetyParams();
  const oracleParams = parameters.oracleParams ?? defaultOracleParams();
  const initialVariance = parameters.initialVariance ?? INITIAL_VARIANCE;

  const blockTime = async (blockNumber: bigint) =>
    (await clients.publicClient.getBlock({ blockNumber })).timestamp;
  const deploy = async (contract: string, args: readonly unknown[]) => {
    const d = await deployArtifact(clients, { contract, args: args as never, from });
    return { address: d.address, timestamp: await blockTime(d.receipt.blockNumber) };
  };

  const collateral = await deploy("MockERC20", ["Mock USD", "mUSD", COLLATERAL_DECIMALS]);
  const primary = await deploy("MockAggregator", [FEED_DECIMALS, INITIAL_ANSWER, MIN_ANSWER, MAX_ANSWER]);
  const secondary = await deploy("MockAggregator", [FEED_DECIMALS, INITIAL_ANSWER, MIN_ANSWER, MAX_ANSWER]);
  const oracle = await deploy("OracleGuard", [
    primary.address,
    secondary.address,
    zeroAddress,
    MIN_ANSWER,
    MAX_ANSWER,
    oracleParams,
    initialVariance,
    owner,
  ]);
  const market = await deploy("Market", [collateral.address, oracle.address, risk, owner]);
  const [marketAbi, poolAbi, oracleAbi, lensAbi, collateralAbi, feedAbi] = await Promise.all(
    ["Market", "LiquidityPool", "OracleGuard", "Lens", "MockERC20", "MockAggregator"].map(
      async (contract) => (await loadArtifact({ contract })).abi,
    ),
  );
  const abis = {
    market: marketAbi as Abi,
    pool: poolAbi as Abi,
    oracle: oracleAbi as Abi,
    lens: lensAbi as Abi,
    collateral: collateralAbi as Abi,
    feed: feedAbi as Abi,
  };
  const wallet = clients.walletClients[from];
  if (!wallet) throw new Error(`deploySystem: no wallet client #${from}`);
  const ownerCall = async (functionName: string, args: readonly unknown[]) => {
    const receipt = await sendAndWait(clients, {
      label: `market.${functionName}`,
      send: (): Promise<Hash> =>
        wallet.writeContract({ address: market.address, abi: abis.market, functionName, args } as never),
    });
    return blockTime(receipt.blockNumber);
  };
  await ownerCall("setSafetyParams", [safety]);
  const pool = await deploy("LiquidityPool", [
    market.address,
    "Bulkhead LP",
    "bhLP",
    OUTFLOW_WINDOW,
    MAX_OUTFLOW,
  ]);
  await ownerCall("setPool", [pool.address]);
  const setGuardian = await ownerCall("setGuardian", [guardian]);
  const lens = await deploy("Lens", []);

  const events = new Map<string, Abi[number]>();
  for (const abi of [abis.market, abis.pool, abis.oracle]) {
    for (const item of abi) if (item.type === "event") events.set(item.name, item);
  }

  return {
    addresses: {
      owner,
      collateral: collateral.address,
      primaryFeed: primary.address,
      secondaryFeed: secondary.address,
      oracle: oracle.address,
      market: market.address,
      pool: pool.address,
      lens: lens.address,
      guardian,
    },
    abis: { ...abis, events: [...events.values()] },
    timestamps: {
      primaryFeed: primary.timestamp,
      secondaryFeed: secondary.timestamp,
      oracle: oracle.timestamp,
      market: market.timestamp,
      setGuardian,
    },
    risk,
    safety,
    oracleParams,
    initialVariance,
  };
}

/** The model of a freshly deployed system, at the time of its last deployment transaction. */
export function modelOf(system: DeployedSystem): MarketModel {
  const feed = (timestamp: bigint) => ({
    decimals: FEED_DECIMALS,
    initialAnswer: INITIAL_ANSWER,
    minAnswer: MIN_ANSWER,
    maxAnswer: MAX_ANSWER,
    timestamp,
  });
  const model = MarketModel.deploy({
    addresses: {
      market: system.addresses.market,
      pool: system.addresses.pool,
      collateral: system.addresses.collateral,
      oracle: system.addresses.oracle,
      owner: system.addresses.owner,
    },
    risk: system.risk,
    safety: system.safety,
    guardian: system.addresses.guardian,
    oracleParams: system.oracleParams,
    initialVariance: system.initialVariance,
    feeds: { primary: feed(system.timestamps.primaryFeed), secondary: feed(system.timestamps.secondaryFeed) },
    timestamps: { oracle: system.timestamps.oracle, market: system.timestamps.market },
  });
  model.warp(system.timestamps.setGuardian);
  return model;
}
