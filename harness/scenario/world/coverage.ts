import {
  liquidityPoolAbi,
  marketAbi,
  oracleGuardAbi,
  solidityEnums,
} from "../../../src-ts/generated/abis.js";
import { BehaviourCoverage, type CoverageDimensions } from "../../coverage/coverage.js";
import { campaignPromiseNames } from "../../invariants/promises/index.js";
import { protocolActions } from "../model/port.js";

const errorNames = (abi: readonly { type: string; name?: string }[]) =>
  abi.filter((item) => item.type === "error").map((item) => item.name as string);

/** The scenario's coverage axes, from the generated Solidity enums and ABIs: one home, no hand copies. */
export const scenarioCoverageDimensions: CoverageDimensions = {
  modes: Object.keys(solidityEnums.Mode),
  actions: protocolActions,
  outcomes: ["ok", "reverted", "tripped", "invariant"],
  oracleClasses: Object.keys(solidityEnums.OracleClass),
  errors: [...new Set([marketAbi, liquidityPoolAbi, oracleGuardAbi].flatMap(errorNames))].sort(),
  promises: campaignPromiseNames,
};

export const emptyScenarioCoverage = () => new BehaviourCoverage(scenarioCoverageDimensions);
