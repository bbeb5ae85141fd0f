// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket} from "../interfaces/IMarket.sol";
import {IOracleGuard} from "../interfaces/IOracleGuard.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @title TradePricing
/// @notice The price a trade executes at, and which round a trade that adds risk may execute at.
///
///         Age: trades execute atomically at the latest accepted round, and a round stays Valid for the feed's
///         heartbeat (`maxAge`), so while a feed lags a moving market (Black Thursday: an hour) a trader could open
///         against the pool at a price the market has left. A risk-increasing trade (open, add, flip) therefore
///         executes only at a round at most MAX_TRADE_AGE old; older, it is refused (not a breaker trip: age is no
///         evidence of a bad price). Reducing and closing need only a Valid round, so a holder can always cut risk.
///
///         Level: a round under the jump band is Valid, so an attacker who can push the feeds by less than the band
///         for a moment (Harvest's grinding, a bZx-style spike) could trade at the pushed round and unwind at the
///         restored one. Every trade — increase or reduce, either side — therefore executes at the worse, for the
///         trader, of the accepted round (the mark) and the guard's stable price, which follows accepted rounds by at
///         most STABLE_RATE_BPS_PER_MINUTE of the higher of the two per minute (Mango v4's stable price): a level must
///         stand before it can be traded on its favourable side, which turns a grind into a sustained manipulation
///         (bounded by the per-window profit room). The cost to an honest trader: after a real move of x, a trade on
///         the move's favourable side pays at most (x - 1 %/min * t) of its notional t seconds later, nothing once the
///         stable price caught up (x / 1 % minutes); the other side pays nothing. Liquidations, margin checks and
///         settlement keep the mark: they measure what an account is worth at the price it can be closed at, and are
///         not timed by the trader.
/// @dev Internal: inlined into the market's trade path and the guard's acceptance.
library TradePricing {
    /// @notice The oldest round a risk-increasing trade may execute at (seconds).
    uint256 internal constant MAX_TRADE_AGE = 5 minutes;

    /// @notice How fast the stable price follows the accepted price: at most this many basis points of the higher of
    ///         the two per minute (100: 1 %, so a 1 % level must stand a minute before it is traded in full, and a
    ///         real 5 % move costs its favourable side at most 5 minutes of catch-up).
    uint256 internal constant STABLE_RATE_BPS_PER_MINUTE = 100;

    /// @notice Refuses a risk-increasing trade at a round older than MAX_TRADE_AGE (`updatedAt` of the round read;
    ///         a Valid round is never in the future).
    function requireFresh(uint256 updatedAt) internal view {
        uint256 age = block.timestamp - updatedAt;
        if (age > MAX_TRADE_AGE) revert IMarket.MarketTradePriceTooOld(age, MAX_TRADE_AGE);
    }

    /// @notice The price a trade of either kind executes at: buying (`buying`: a long added or a short reduced) at the
    ///         higher of the mark and the stable price, selling at the lower. Read after the guard's update, so the
    ///         stable price already follows the round just accepted. `mustBeFresh` (a risk-increasing trade on a Valid
    ///         reading) also refuses a round older than MAX_TRADE_AGE.
    function executionPrice(IOracleGuard oracle, uint256 mark, bool buying, bool mustBeFresh)
        internal
        view
        returns (uint256)
    {
        (uint256 stable, uint256 updatedAt) = oracle.stablePrice();
        if (mustBeFresh) requireFresh(updatedAt);
        return buying ? M.max(mark, stable) : M.min(mark, stable);
    }

    /// @notice The stable price `dt` seconds after it stood at `stable`, following `target` (the accepted price) by at
    ///         most STABLE_RATE_BPS_PER_MINUTE of the higher of the two per minute, never past it.
    function stableAfter(uint256 stable, uint256 target, uint256 dt) internal pure returns (uint256) {
        uint256 step = M.max(stable, target) * dt * STABLE_RATE_BPS_PER_MINUTE / (10_000 * 1 minutes);
        if (target >= stable) return M.min(target, stable + step);
        return stable - M.min(stable - target, step);
    }
}
