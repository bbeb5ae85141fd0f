// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket} from "../interfaces/IMarket.sol";

/// @title TradePricing
/// @notice Which round a trade that adds risk may execute at. Trades execute atomically at the latest accepted round,
///         and a round stays Valid for the feed's heartbeat (`maxAge`), so while a feed lags a moving market (Black
///         Thursday: an hour) a trader could open against the pool at a price the market has left. A risk-increasing
///         trade (open, add, flip) therefore executes only at a round at most MAX_TRADE_AGE old; older, it is refused
///         (not a breaker trip: age is no evidence of a bad price). Reducing and closing need only a Valid round, so a
///         holder can always cut risk.
/// @dev Internal: inlined into the market's trade path.
library TradePricing {
    /// @notice The oldest round a risk-increasing trade may execute at (seconds).
    uint256 internal constant MAX_TRADE_AGE = 5 minutes;

    /// @notice Refuses a risk-increasing trade at a round older than MAX_TRADE_AGE (`updatedAt` of the round read;
    ///         a Valid round is never in the future).
    function requireFresh(uint256 updatedAt) internal view {
        uint256 age = block.timestamp - updatedAt;
        if (age > MAX_TRADE_AGE) revert IMarket.MarketTradePriceTooOld(age, MAX_TRADE_AGE);
    }
}
