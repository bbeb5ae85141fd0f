// Every protocol call a command can make, as a Planned pair: the model action and the encoded transaction.
import { type Address, formatUnits } from "viem";
import { liquidityPoolAbi, marketAbi, mockAggregatorAbi, mockErc20Abi } from "../../src-ts/generated/abis.js";
import { encodeFunctionData } from "../fast/encodeCall.js";
import { enumName, Mode, type RiskParams } from "../model/types.js";
import type { FeedName } from "./model/port.js";
import { type Planned, request } from "./step.js";
import type { World } from "./world/world.js";

export const fmt = (amount: bigint): string => formatUnits(amount, 6);
export const fmtSize = (size: bigint): string => formatUnits(size, 18);
const short = (a: Address) => a.slice(0, 8);

const marketCall = (w: World, from: Address, data: `0x${string}`, label: string) =>
  request(from, w.system.addresses.market, data, label);

export const calls = {
  deposit: (w: World, from: Address, amount: bigint): Planned => ({
    action: { kind: "deposit", from, amount },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "deposit", args: [amount] }),
      `${short(from)}.deposit(${fmt(amount)})`,
    ),
  }),
  withdraw: (w: World, from: Address, amount: bigint): Planned => ({
    action: { kind: "withdraw", from, amount },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "withdraw", args: [amount] }),
      `${short(from)}.withdraw(${fmt(amount)})`,
    ),
  }),
  modify: (w: World, from: Address, sizeDelta: bigint, priceLimit: bigint): Planned => ({
    action: { kind: "modify", from, sizeDelta, priceLimit },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "modifyPosition", args: [sizeDelta, priceLimit] }),
      `${short(from)}.modifyPosition(${fmtSize(sizeDelta)})`,
    ),
  }),
  close: (w: World, from: Address, priceLimit: bigint): Planned => ({
    action: { kind: "close", from, priceLimit },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "closePosition", args: [priceLimit] }),
      `${short(from)}.closePosition()`,
    ),
  }),
  commitOrder: (w: World, from: Address, sizeDelta: bigint, priceLimit: bigint): Planned => ({
    action: { kind: "commitOrder", from, sizeDelta, priceLimit },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "commitOrder", args: [sizeDelta, priceLimit] }),
      `${short(from)}.commitOrder(${fmtSize(sizeDelta)})`,
    ),
  }),
  executeOrder: (w: World, from: Address, account: Address): Planned => ({
    action: { kind: "executeOrder", from, account },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "executeOrder", args: [account] }),
      `${short(from)}.executeOrder(${short(account)})`,
    ),
  }),
  liquidate: (w: World, from: Address, account: Address): Planned => ({
    action: { kind: "liquidate", from, account },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "liquidate", args: [account] }),
      `${short(from)}.liquidate(${short(account)})`,
    ),
  }),
  settleLoss: (w: World, from: Address, account: Address): Planned => ({
    action: { kind: "settleLoss", from, account },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "settleLoss", args: [account] }),
      `${short(from)}.settleLoss(${short(account)})`,
    ),
  }),
  refresh: (w: World, from: Address): Planned => ({
    action: { kind: "refresh", from },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "refresh" }),
      "refresh()",
    ),
  }),
  settle: (w: World, from: Address): Planned => ({
    action: { kind: "settle", from },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "settle" }),
      `${short(from)}.settle()`,
    ),
  }),
  realise: (w: World, from: Address, account: Address): Planned => ({
    action: { kind: "realise", from, account },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "realise", args: [account] }),
      `realise(${short(account)})`,
    ),
  }),
  claim: (w: World, from: Address): Planned => ({
    action: { kind: "claim", from },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "claim" }),
      `${short(from)}.claim()`,
    ),
  }),
  fundInsurance: (w: World, from: Address, amount: bigint): Planned => ({
    action: { kind: "fundInsurance", from, amount },
    request: marketCall(
      w,
      from,
      encodeFunctionData({ abi: marketAbi, functionName: "fundInsurance", args: [amount] }),
      `${short(from)}.fundInsurance(${fmt(amount)})`,
    ),
  }),
  lpDeposit: (w: World, from: Address, assets: bigint): Planned => ({
    action: { kind: "lpDeposit", from, assets },
    request: request(
      from,
      w.system.addresses.pool,
      encodeFunctionData({ abi: liquidityPoolAbi, functionName: "deposit", args: [assets, from] }),
      `${short(from)}.pool.deposit(${fmt(assets)})`,
    ),
  }),
  lpRedeem: (w: World, from: Address, shares: bigint): Planned => ({
    action: { kind: "lpRedeem", from, shares },
    request: request(
      from,
      w.system.addresses.pool,
      encodeFunctionData({ abi: liquidityPoolAbi, functionName: "redeem", args: [shares, from, from] }),
      `${short(from)}.pool.redeem(${shares})`,
    ),
  }),
  lpClaim: (w: World, from: Address, shares: bigint): Planned => ({
    action: { kind: "lpClaim", from, shares },
    request: request(
      from,
      w.system.addresses.pool,
      encodeFunctionData({ abi: liquidityPoolAbi, functionName: "claimSettlement", args: [shares, from] }),
      `${short(from)}.pool.claimSettlement(${shares})`,
    ),
  }),
  feedAnswer: (w: World, feed: FeedName, answer: bigint, updatedAt?: bigint): Planned => ({
    action: { kind: "feedAnswer", feed, answer, updatedAt },
    request: request(
      w.actors.operator,
      feedAddress(w, feed),
      updatedAt === undefined
        ? encodeFunctionData({ abi: mockAggregatorAbi, functionName: "setAnswer", args: [answer] })
        : encodeFunctionData({
            abi: mockAggregatorAbi,
            functionName: "setAnswerAt",
            args: [answer, updatedAt],
          }),
      `${feed}.setAnswer(${formatUnits(answer, 8)})`,
    ),
  }),
  feedReportedRound: (w: World, feed: FeedName, roundId: bigint): Planned => ({
    action: { kind: "feedReportedRound", feed, roundId },
    request: request(
      w.actors.operator,
      feedAddress(w, feed),
      encodeFunctionData({ abi: mockAggregatorAbi, functionName: "setReportedRound", args: [roundId] }),
      `${feed}.setReportedRound(${roundId})`,
    ),
  }),
  feedBounds: (w: World, feed: FeedName, minAnswer: bigint, maxAnswer: bigint): Planned => ({
    action: { kind: "feedBounds", feed, minAnswer, maxAnswer },
    request: request(
      w.actors.operator,
      feedAddress(w, feed),
      encodeFunctionData({ abi: mockAggregatorAbi, functionName: "setBounds", args: [minAnswer, maxAnswer] }),
      `${feed}.setBounds(${minAnswer}, ${maxAnswer})`,
    ),
  }),
  mint: (w: World, to: Address, amount: bigint): Planned => ({
    action: { kind: "mint", to, amount },
    request: request(
      w.actors.operator,
      w.system.addresses.collateral,
      encodeFunctionData({ abi: mockErc20Abi, functionName: "mint", args: [to, amount] }),
      `mint(${short(to)}, ${fmt(amount)})`,
    ),
  }),
};

/** Calldata for the governance targets (wrapped by the Safe or the timelock, see governance.ts). */
export const governanceData = {
  escalate: (to: Mode) => encodeFunctionData({ abi: marketAbi, functionName: "escalate", args: [to] }),
  setMode: (to: Mode) => encodeFunctionData({ abi: marketAbi, functionName: "setMode", args: [to] }),
  setRiskParams: (p: RiskParams) =>
    encodeFunctionData({ abi: marketAbi, functionName: "setRiskParams", args: [p] }),
  settle: () => encodeFunctionData({ abi: marketAbi, functionName: "settle" }),
};

export const modeName = (mode: number): string => enumName(Mode, mode);

function feedAddress(w: World, feed: FeedName): Address {
  return feed === "primary" ? w.system.addresses.primaryFeed : w.system.addresses.secondaryFeed;
}
