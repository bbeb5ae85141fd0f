// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Market} from "../../src/Market.sol";
import {RiskParams} from "../../src/interfaces/IMarket.sol";
import {IOracleGuard} from "../../src/interfaces/IOracleGuard.sol";

/// @notice The gas baseline for the guard: the same effects as Market, dispatched in-frame, with no self-call
///         and no invariant check. Test-only; it must never be deployed.
/// @dev The outer entry points still ABI-encode their call and this dispatcher decodes it, so the measured
///      overhead (guarded - unguarded) slightly understates the guard's true cost (by the encode/decode).
contract UnguardedMarket is Market {
    constructor(address collateral_, IOracleGuard oracle_, RiskParams memory risk_, address owner_)
        Market(collateral_, oracle_, risk_, owner_)
    {}

    function _run(bytes memory data) internal override returns (bool, bytes memory) {
        bytes4 selector = bytes4(data);
        bytes memory args;
        // A view of the arguments without copying: reuse the call's memory, length word moved past the selector.
        assembly ("memory-safe") {
            args := add(data, 4)
            mstore(args, sub(mload(data), 4))
        }
        if (selector == this.executeDeposit.selector) {
            (address account, uint256 amount) = abi.decode(args, (address, uint256));
            _deposit(account, amount);
        } else if (selector == this.executeWithdraw.selector) {
            (address account, uint256 amount) = abi.decode(args, (address, uint256));
            _withdraw(account, amount);
        } else if (selector == this.executeModify.selector) {
            (address account, int256 delta, uint256 limit) = abi.decode(args, (address, int256, uint256));
            _modify(account, delta, limit);
        } else if (selector == this.executeLiquidate.selector) {
            (address account, address liquidator) = abi.decode(args, (address, address));
            (uint256 reward,) = _liquidate(account, liquidator);
            return (true, abi.encode(reward));
        } else if (selector == this.executePoolDeposit.selector) {
            _poolDeposit(abi.decode(args, (uint256)));
        } else if (selector == this.executePoolWithdraw.selector) {
            (address receiver, uint256 assets) = abi.decode(args, (address, uint256));
            _poolWithdraw(receiver, assets);
        } else if (selector == this.executeFundInsurance.selector) {
            (address from, uint256 amount) = abi.decode(args, (address, uint256));
            _fundInsurance(from, amount);
        } else {
            revert("UnguardedMarket: unknown call");
        }
        return (true, "");
    }
}
