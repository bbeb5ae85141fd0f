/**
 * The price feeds the oracle guard reads: test/mocks/MockAggregator.sol (rounds, clamp, reported-round
 * override), and an L2 sequencer-uptime feed. Plain data plus the functions the mock's setters run.
 */

/** A stored round never changes (a new answer is a new round), so copies of the state share them. */
export type Round = Readonly<{ answer: bigint; startedAt: bigint; updatedAt: bigint }>;

/** test/mocks/MockAggregator.sol's storage. */
export type MockAggregatorState = {
  decimals: number;
  minAnswer: bigint;
  maxAnswer: bigint;
  latestRound: bigint;
  reportedRoundOverride: bigint;
  rounds: Map<bigint, Round>;
  /** Not a mock feature: a feed whose calls revert (the guard classifies it Stale / SequencerDown). */
  reverts: boolean;
};

/** What `latestRoundData()` returns (answeredInRound omitted; the guard ignores it), or "reverts". */
export type RoundData = { roundId: bigint; answer: bigint; startedAt: bigint; updatedAt: bigint };

export type CreateMockAggregatorParameters = {
  decimals: number;
  initialAnswer: bigint;
  minAnswer: bigint;
  maxAnswer: bigint;
  /** block.timestamp of the deployment. */
  timestamp: bigint;
};

/** MockAggregator's constructor: a non-zero initial answer is pushed as round 1. */
export function createMockAggregator(parameters: CreateMockAggregatorParameters): MockAggregatorState {
  const feed: MockAggregatorState = {
    decimals: parameters.decimals,
    minAnswer: parameters.minAnswer,
    maxAnswer: parameters.maxAnswer,
    latestRound: 0n,
    reportedRoundOverride: 0n,
    rounds: new Map(),
    reverts: false,
  };
  if (parameters.initialAnswer !== 0n) pushRound(feed, parameters.initialAnswer, parameters.timestamp);
  return feed;
}

/** `_push`: clamps to [minAnswer, maxAnswer] and stores a new round; returns its id. */
export function pushRound(feed: MockAggregatorState, answer: bigint, updatedAt: bigint): bigint {
  let a = answer;
  if (a < feed.minAnswer) a = feed.minAnswer;
  if (a > feed.maxAnswer) a = feed.maxAnswer;
  feed.latestRound += 1n;
  feed.rounds.set(feed.latestRound, { answer: a, startedAt: updatedAt, updatedAt });
  return feed.latestRound;
}

export function latestRoundData(feed: MockAggregatorState): RoundData | "reverts" {
  if (feed.reverts) return "reverts";
  const roundId = feed.reportedRoundOverride === 0n ? feed.latestRound : feed.reportedRoundOverride;
  const round = feed.rounds.get(roundId) ?? { answer: 0n, startedAt: 0n, updatedAt: 0n };
  return { roundId, ...round };
}

/** An L2 sequencer-uptime feed: status 0 up, anything else down; `startedAt` is the time of the last change. */
export type SequencerState = { status: bigint; startedAt: bigint; reverts: boolean };
