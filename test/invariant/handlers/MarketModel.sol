// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Action, Cause, Invariant, Mode, RiskParams, SafetyParams} from "../../../src/interfaces/IMarket.sol";
import {OracleClass} from "../../../src/interfaces/IOracleGuard.sol";
import {HaltFlags} from "../../../src/libraries/HaltFlags.sol";
import {MarketAccounting} from "../../../src/libraries/MarketAccounting.sol";
import {SignedMath as S} from "../../../src/libraries/SignedMath.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @notice The handler's reference model of one market call: the touched account, every aggregate, the market's
///         token balance and its safety state (mode, halt causes, the breaker's reset bookkeeping), advanced by the
///         same rules (and the same directed rounding) the market promises. The handler loads it from chain before
///         a call, applies the call's rules in order to predict the outcome (the first error, a breaker trip, an
///         invariant trip, or the exact state after success, mode transitions included), then compares.
/// @dev Every function mirrors one documented rule of IMarket/DESIGN §2; the primitives (floorDiv, ceilDiv,
///      mulWad*) are shared with the market on purpose: the model checks the rules, not the arithmetic library.
library MarketModel {
    int256 internal constant WAD = 1e18;
    uint8 internal constant HALT_BREAKER = HaltFlags.BREAKER;
    uint8 internal constant HALT_INVARIANT = HaltFlags.INVARIANT;
    uint8 internal constant HALT_INSOLVENT = HaltFlags.INSOLVENT;
    uint8 internal constant HALT_GUARDIAN = HaltFlags.GUARDIAN;

    /// @notice What the market does not expose but the model must know to predict the breaker's reset.
    struct Breaker {
        Mode resumeMode; // the mode the breaker tripped from
        uint8 validStreak; // consecutive Valid new rounds seen by refresh() since the trip
        uint80 streakRound; // the last round counted
        uint256 trippedAt;
    }

    /// @notice One ModeChanged event.
    struct Transition {
        Mode from;
        Mode to;
        Cause cause;
    }

    /// @notice Parameters that hold for the whole call.
    struct Params {
        RiskParams risk;
        SafetyParams safety;
        uint256 im; // the guard's current margin ratios
        uint256 mm;
        uint256 now_;
        int256 divisor; // size (WAD) * price (WAD) / divisor = collateral units
    }

    struct State {
        // the touched account
        int256 margin;
        int256 size;
        int256 openNotional;
        int256 accountIndex;
        uint256 profitPaid; // in the market's profit window, which began at profitStart
        uint256 profitStart;
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
        uint256 idleMargin;
        int256 longOpenNotional;
        int256 longSizeTimesIndex;
        // tokens the market holds
        uint256 balance;
        // safety
        Mode mode;
        uint8 haltFlags;
        uint256 haltedAt;
        Breaker breaker;
        Transition[4] changes; // the ModeChanged events the call emits, in order
        uint256 nChanges;
        Params p;
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
    function rate(State memory s) internal pure returns (int256 r) {
        int256 cap = int256(uint256(s.p.risk.maxFundingRate));
        r = s.netSize * cap / int256(uint256(s.p.risk.skewScale));
        if (r > cap) r = cap;
        if (r < -cap) r = -cap;
    }

    /// @dev Accrues the index to now at `price` (a no-op within the same second).
    function accrue(State memory s, uint256 price) internal pure {
        if (s.p.now_ == s.lastFundingTime) return;
        s.fundingIndex += rate(s) * int256(price) / WAD * int256(s.p.now_ - s.lastFundingTime);
        s.lastFundingTime = s.p.now_;
    }

    /// @dev The funding the touched account owes since its last settlement (rounded up: against the trader).
    function owed(State memory s) internal pure returns (int256) {
        return S.ceilDiv(s.size * (s.fundingIndex - s.accountIndex), s.p.divisor);
    }

    /// @dev Moves the funding the account owes between its margin and pool cash. A receivable the pool cannot pay in
    ///      cash is deferred (`deferred`: the account keeps its index) unless the size changes (`mustSettle`), in which
    ///      case it is refused (`cannotPay`, with the amount owed to the account).
    function settleFunding(State memory s, bool mustSettle)
        internal
        pure
        returns (bool deferred, uint256 cannotPay)
    {
        if (s.size != 0) {
            int256 o = owed(s);
            if (o < 0 && -o > s.poolCash) {
                if (mustSettle) return (false, uint256(-o));
                return (true, 0);
            }
            if (o != 0) {
                credit(s, -o);
                s.poolCash += o;
            }
            moveIndex(s);
        }
        s.accountIndex = s.fundingIndex;
    }

    /// @dev The account's (remaining) size moves from its index to the current one in the sizeTimesIndex aggregates.
    function moveIndex(State memory s) internal pure {
        int256 moved = s.size * (s.fundingIndex - s.accountIndex);
        s.sizeTimesIndex += moved;
        if (s.size > 0) s.longSizeTimesIndex += moved;
    }

    /// @dev Funding `o` (computed on the size before the trade) settled after a close or reduce: a loss realised
    ///      first pays a receivable. Returns the receivable the cash could not pay (MarketPoolCannotPay), else 0.
    function settleAfterClose(State memory s, int256 o) internal pure returns (uint256 cannotPay) {
        if (o != 0) {
            credit(s, -o);
            s.poolCash += o;
        }
        moveIndex(s);
        s.accountIndex = s.fundingIndex;
        if (s.poolCash < 0) return uint256(-o);
    }

    /* MARGIN */

    /// @dev totalMargin counts positive margins only; idleMargin those of accounts with no position.
    function credit(State memory s, int256 amount) internal pure {
        int256 before = s.margin;
        int256 after_ = before + amount;
        s.margin = after_;
        s.totalMargin = s.totalMargin - pos(before) + pos(after_);
        if (s.size == 0) s.idleMargin = s.idleMargin - pos(before) + pos(after_);
    }

    /// @dev MarketAccounting.capProfit: the market's room per PROFIT_WINDOW is MAX_PROFIT_SHARE of the pool's equity
    ///      after the trade plus every winner's claim (the others' after the trade, and this profit) plus what the
    ///      window paid, less what the window paid; when the claims exceed it, a close is paid the fraction room / claims of its profit. The
    ///      rest goes back to the pool's cash.
    function capProfit(State memory s, int256 realised, uint256 price) internal pure returns (int256 paid) {
        if (s.p.now_ >= s.profitStart + MarketAccounting.PROFIT_WINDOW) {
            (s.profitStart, s.profitPaid) = (s.p.now_, 0);
        }
        int256 claims = int256(cashOwed(s, price)) + realised;
        int256 base = poolEquity(s, price) + claims + int256(s.profitPaid);
        int256 room = base > 0
            ? int256(M.mulWad(uint256(base), MarketAccounting.MAX_PROFIT_SHARE)) - int256(s.profitPaid)
            : int256(0);
        if (claims <= room) paid = realised;
        else if (room > 0) paid = int256(M.mulDiv(uint256(realised), uint256(room), uint256(claims)));
        s.profitPaid += uint256(paid);
        credit(s, paid - realised);
        s.poolCash += realised - paid;
    }

    /* POSITIONS */

    /// @dev A size change at `price`: PnL on the closed part realised between margin and pool cash (proceeds
    ///      round down), basis on the opened part rounds up, every aggregate in step. Uses the account's index as
    ///      it stands (settled for trades; the old one for a liquidation, which settles after the close).
    /// @return realised The PnL realised on the closed part.
    /// @return cashShort Whether the pool cash went negative paying it (MarketPoolCannotPay).
    function trade(State memory s, int256 delta, uint256 price)
        internal
        pure
        returns (int256 realised, bool cashShort)
    {
        int256 size = s.size;
        int256 basis = s.openNotional;
        if (size == 0 && s.margin > 0) s.idleMargin -= uint256(s.margin);
        int256 closing;
        if (size != 0 && (size > 0) != (delta > 0)) closing = S.abs(delta) >= S.abs(size) ? -size : delta;
        int256 opening = delta - closing;
        int256 basisRemoved;
        if (closing != 0) {
            basisRemoved = closing == -size ? basis : basis * -closing / size;
            realised = S.floorDiv(-closing * int256(price), s.p.divisor) - basisRemoved;
            credit(s, realised);
            s.poolCash -= realised;
        }
        int256 basisAdded = opening == 0 ? int256(0) : S.ceilDiv(opening * int256(price), s.p.divisor);
        s.openNotional = basis - basisRemoved + basisAdded;
        s.netOpenNotional += basisAdded - basisRemoved;
        int256 newSize = size + delta;
        if (size > 0) s.longOpenNotional -= basisRemoved;
        if (newSize > 0) s.longOpenNotional += basisAdded;
        if (size > 0) s.longOI -= uint256(size);
        else s.shortOI -= uint256(-size);
        if (newSize > 0) s.longOI += uint256(newSize);
        else s.shortOI += uint256(-newSize);
        s.netSize += delta;
        s.sizeTimesIndex += delta * s.accountIndex;
        s.longSizeTimesIndex += (S.max0(newSize) - S.max0(size)) * s.accountIndex;
        s.size = newSize;
        if (newSize == 0 && s.margin > 0) s.idleMargin += uint256(s.margin);
        cashShort = s.poolCash < 0;
    }

    /// @dev The trading fee on |delta|'s notional, rounded up; its insurance share rounds down.
    function chargeFee(State memory s, uint256 absDelta, uint256 price) internal pure returns (uint256 fee) {
        fee = M.mulWadUp(notional(s, int256(absDelta), price), s.p.risk.tradingFee);
        if (fee == 0) return 0;
        uint256 toInsurance = M.mulWad(fee, s.p.risk.insuranceFeeShare);
        credit(s, -int256(fee));
        s.insurance += toInsurance;
        s.poolCash += int256(fee - toInsurance);
    }

    /* VALUATION */

    function notional(State memory s, int256 size, uint256 price) internal pure returns (uint256) {
        return uint256(S.ceilDiv(int256(S.abs(size)) * int256(price), s.p.divisor));
    }

    /// @dev The touched account's equity with funding settled: margin + unrealised PnL rounded down.
    function equity(State memory s, uint256 price) internal pure returns (int256) {
        return s.margin + S.floorDiv(s.size * int256(price), s.p.divisor) - s.openNotional;
    }

    /// @dev The initial margin the touched account's position needs: raised from Cautious on.
    function initialRequired(State memory s, uint256 price) internal pure returns (uint256) {
        uint256 im = s.p.im;
        if (s.mode >= Mode.Cautious) im = M.mulWad(im, s.p.safety.cautiousImMultiplier);
        return M.mulWadUp(notional(s, s.size, price), im);
    }

    /// @dev Pool equity: cash + funding owed to it (rounded down) - traders' net PnL (rounded up).
    function poolEquity(State memory s, uint256 price) internal pure returns (int256) {
        int256 fundingOwed = S.floorDiv(s.netSize * s.fundingIndex - s.sizeTimesIndex, s.p.divisor);
        int256 traderPnl = S.ceilDiv(s.netSize * int256(price), s.p.divisor) - s.netOpenNotional;
        return s.poolCash + fundingOwed - traderPnl;
    }

    /// @dev The backing the pool must keep: minBacking times the net notional it is exposed to.
    function requiredBacking(State memory s, uint256 price) internal pure returns (uint256) {
        return M.mulWadUp(notional(s, s.netSize, price), s.p.risk.minBacking);
    }

    /// @dev What the pool owes in cash if every position closed at `price`: each side's profit net of its funding,
    ///      per side, rounded up, floored at zero.
    function cashOwed(State memory s, uint256 price) internal pure returns (uint256) {
        int256 longs = int256(s.longOI);
        int256 shorts = s.netSize - longs;
        int256 longClaim = S.ceilDiv(
            longs * (int256(price) - s.fundingIndex) + s.longSizeTimesIndex, s.p.divisor
        ) - s.longOpenNotional;
        int256 shortClaim = S.ceilDiv(
            shorts * (int256(price) - s.fundingIndex) + s.sizeTimesIndex - s.longSizeTimesIndex, s.p.divisor
        ) - (s.netOpenNotional - s.longOpenNotional);
        return pos(longClaim) + pos(shortClaim);
    }

    /// @dev The open-interest cap an increase must respect: halved (by cautiousOiFactor) in Cautious.
    function oiCap(State memory s) internal pure returns (uint256) {
        return s.mode == Mode.Cautious
            ? M.mulWad(s.p.risk.maxOpenInterest, s.p.safety.cautiousOiFactor)
            : uint256(s.p.risk.maxOpenInterest);
    }

    /* MODES */

    /// @dev The permission table (DESIGN §2.2, Market.allows).
    function allows(Mode m, Action action) internal pure returns (bool) {
        if (m <= Mode.Cautious) return true;
        if (m == Mode.ReduceOnly) return action != Action.Increase && action != Action.LpDeposit;
        if (m == Mode.Halted) return action == Action.Deposit;
        return false;
    }

    function setMode(State memory s, Mode to, Cause cause) internal pure {
        Mode from = s.mode;
        if (from == to) return;
        s.changes[s.nChanges++] = Transition(from, to, cause);
        s.mode = to;
        if (to == Mode.Halted) s.haltedAt = s.p.now_;
    }

    /// @dev The market's own tightening: the cause is recorded even when the mode is already stricter.
    function tighten(State memory s, Mode to, uint8 flag, Cause cause) internal pure {
        s.haltFlags |= flag;
        if (to > s.mode) setMode(s, to, cause);
    }

    /// @dev After a price-trusting action or a refresh: a pool that cannot pay halts (below backing is per action).
    function selfCorrect(State memory s, uint256 price) internal pure {
        int256 e = poolEquity(s, price);
        if (e + int256(s.insurance) < 0) tighten(s, Mode.Halted, HALT_INSOLVENT, Cause.PoolCannotPay);
    }

    /// @dev Liquidations in Halted: only a halt the breaker alone holds, once its cooldown has passed.
    function allowsLiquidation(State memory s) internal pure returns (bool) {
        if (s.mode != Mode.Halted) return allows(s.mode, Action.Liquidate);
        return s.haltFlags == HALT_BREAKER && s.p.now_ >= s.breaker.trippedAt + s.p.safety.breakerCooldown;
    }

    /// @dev Evidence of a bad price (as opposed to a reading that is merely old or voided by the sequencer).
    function isBad(OracleClass c) internal pure returns (bool) {
        return c == OracleClass.NonPositive || c == OracleClass.AtBounds || c == OracleClass.Diverged
            || c == OracleClass.TooVolatile;
    }

    /// @dev A risk-adding action saw a non-Valid reading: only the trip commits. `round` is the guard's last round.
    function tripBreaker(State memory s, uint80 round) internal pure {
        s.breaker = Breaker(s.mode, 0, round, s.p.now_);
        tighten(s, Mode.Halted, HALT_BREAKER, Cause.OracleBreaker);
    }

    /// @dev refresh() while the breaker holds: counts Valid new rounds (`round`: the guard's last round after the
    ///      reading), resets after breakerValidReadings of them and the cooldown, back to the mode it tripped from
    ///      when no other halt cause holds.
    function advanceBreaker(State memory s, OracleClass cls, uint80 round) internal pure {
        if (cls != OracleClass.Valid) {
            // Only a bad new round restarts the streak.
            if (isBad(cls) && round > s.breaker.streakRound) {
                (s.breaker.validStreak, s.breaker.streakRound) = (0, round);
            }
            return;
        }
        // The streak saturates (refreshes during a long cooldown never overflow it).
        if (round > s.breaker.streakRound && s.breaker.validStreak < type(uint8).max) {
            (s.breaker.streakRound, s.breaker.validStreak) = (round, s.breaker.validStreak + 1);
        }
        if (
            s.breaker.validStreak < s.p.safety.breakerValidReadings
                || s.p.now_ < s.breaker.trippedAt + s.p.safety.breakerCooldown
        ) return;
        s.haltFlags &= ~HALT_BREAKER;
        s.breaker.validStreak = 0;
        if (s.haltFlags == 0) setMode(s, s.breaker.resumeMode, Cause.BreakerReset);
    }

    /// @dev refresh(): funding at the last good price after the reading, the breaker's reset, self-correction.
    function refresh(State memory s, OracleClass cls, uint256 lastGood, uint80 round) internal pure {
        if (s.mode == Mode.Settlement) return;
        accrue(s, lastGood);
        if (s.haltFlags & HALT_BREAKER != 0) advanceBreaker(s, cls, round);
        selfCorrect(s, lastGood);
    }

    /* THE MARKET'S OWN CHECK */

    function credits(State memory s) internal pure returns (int256) {
        return int256(s.totalMargin + s.insurance) + s.poolCash;
    }

    /// @dev What `_checkInvariants(creditsBefore, tokensIn, positions, touchedMargin)` would report, in its order.
    function check(
        State memory s,
        int256 creditsBefore,
        int256 tokensIn,
        bool positions,
        int256 touchedMargin
    ) internal pure returns (Trip memory t) {
        int256 c = credits(s);
        if (c != creditsBefore + tokensIn) {
            return Trip(true, Invariant.TokenConservation, creditsBefore + tokensIn, c);
        }
        if (tokensIn != 0 && c > 0 && s.balance < uint256(c)) {
            return Trip(true, Invariant.TokenConservation, c, int256(s.balance));
        }
        int256 oi = int256(s.longOI) - int256(s.shortOI);
        if (positions && oi != s.netSize) return Trip(true, Invariant.OpenInterest, s.netSize, oi);
        if (s.poolCash < 0) return Trip(true, Invariant.PoolCash, 0, s.poolCash);
        if (touchedMargin < 0) return Trip(true, Invariant.NoNegativeMargin, 0, touchedMargin);
    }

    function pos(int256 x) internal pure returns (uint256) {
        return x > 0 ? uint256(x) : 0;
    }
}
