// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket} from "../interfaces/IMarket.sol";

/// @title TradePricing
/// @notice What a trade that adds risk pays and which round it may execute at. Trades execute atomically at the
///         latest accepted round, so a trader who sees the next round coming (in the mempool, or because the feed
///         lags the market) can trade against the pool at the stale price. Two rules bound what that earns:
///         - a risk-increasing trade executes only at a round at most MAX_TRADE_AGE old (older: refused, never a
///           breaker trip), so a lagging feed can be traded against only for MAX_TRADE_AGE after its last round;
///         - a risk-increasing trade pays at least COVERED_MOVE of its notional (the primary feed's deviation
///           threshold): a position opened before a round and closed after it earns only the part of the round's move
///           beyond COVERED_MOVE. Every way of exploiting a round needs one increase (a holder who closes ahead of a
///           bad round must re-open to do it again), so the charge falls on increases only.
/// @dev Internal functions: inlined into the market's trade path.
library TradePricing {
    /// @notice The oldest round a risk-increasing trade may execute at (seconds).
    uint256 internal constant MAX_TRADE_AGE = 5 minutes;
    /// @notice The least fee (WAD fraction of notional) a risk-increasing trade pays: the primary feed's deviation
    ///         threshold (0.5 % for ETH/USD), the move a round announces before it lands.
    uint256 internal constant COVERED_MOVE = 0.005e18;

    /// @notice The fee rate of a trade: `tradingFee`, and at least COVERED_MOVE when it increases risk.
    function feeRate(uint256 tradingFee, bool increasing) internal pure returns (uint256) {
        return increasing && tradingFee < COVERED_MOVE ? COVERED_MOVE : tradingFee;
    }

    /// @notice Refuses a risk-increasing trade at a round older than MAX_TRADE_AGE (`updatedAt` of the round read;
    ///         a Valid round is never in the future).
    function requireFresh(uint256 updatedAt) internal view {
        uint256 age = block.timestamp - updatedAt;
        if (age > MAX_TRADE_AGE) revert IMarket.MarketTradePriceTooOld(age, MAX_TRADE_AGE);
    }
}
