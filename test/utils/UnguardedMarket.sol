// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Market} from "../../src/Market.sol";
import {RiskParams} from "../../src/interfaces/IMarket.sol";
import {IOracleGuard} from "../../src/interfaces/IOracleGuard.sol";

/// @notice The gas baseline for the guard: every guarded entry point of Market overridden to run the same effects
///         (`_deposit`, `_modify`, …) in-frame, behind the same reentrancy lock and access checks — no call
///         encoding, no self-call, no `_guard`, no credits read, no invariant check. Test-only; never deploy it.
/// @dev The difference `Market - UnguardedMarket` is therefore exactly the guard's cost.
contract UnguardedMarket is Market {
    constructor(address collateral_, IOracleGuard oracle_, RiskParams memory risk_, address owner_)
        Market(collateral_, oracle_, risk_, owner_)
    {}

    function deposit(uint256 amount) external override nonReentrant {
        _deposit(msg.sender, amount);
    }

    function withdraw(uint256 amount) external override nonReentrant {
        _withdraw(msg.sender, amount);
    }

    function modifyPosition(int256 sizeDelta, uint256 priceLimit) external override nonReentrant {
        _modify(msg.sender, sizeDelta, priceLimit);
    }

    function closePosition(uint256 priceLimit) external override nonReentrant {
        _modify(msg.sender, -_accounts[msg.sender].size, priceLimit);
    }

    function liquidate(address account) external override nonReentrant returns (uint256 reward) {
        (reward,) = _liquidate(account, msg.sender);
    }

    function fundInsurance(uint256 amount) external override nonReentrant {
        _fundInsurance(msg.sender, amount);
    }

    function onPoolDeposit(uint256 assets) external override onlyPool nonReentrant returns (bool) {
        _poolDeposit(assets);
        return true;
    }

    function onPoolWithdraw(address receiver, uint256 assets)
        external
        override
        onlyPool
        nonReentrant
        returns (bool)
    {
        _poolWithdraw(receiver, assets);
        return true;
    }
}
