// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";

/// @notice A Chainlink-style feed under an attacker's (or a broken deployment's) control: it can revert with any
///         bytes (for instance another contract's custom error) and can burn a set amount of gas per reading.
contract HostileAggregator is AggregatorV3Interface {
    uint8 public constant override decimals = 8;
    uint80 public roundId;
    int256 public answer;
    uint256 public updatedAt;
    bytes public revertData; // non-empty: latestRoundData reverts with exactly these bytes
    uint256 public gasToBurn; // gas each latestRoundData burns before answering

    constructor(int256 answer_) {
        setAnswer(answer_);
    }

    function setAnswer(int256 answer_) public {
        (roundId, answer, updatedAt) = (roundId + 1, answer_, block.timestamp);
    }

    function setRevertData(bytes calldata data) external {
        revertData = data;
    }

    function setGasToBurn(uint256 gas_) external {
        gasToBurn = gas_;
    }

    function description() external pure returns (string memory) {
        return "HostileAggregator";
    }

    function version() external pure returns (uint256) {
        return 4;
    }

    function getRoundData(uint80) external view returns (uint80, int256, uint256, uint256, uint80) {
        return latestRoundData();
    }

    function latestRoundData() public view returns (uint80, int256, uint256, uint256, uint80) {
        uint256 start = gasleft();
        uint256 burn = gasToBurn;
        while (start - gasleft() < burn) {}
        bytes memory data = revertData;
        if (data.length != 0) {
            assembly ("memory-safe") {
                revert(add(data, 0x20), mload(data))
            }
        }
        return (roundId, answer, updatedAt, updatedAt, roundId);
    }
}
