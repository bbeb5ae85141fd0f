// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockERC20} from "./MockERC20.sol";

/// @notice A MockERC20 that can be told to misbehave: make transferFrom revert with chosen data, or burn a fee
///         on every transfer (so the recipient receives less than the amount sent).
contract HostileERC20 is MockERC20 {
    bytes internal _transferFromRevertData;
    bool public transferFromReverts;
    uint256 public feeBps;

    constructor(string memory name_, string memory symbol_, uint8 decimals_)
        MockERC20(name_, symbol_, decimals_)
    {}

    /// @notice From now on transferFrom reverts with exactly `data`.
    function revertTransferFromWith(bytes calldata data) external {
        (transferFromReverts, _transferFromRevertData) = (true, data);
    }

    /// @notice From now on every transfer burns `bps` / 10,000 of the amount on the way.
    function setFeeBps(uint256 bps) external {
        feeBps = bps;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (transferFromReverts) {
            bytes memory data = _transferFromRevertData;
            assembly ("memory-safe") {
                revert(add(data, 0x20), mload(data))
            }
        }
        return super.transferFrom(from, to, value);
    }

    function _update(address from, address to, uint256 value) internal override {
        uint256 fee = from == address(0) || to == address(0) ? 0 : value * feeBps / 10_000;
        super._update(from, to, value - fee);
        if (fee != 0) super._update(from, address(0), fee);
    }
}
