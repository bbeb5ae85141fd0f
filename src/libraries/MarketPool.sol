// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Aggregates, IMarket, Mode, RiskParams} from "../interfaces/IMarket.sol";
import {OracleClass} from "../interfaces/IOracleGuard.sol";
import {MarketAccounting} from "./MarketAccounting.sol";
import {SafetyState} from "./MarketSafety.sol";
import {SignedMath as S} from "./SignedMath.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @title MarketPool
/// @notice The LP pool's side of a Market: its equity, the backing it must keep, the cash it owes winners and the
///         room LPs have to leave. `requireBacked`, `lpRoom` and `quote` are external (delegatecalled from the market,
///         on its storage) so that they do not count toward the market's code size; `equity` and `notional` are
///         internal and shared. `valueDivisor` is the market's: size (WAD) * price (WAD) / valueDivisor = value in
///         collateral units.
library MarketPool {
    /// @notice cash + funding owed to the pool - traders' net unrealised PnL; both terms round in the pool's
    ///         disfavour, so the sum over accounts never exceeds what the pool counts.
    function equity(Aggregates storage g, uint256 price, int256 index, int256 valueDivisor)
        internal
        view
        returns (int256)
    {
        int256 fundingOwed = S.floorDiv(g.netSize * index - g.sizeTimesIndex, valueDivisor);
        int256 traderPnl = S.ceilDiv(g.netSize * int256(price), valueDivisor) - g.netOpenNotional;
        return g.poolCash + fundingOwed - traderPnl;
    }

    /// @notice The value of `size` at `price`, rounded up.
    function notional(int256 size, uint256 price, int256 valueDivisor) internal pure returns (uint256) {
        return uint256(S.ceilDiv(int256(S.abs(size)) * int256(price), valueDivisor));
    }

    /// @notice Reverts unless the pool keeps equity of at least minBacking times the net notional it is exposed to.
    ///         With `cashToo` (LPs leaving) it must also keep that much in cash, plus what it owes in cash
    ///         (`cashOwed`): equity counts traders' unrealised losses, which are not cash yet, and the winners' profits
    ///         and funding are paid in cash. The equity must then also cover the profit cap's floor on what is owed
    ///         (`paid`: what the market-wide profit room already paid in its window).
    function requireBacked(
        Aggregates storage g,
        RiskParams storage r,
        uint256 price,
        bool cashToo,
        int256 valueDivisor,
        uint256 paid
    ) public view {
        int256 index = g.fundingIndex;
        uint256 required = M.mulWadUp(notional(g.netSize, price, valueDivisor), r.minBacking);
        int256 e = equity(g, price, index, valueDivisor);
        if (e < int256(required)) revert IMarket.MarketInsufficientBacking(e, required);
        if (cashToo) {
            uint256 owed = uint256(cashOwed(g, price, index, valueDivisor));
            uint256 reserve = required + owed;
            if (g.poolCash < int256(reserve)) revert IMarket.MarketInsufficientBacking(g.poolCash, reserve);
            uint256 floor = MarketAccounting.profitCapFloor(owed, paid);
            if (e < int256(floor)) revert IMarket.MarketInsufficientBacking(e, floor);
        }
    }

    /// @notice What an increase on the long (`long`) or short side must leave: open interest on that side within the
    ///         cap (lowered by `cautiousOiFactor` in Cautious) and the pool backed at `price` (`requireBacked`, without
    ///         the cash test that only LPs leaving need).
    function requireIncreaseRoom(
        Aggregates storage g,
        RiskParams storage r,
        SafetyState storage safe,
        bool long,
        uint256 price,
        int256 valueDivisor
    ) external view {
        uint256 cap = safe.mode == Mode.Cautious
            ? M.mulWad(r.maxOpenInterest, safe.params.cautiousOiFactor)
            : uint256(r.maxOpenInterest);
        uint256 oi = long ? g.longOpenInterest : g.shortOpenInterest;
        if (oi > cap) revert IMarket.MarketOpenInterestCap(oi, cap);
        requireBacked(g, r, price, false, valueDivisor, 0);
    }

    /// @notice What LPs can take out at `price` and leave the pool backed (`requireBacked` with `cashToo`): in equity,
    ///         and in cash beyond what it owes. `e` is the pool's equity at (`price`, `index`).
    function lpRoom(
        Aggregates storage g,
        RiskParams storage r,
        int256 e,
        uint256 price,
        int256 index,
        int256 valueDivisor,
        uint256 paid
    ) public view returns (uint256) {
        int256 required = int256(M.mulWadUp(notional(g.netSize, price, valueDivisor), r.minBacking));
        int256 spare = e - required;
        int256 owed = cashOwed(g, price, index, valueDivisor);
        int256 cash = g.poolCash - required - owed;
        int256 out = spare < cash ? spare : cash;
        int256 capped = e - int256(MarketAccounting.profitCapFloor(uint256(owed), paid));
        if (capped < out) out = capped;
        return out > 0 ? uint256(out) : 0;
    }

    /// @notice The pool's terms as `refresh` would leave them, from a reading (`class`, last good `price`) and the
    ///         funding index at that price, in mode `m` (not Settlement): a pool that cannot pay winners halts the
    ///         market; deposits are open up to Cautious and withdrawals up to ReduceOnly, on a Valid reading only.
    function quote(
        Aggregates storage g,
        RiskParams storage r,
        Mode m,
        OracleClass class,
        uint256 price,
        int256 index,
        int256 valueDivisor,
        uint256 paid
    ) external view returns (int256 e, bool depositOpen, uint256 withdrawable) {
        e = equity(g, price, index, valueDivisor);
        if (e + int256(g.insurance) < 0) m = Mode.Halted;
        if (class != OracleClass.Valid || m > Mode.ReduceOnly) return (e, false, 0);
        depositOpen = m <= Mode.Cautious;
        withdrawable = lpRoom(g, r, e, price, index, valueDivisor, paid);
    }

    /// @notice What the pool would pay in cash if every position closed at `price` now: each side's unrealised profit
    ///         net of the funding it owes, counted per side (gross), not net across sides — in a balanced book the
    ///         losers' losses are not cash until they close, while the winners are paid at once.
    function cashOwed(Aggregates storage g, uint256 price, int256 index, int256 valueDivisor)
        internal
        view
        returns (int256)
    {
        int256 longs = int256(g.longOpenInterest);
        return _sideClaim(longs, g.longSizeTimesIndex, g.longOpenNotional, price, index, valueDivisor)
            + _sideClaim(
            g.netSize - longs,
            g.sizeTimesIndex - g.longSizeTimesIndex,
            g.netOpenNotional - g.longOpenNotional,
            price,
            index,
            valueDivisor
        );
    }

    /// @dev One side's claim on the pool, size * price - basis - (size * index - sizeTimesIndex), rounded up and
    ///      floored at zero.
    function _sideClaim(
        int256 size,
        int256 sti,
        int256 basis,
        uint256 price,
        int256 index,
        int256 valueDivisor
    ) private pure returns (int256) {
        return S.max0(S.ceilDiv(size * (int256(price) - index) + sti, valueDivisor) - basis);
    }
}
