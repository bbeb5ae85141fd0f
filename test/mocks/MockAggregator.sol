// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";

/// @notice A settable Chainlink-style aggregator for tests and local nodes: round ids, `updatedAt`, and the
///         min/max answer clamp of Chainlink's OCR aggregators (answers outside the band are pinned to it).
contract MockAggregator is AggregatorV3Interface {
    struct Round {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
    }

    uint8 public immutable override decimals;
    int256 public minAnswer;
    int256 public maxAnswer;
    uint80 public latestRound;
    /// @dev When set, latestRoundData reports this round id instead of `latestRound` (round regression tests).
    uint80 public reportedRoundOverride;
    mapping(uint80 roundId => Round) public rounds;

    constructor(uint8 decimals_, int256 initialAnswer, int256 minAnswer_, int256 maxAnswer_) {
        decimals = decimals_;
        minAnswer = minAnswer_;
        maxAnswer = maxAnswer_;
        if (initialAnswer != 0) _push(initialAnswer, block.timestamp);
    }

    /// @notice Publishes a new round at the current block time, clamped to [minAnswer, maxAnswer].
    function setAnswer(int256 answer) external returns (uint80) {
        return _push(answer, block.timestamp);
    }

    /// @notice Publishes a new round with an explicit `updatedAt` (stale-feed tests).
    function setAnswerAt(int256 answer, uint256 updatedAt) external returns (uint80) {
        return _push(answer, updatedAt);
    }

    /// @notice Makes latestRoundData report round `roundId` (0 clears it): simulates a regressed round.
    function setReportedRound(uint80 roundId) external {
        reportedRoundOverride = roundId;
    }

    function setBounds(int256 minAnswer_, int256 maxAnswer_) external {
        minAnswer = minAnswer_;
        maxAnswer = maxAnswer_;
    }

    function description() external pure returns (string memory) {
        return "MockAggregator";
    }

    function version() external pure returns (uint256) {
        return 4;
    }

    function getRoundData(uint80 roundId) public view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = rounds[roundId];
        return (roundId, r.answer, r.startedAt, r.updatedAt, roundId);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(reportedRoundOverride == 0 ? latestRound : reportedRoundOverride);
    }

    function _push(int256 answer, uint256 updatedAt) internal returns (uint80 roundId) {
        if (answer < minAnswer) answer = minAnswer;
        if (answer > maxAnswer) answer = maxAnswer;
        roundId = ++latestRound;
        rounds[roundId] = Round(answer, updatedAt, updatedAt);
    }
}
