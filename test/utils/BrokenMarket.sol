// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Market} from "../../src/Market.sol";
import {Invariant, RiskParams} from "../../src/interfaces/IMarket.sol";
import {IOracleGuard} from "../../src/interfaces/IOracleGuard.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @notice A Market with deliberately buggy features, to exercise the guarded-execution frame. Test-only.
/// @dev Two ways to break an invariant: entry points whose effects really break one (`skim` pays out without
///      debiting anyone, `corruptOpenInterest` books long OI without net size), and `phantomCredit`, which makes
///      the real `_checkInvariants` count credits that no token backs, so any ordinary action trips.
contract BrokenMarket is Market {
    using SafeTransferLib for address;

    /// @notice Credits the invariant check counts on top of the real ones (0: the check is the real one).
    uint256 public phantomCredit;

    constructor(address collateral_, IOracleGuard oracle_, RiskParams memory risk_, address owner_)
        Market(collateral_, oracle_, risk_, owner_)
    {}

    function setPhantomCredit(uint256 amount) external {
        phantomCredit = amount;
    }

    /// @notice Bug: sends `amount` of the market's tokens to the caller and debits nothing.
    function skim(uint256 amount) external nonReentrant {
        _run(abi.encodeCall(this.executeSkim, (msg.sender, amount)));
    }

    function executeSkim(address to, uint256 amount) external onlySelf {
        if (amount == 0) revert MarketZeroAmount();
        int256 before = _credits();
        collateral.safeTransfer(to, amount);
        // The tokens leave (declared), but no credit is debited: the credits identity breaks.
        _checkInvariants(before, -int256(amount), false, 0);
    }

    /// @notice Bug: books `amount` of long open interest without any position behind it.
    function corruptOpenInterest(uint256 amount) external nonReentrant {
        _run(abi.encodeCall(this.executeCorruptOpenInterest, (amount)));
    }

    function executeCorruptOpenInterest(uint256 amount) external onlySelf {
        int256 before = _credits();
        _agg.longOpenInterest += amount;
        _checkInvariants(before, 0, true, 0);
    }

    function _checkInvariants(int256 creditsBefore, int256 tokensIn, bool positions, int256 touchedMargin)
        internal
        view
        override
    {
        uint256 phantom = phantomCredit;
        if (phantom != 0) {
            uint256 credits =
                _agg.totalMargin + _agg.insurance + (_agg.poolCash > 0 ? uint256(_agg.poolCash) : 0);
            uint256 balance = _collateralBalance();
            if (balance < credits + phantom) {
                _broken(Invariant.TokenConservation, int256(credits + phantom), int256(balance));
            }
        }
        super._checkInvariants(creditsBefore, tokensIn, positions, touchedMargin);
    }
}
