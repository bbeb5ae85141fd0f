// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Aggregates, IMarket, MarginAccount, RiskParams} from "../interfaces/IMarket.sol";
import {SignedMath as S} from "./SignedMath.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @notice The realised profit the market paid all winners together in its current profit window (see
///         MarketAccounting.capProfit).
struct ProfitWindow {
    uint64 start;
    uint192 paid;
}

/// @title MarketAccounting
/// @notice The accounting layer of a Market: margins, positions and funding settlement, kept in step with the
///         market's O(1) aggregates. `trade`, `settleFunding`, `chargeFee` and the profit cap are external (delegatecalled from the market, on its
///         storage) so that they do not count toward the market's code size; `creditMargin`, `fundingOwed` and
///         `equity` are internal and shared.
library MarketAccounting {
    /// @notice The most realised profit the market pays all winners together per PROFIT_WINDOW, as a fraction (WAD)
    ///         of the pool's equity not counting what it owes the winners. It bounds what a price the market accepted
    ///         but that was manipulated (pushed in steps under the jump band) can pay out of the pool to one actor,
    ///         however many accounts it trades from: every close shares this one room, and the excess stays with the
    ///         LPs.
    uint256 internal constant MAX_PROFIT_SHARE = 0.1e18;
    uint256 internal constant PROFIT_WINDOW = 1 days;

    /// @notice What the market's current profit window has paid (zero once the window is over).
    function paidInWindow(ProfitWindow storage w) internal view returns (uint256) {
        return block.timestamp >= uint256(w.start) + PROFIT_WINDOW ? 0 : w.paid;
    }

    /// @notice The pool equity LP exits must leave for `owed` (what the winners would be paid now) to be payable in
    ///         full under the profit cap, in one close or several: owed + paid <= MAX_PROFIT_SHARE * equity (equity
    ///         already net of what is owed; `paid` what the window already paid), which keeps the room above `owed`.
    ///         Without it, LPs leaving ahead of a winner's close would shrink the room and keep the winner's excess.
    function profitCapFloor(uint256 owed, uint256 paid) internal pure returns (uint256) {
        // Nobody owed: no room to keep, whatever the window paid (the last LP can leave a flat market).
        if (owed == 0) return 0;
        return M.mulDivUp(owed + paid, 1e18, MAX_PROFIT_SHARE);
    }

    /// @notice Moves the funding an account owes since its last settlement between its margin and the pool cash.
    ///         A receivable the pool cannot pay in cash yet is deferred when the size does not change (the account
    ///         keeps its index, so nothing is lost and the aggregates stay exact); a trade must settle first.
    function settleFunding(
        Aggregates storage agg,
        MarginAccount storage a,
        address account,
        bool mustSettle,
        int256 valueDivisor
    ) external {
        int256 index = agg.fundingIndex;
        int256 size = a.size;
        if (size != 0) {
            int256 owed = S.ceilDiv(size * (index - a.fundingIndex), valueDivisor);
            if (owed < 0 && -owed > agg.poolCash) {
                if (mustSettle) revert IMarket.MarketPoolCannotPay(uint256(-owed), agg.poolCash);
                return;
            }
            if (owed != 0) {
                creditMargin(agg, a, -owed);
                agg.poolCash += owed;
                emit IMarket.FundingSettled(account, owed);
            }
            int256 moved = size * (index - a.fundingIndex);
            agg.sizeTimesIndex += moved;
            if (size > 0) agg.longSizeTimesIndex += moved;
        }
        a.fundingIndex = index;
    }

    /// @notice Settles funding after a close or reduce, so that the loss it realises can pay a receivable: `owed` is
    ///         the account's `fundingOwed` before the trade. The trade moved the closed size out of sizeTimesIndex at
    ///         the old index; what is left of the position moves to the current one.
    function settleFundingAfterClose(
        Aggregates storage agg,
        MarginAccount storage a,
        address account,
        int256 owed
    ) external {
        if (owed != 0) {
            creditMargin(agg, a, -owed);
            agg.poolCash += owed;
            emit IMarket.FundingSettled(account, owed);
        }
        int256 index = agg.fundingIndex;
        int256 moved = a.size * (index - a.fundingIndex);
        agg.sizeTimesIndex += moved;
        if (a.size > 0) agg.longSizeTimesIndex += moved;
        a.fundingIndex = index;
        // Only a receivable takes the cash below zero here: (what it is owed, the cash there was to pay it).
        if (agg.poolCash < 0) revert IMarket.MarketPoolCannotPay(uint256(-owed), agg.poolCash - owed);
    }

    /// @notice The funding an account of `size`, last settled at `accountIndex`, owes (negative: is owed) at `index`.
    function fundingOwed(int256 size, int256 accountIndex, int256 index, int256 valueDivisor)
        internal
        pure
        returns (int256)
    {
        return S.ceilDiv(size * (index - accountIndex), valueDivisor);
    }

    /// @notice Equity at `price`, with funding already settled: margin + unrealised PnL (rounded against the trader).
    function equity(MarginAccount memory a, uint256 price, int256 valueDivisor)
        internal
        pure
        returns (int256)
    {
        return a.margin + S.floorDiv(a.size * int256(price), valueDivisor) - a.openNotional;
    }

    /// @notice Applies a size change at `price`: realises PnL on the closed part (between margin and pool cash),
    ///         books cost basis on the opened part, and keeps every aggregate in step. Funding must be settled.
    function trade(
        Aggregates storage agg,
        MarginAccount storage a,
        int256 delta,
        uint256 price,
        int256 valueDivisor
    ) external returns (int256 realised) {
        int256 size = a.size;
        int256 openNotional = a.openNotional;
        int256 newSize = size + delta;
        if (size == 0 && a.margin > 0) agg.idleMargin -= uint256(a.margin);
        int256 closing; // the part of delta that reduces |size|, same sign as delta
        if (size != 0 && (size > 0) != (delta > 0)) closing = S.abs(delta) >= S.abs(size) ? -size : delta;
        int256 opening = delta - closing;

        int256 basisRemoved;
        if (closing != 0) {
            // The basis leaves in proportion to the size closed; proceeds round against the trader.
            basisRemoved = closing == -size ? openNotional : openNotional * -closing / size;
            int256 proceeds = S.floorDiv(-closing * int256(price), valueDivisor);
            realised = proceeds - basisRemoved;
            creditMargin(agg, a, realised);
            agg.poolCash -= realised;
        }
        // Cost basis rounds up: a long pays a little more, a short receives a little less.
        int256 basisAdded = opening == 0 ? int256(0) : S.ceilDiv(opening * int256(price), valueDivisor);
        a.openNotional = openNotional - basisRemoved + basisAdded;
        agg.netOpenNotional += basisAdded - basisRemoved;
        // The long side's parts of the aggregates: the closed basis leaves the old side, the opened joins the new.
        if (size > 0) agg.longOpenNotional -= basisRemoved;
        if (newSize > 0) agg.longOpenNotional += basisAdded;

        if (size > 0) agg.longOpenInterest -= uint256(size);
        else agg.shortOpenInterest -= uint256(-size);
        if (newSize > 0) agg.longOpenInterest += uint256(newSize);
        else agg.shortOpenInterest += uint256(-newSize);
        agg.netSize += delta;
        // sizeTimesIndex tracks sum(size * fundingIndex); the account's index is current after settlement.
        agg.sizeTimesIndex += delta * a.fundingIndex;
        agg.longSizeTimesIndex += (S.max0(newSize) - S.max0(size)) * a.fundingIndex;
        a.size = newSize;
        if (newSize == 0 && a.margin > 0) agg.idleMargin += uint256(a.margin);
        // A realised profit may take the pool's cash below zero here: the caller checks it (requirePoolCash) once
        // the profit is capped, so that a close is refused only when the pool cannot pay what it is paid.
    }

    /// @notice Mark to market of a loser (`IMarket.settleLoss`): its unrealised loss at `price`, rounded against it as
    ///         in `equity`, moves from its margin to the pool's cash, and its basis becomes the position's value, so
    ///         equity is unchanged to the unit. Funding is not touched. Returns the margin left.
    function settleLoss(
        Aggregates storage agg,
        MarginAccount storage a,
        address account,
        uint256 price,
        int256 valueDivisor
    ) external returns (int256) {
        int256 pnl = S.floorDiv(a.size * int256(price), valueDivisor) - a.openNotional;
        if (a.size == 0 || pnl >= 0) revert IMarket.MarketNoLossToSettle(pnl);
        a.openNotional += pnl;
        agg.netOpenNotional += pnl;
        if (a.size > 0) agg.longOpenNotional += pnl;
        creditMargin(agg, a, pnl);
        agg.poolCash -= pnl;
        if (a.margin < 0) revert IMarket.MarketAccountInsolvent(a.margin);
        emit IMarket.LossSettled(account, uint256(-pnl));
        return a.margin;
    }

    /// @notice Refuses a realised profit (`paid`, after any cap) that took the pool's cash below zero: (what it is
    ///         paid, the cash there was to pay it).
    function requirePoolCash(Aggregates storage agg, int256 paid) internal view {
        if (agg.poolCash < 0) revert IMarket.MarketPoolCannotPay(uint256(paid), agg.poolCash + paid);
    }

    /// @notice Caps a close's realised profit (`realised` > 0, already credited by `trade`) at its share of the
    ///         market's room in the profit window. The room is MAX_PROFIT_SHARE of the pool's equity not counting what
    ///         it owes the winners nor what the window paid them (`poolEquity` after the trade, plus `owed`, the other
    ///         winners' claims after it, plus `realised`, plus the window's payments), less what the window paid. When all the winners' claims exceed the room, every
    ///         close is paid the same fraction room / claims of its profit (pro rata, as GMX v2 scales PnL beyond its
    ///         max-PnL factor): a close that comes first cannot use up the room of those that come later, so nobody
    ///         can lock the honest winners out by closing ahead of them. The excess goes back to the pool's cash,
    ///         and only what is paid must be there. Returns the profit paid.
    function capProfit(
        Aggregates storage agg,
        MarginAccount storage a,
        ProfitWindow storage w,
        address account,
        int256 realised,
        int256 poolEquity,
        int256 owed
    ) external returns (int256 paid) {
        if (block.timestamp >= uint256(w.start) + PROFIT_WINDOW) {
            (w.start, w.paid) = (uint64(block.timestamp), 0);
        }
        int256 claims = owed + realised;
        // What the window paid counts back into the base: at one price every close then sees the same room / claims.
        int256 base = poolEquity + claims + int256(uint256(w.paid));
        int256 room = base > 0
            ? int256(M.mulWad(uint256(base), MAX_PROFIT_SHARE)) - int256(uint256(w.paid))
            : int256(0);
        if (claims <= room) paid = realised;
        else if (room > 0) paid = int256(M.mulDiv(uint256(realised), uint256(room), uint256(claims)));
        w.paid += uint192(uint256(paid));
        if (paid < realised) {
            creditMargin(agg, a, paid - realised);
            agg.poolCash += realised - paid;
            emit IMarket.ProfitCapped(account, realised, paid);
        }
        requirePoolCash(agg, paid);
    }

    /// @notice The loss waterfall after a close: a positive margin pays the keeper and the penalty to insurance; a
    ///         negative one is bad debt, recognised here, covered by the insurance sub-fund and then socialised to this
    ///         market's LPs. Returns what insurance covered and whether a loss reached the LPs (the market tightens).
    function absorb(
        Aggregates storage agg,
        MarginAccount storage a,
        RiskParams storage risk,
        address account,
        uint256 notional
    ) external returns (uint256 reward, uint256 toInsurance, uint256 covered, bool socialised) {
        int256 margin = a.margin;
        if (margin > 0) {
            uint256 penalty = M.mulWadUp(notional, risk.liquidationPenalty);
            uint256 keeperShare = M.mulWad(penalty, risk.keeperRewardShare);
            reward = M.min(keeperShare, uint256(margin));
            toInsurance = M.min(penalty - keeperShare, uint256(margin) - reward);
            creditMargin(agg, a, -int256(reward + toInsurance));
            agg.insurance += toInsurance;
        } else if (margin < 0) {
            // Bad debt is recognised here, in the same call: the account ends at zero margin.
            uint256 deficit = uint256(-margin);
            covered = M.min(deficit, agg.insurance);
            agg.insurance -= covered;
            agg.poolCash -= int256(deficit - covered);
            creditMargin(agg, a, int256(deficit));
            emit IMarket.BadDebt(account, deficit, covered, deficit - covered);
            socialised = deficit > covered;
        }
    }

    /// @notice Charges the trading fee plus `premium` (both WAD fractions) on `absDelta` at `price` to `a`'s margin: the insurance fee share goes to the
    ///         insurance fund, the rest to the pool's cash. Returns the fee.
    function chargeFee(
        Aggregates storage agg,
        RiskParams storage r,
        MarginAccount storage a,
        uint256 absDelta,
        uint256 price,
        int256 valueDivisor,
        uint256 premium
    ) external returns (uint256 fee) {
        fee = M.mulWadUp(
            uint256(S.ceilDiv(int256(absDelta) * int256(price), valueDivisor)), r.tradingFee + premium
        );
        if (fee == 0) return 0;
        uint256 toInsurance = M.mulWad(fee, r.insuranceFeeShare);
        creditMargin(agg, a, -int256(fee));
        agg.insurance += toInsurance;
        agg.poolCash += int256(fee - toInsurance);
    }

    /// @notice Credits `amount` (signed) to an account's margin, keeping totalMargin and idleMargin exact.
    function creditMargin(Aggregates storage agg, MarginAccount storage a, int256 amount) internal {
        int256 before = a.margin;
        int256 after_ = before + amount;
        a.margin = after_;
        // totalMargin counts only positive margins; a negative margin exists only inside a call.
        uint256 pb = before > 0 ? uint256(before) : 0;
        uint256 pa = after_ > 0 ? uint256(after_) : 0;
        agg.totalMargin = agg.totalMargin - pb + pa;
        if (a.size == 0) agg.idleMargin = agg.idleMargin - pb + pa;
    }
}
