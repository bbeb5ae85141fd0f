// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Invariant} from "../../../src/interfaces/IMarket.sol";
import {SignedMath as S} from "../../../src/libraries/SignedMath.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @notice The handler's reference model of one market call: the touched account, every aggregate and the
///         market's token balance, advanced by the same rules (and the same directed rounding) the market
///         promises. The handler loads it from chain before a call, applies the call's rules in order to
///         predict the outcome (the first error, a trip, or the exact state after success), then compares.
/// @dev Every function mirrors one documented rule of IMarket/DESIGN §2; the primitives (floorDiv, ceilDiv,
///      mulWad*) are shared with the market on purpose: the model checks the rules, not the arithmetic library.
library MarketModel {
    int256 internal constant WAD = 1e18;

    struct State {
        // the touched account
        int256 margin;
        int256 size;
        int256 openNotional;
        int256 accountIndex;
        // the aggregates
        uint256 longOI;
        uint256 shortOI;
        int256 netSize;
        int256 netOpenNotional;
        int256 sizeTimesIndex;
        uint256 totalMargin;
        int256 poolCash;
        uint256 insurance;
        int256 fundingIndex;
        uint256 lastFundingTime;
        // tokens the market holds
        uint256 balance;
        // what the call's funding settlement alone did (used to classify known bugs)
        int256 marginAfterFunding;
        int256 poolCashAfterFunding;
        // the value divisor: size (WAD) * price (WAD) / divisor = collateral units
        int256 divisor;
    }

    /// @notice The first invariant the market's own check would find broken, if any.
    struct Trip {
        bool tripped;
        Invariant invariant;
        int256 expected;
        int256 actual;
    }

    /* FUNDING */

    /// @dev The funding rate per second implied by the skew, capped at maxFundingRate (IMarket.fundingRate).
    function rate(int256 netSize, uint256 maxFundingRate, uint256 skewScale)
        internal
        pure
        returns (int256 r)
    {
        int256 cap = int256(maxFundingRate);
        r = netSize * cap / int256(skewScale);
        if (r > cap) r = cap;
        if (r < -cap) r = -cap;
    }

    /// @dev Accrues the index to `now` at `price` (a no-op within the same second).
    function accrue(State memory s, uint256 price, uint256 now_, uint256 maxFundingRate, uint256 skewScale)
        internal
        pure
    {
        if (now_ == s.lastFundingTime) return;
        s.fundingIndex += rate(s.netSize, maxFundingRate, skewScale) * int256(price) / WAD
        * int256(now_ - s.lastFundingTime);
        s.lastFundingTime = now_;
    }

    /// @dev Moves the funding the account owes since its last settlement between its margin and pool cash;
    ///      the account's share rounds up (against the trader).
    function settleFunding(State memory s) internal pure {
        if (s.size != 0) {
            int256 owed = S.ceilDiv(s.size * (s.fundingIndex - s.accountIndex), s.divisor);
            credit(s, -owed);
            s.poolCash += owed;
            s.sizeTimesIndex += s.size * (s.fundingIndex - s.accountIndex);
        }
        s.accountIndex = s.fundingIndex;
        s.marginAfterFunding = s.margin;
        s.poolCashAfterFunding = s.poolCash;
    }

    /* MARGIN */

    /// @dev totalMargin counts positive margins only.
    function credit(State memory s, int256 amount) internal pure {
        int256 before = s.margin;
        int256 after_ = before + amount;
        s.margin = after_;
        s.totalMargin = s.totalMargin - pos(before) + pos(after_);
    }

    /* POSITIONS */

    /// @dev A size change at `price`: PnL on the closed part realised between margin and pool cash (proceeds
    ///      round down), basis on the opened part rounds up, every aggregate in step.
    /// @return realised The PnL realised on the closed part.
    /// @return cashShort Whether the pool cash went negative paying it (MarketPoolCannotPay).
    function trade(State memory s, int256 delta, uint256 price)
        internal
        pure
        returns (int256 realised, bool cashShort)
    {
        int256 size = s.size;
        int256 basis = s.openNotional;
        int256 closing;
        if (size != 0 && (size > 0) != (delta > 0)) closing = S.abs(delta) >= S.abs(size) ? -size : delta;
        int256 opening = delta - closing;
        int256 basisRemoved;
        if (closing != 0) {
            basisRemoved = closing == -size ? basis : basis * -closing / size;
            realised = S.floorDiv(-closing * int256(price), s.divisor) - basisRemoved;
            credit(s, realised);
            s.poolCash -= realised;
        }
        int256 basisAdded = opening == 0 ? int256(0) : S.ceilDiv(opening * int256(price), s.divisor);
        s.openNotional = basis - basisRemoved + basisAdded;
        s.netOpenNotional += basisAdded - basisRemoved;
        int256 newSize = size + delta;
        if (size > 0) s.longOI -= uint256(size);
        else s.shortOI -= uint256(-size);
        if (newSize > 0) s.longOI += uint256(newSize);
        else s.shortOI += uint256(-newSize);
        s.netSize += delta;
        s.sizeTimesIndex += delta * s.accountIndex;
        s.size = newSize;
        cashShort = s.poolCash < 0;
    }

    /// @dev The trading fee on |delta|'s notional, rounded up; its insurance share rounds down.
    function chargeFee(
        State memory s,
        uint256 absDelta,
        uint256 price,
        uint256 feeRate,
        uint256 insuranceShare
    ) internal pure returns (uint256 fee, uint256 toInsurance) {
        fee = M.mulWadUp(notional(s, int256(absDelta), price), feeRate);
        if (fee == 0) return (0, 0);
        toInsurance = M.mulWad(fee, insuranceShare);
        credit(s, -int256(fee));
        s.insurance += toInsurance;
        s.poolCash += int256(fee - toInsurance);
    }

    /* VALUATION */

    function notional(State memory s, int256 size, uint256 price) internal pure returns (uint256) {
        return uint256(S.ceilDiv(int256(S.abs(size)) * int256(price), s.divisor));
    }

    /// @dev The touched account's equity with funding settled: margin + unrealised PnL rounded down.
    function equity(State memory s, uint256 price) internal pure returns (int256) {
        return s.margin + S.floorDiv(s.size * int256(price), s.divisor) - s.openNotional;
    }

    /// @dev Pool equity: cash + funding owed to it (rounded down) - traders' net PnL (rounded up).
    function poolEquity(State memory s, uint256 price) internal pure returns (int256) {
        int256 owed = S.floorDiv(s.netSize * s.fundingIndex - s.sizeTimesIndex, s.divisor);
        int256 traderPnl = S.ceilDiv(s.netSize * int256(price), s.divisor) - s.netOpenNotional;
        return s.poolCash + owed - traderPnl;
    }

    /// @dev The backing the pool must keep: minBacking times the net notional it is exposed to.
    function requiredBacking(State memory s, uint256 price, uint256 minBacking)
        internal
        pure
        returns (uint256)
    {
        return M.mulWadUp(notional(s, s.netSize, price), minBacking);
    }

    /* THE MARKET'S OWN CHECK */

    /// @dev What `_checkInvariants(touchedMargin)` would report, in its order.
    function check(State memory s, int256 touchedMargin) internal pure returns (Trip memory t) {
        uint256 credits = s.totalMargin + s.insurance + pos(s.poolCash);
        if (s.balance < credits) {
            return Trip(true, Invariant.TokenConservation, int256(credits), int256(s.balance));
        }
        int256 oi = int256(s.longOI) - int256(s.shortOI);
        if (oi != s.netSize) return Trip(true, Invariant.OpenInterest, s.netSize, oi);
        if (s.poolCash < 0) return Trip(true, Invariant.PoolCash, 0, s.poolCash);
        if (touchedMargin < 0) return Trip(true, Invariant.NoNegativeMargin, 0, touchedMargin);
    }

    function pos(int256 x) internal pure returns (uint256) {
        return x > 0 ? uint256(x) : 0;
    }
}
