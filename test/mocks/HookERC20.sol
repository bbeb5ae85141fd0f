// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockERC20} from "./MockERC20.sol";

/// @notice A MockERC20 with a transfer hook (in the spirit of ERC-777 / ERC-1363 callbacks): when armed, every
///         transfer to or from `watched` calls `target` with `data` once. The hook either records the outcome
///         (`bubble` false: the transfer goes on) or reverts the transfer with the callee's revert data.
contract HookERC20 is MockERC20 {
    address public watched;
    address public target;
    bytes public data;
    bool public bubble;
    bool public armed;

    bool public lastSuccess;
    bytes public lastReturn;
    uint256 public fired;
    address public balanceOfWatched;
    bytes public balanceOfRevert; // non-empty: balanceOf(balanceOfWatched) reverts with exactly these bytes

    constructor(string memory name_, string memory symbol_, uint8 decimals_)
        MockERC20(name_, symbol_, decimals_)
    {}

    function arm(address watched_, address target_, bytes calldata data_, bool bubble_) external {
        (watched, target, data, bubble, armed) = (watched_, target_, data_, bubble_, true);
    }

    function setBalanceOfRevert(address account, bytes calldata data_) external {
        (balanceOfWatched, balanceOfRevert) = (account, data_);
    }

    function balanceOf(address account) public view override returns (uint256) {
        bytes memory r = balanceOfRevert;
        if (r.length != 0 && account == balanceOfWatched) {
            assembly ("memory-safe") {
                revert(add(r, 0x20), mload(r))
            }
        }
        return super.balanceOf(account);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (!armed || from == address(0) || (from != watched && to != watched)) return;
        armed = false; // once: the reentrant call may move tokens itself
        ++fired;
        (bool ok, bytes memory ret) = target.call(data);
        (lastSuccess, lastReturn) = (ok, ret);
        if (!ok && bubble) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}
