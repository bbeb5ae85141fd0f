// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";

/// @notice A feed that behaves like a settable Chainlink aggregator until told to misbehave: revert with chosen
///         data (e.g. a selector the market treats specially), return malformed (short) data, or burn gas.
/// @dev Standalone rather than a MockAggregator subclass: MockAggregator.latestRoundData is not virtual.
contract HostileAggregator is AggregatorV3Interface {
    enum Behaviour {
        Honest,
        RevertWith,
        ReturnShort
    }

    uint8 public immutable override decimals;
    uint80 public latestRound;
    int256 public answer;
    uint256 public updatedAt;
    Behaviour public behaviour;
    bytes internal _revertData;
    /// @notice Gas each reading burns before answering (gas-starvation tests).
    uint256 public gasToBurn;

    constructor(uint8 decimals_, int256 answer_) {
        decimals = decimals_;
        setAnswer(answer_);
    }

    /// @notice Publishes a new round at the current block time.
    function setAnswer(int256 answer_) public {
        ++latestRound;
        (answer, updatedAt) = (answer_, block.timestamp);
    }

    /// @notice From now on latestRoundData reverts with exactly `data`.
    function revertWith(bytes calldata data) external {
        (behaviour, _revertData) = (Behaviour.RevertWith, data);
    }

    /// @notice From now on latestRoundData returns 32 bytes instead of 160 (a broken or replaced feed).
    function returnShort() external {
        behaviour = Behaviour.ReturnShort;
    }

    function setGasToBurn(uint256 gas_) external {
        gasToBurn = gas_;
    }

    function behaveHonestly() external {
        behaviour = Behaviour.Honest;
    }

    function description() external pure returns (string memory) {
        return "HostileAggregator";
    }

    function version() external pure returns (uint256) {
        return 4;
    }

    function getRoundData(uint80) external view returns (uint80, int256, uint256, uint256, uint80) {
        return _latest();
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return _latest();
    }

    function _latest() internal view returns (uint80, int256, uint256, uint256, uint80) {
        uint256 start = gasleft();
        uint256 burn = gasToBurn;
        while (start - gasleft() < burn) {}
        Behaviour b = behaviour;
        if (b == Behaviour.RevertWith) {
            bytes memory data = _revertData;
            assembly ("memory-safe") {
                revert(add(data, 0x20), mload(data))
            }
        }
        if (b == Behaviour.ReturnShort) {
            assembly ("memory-safe") {
                mstore(0x00, 1)
                return(0x00, 0x20)
            }
        }
        return (latestRound, answer, updatedAt, updatedAt, latestRound);
    }
}
