// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Aggregates, Cause, IMarket, MarginAccount, Mode, RiskParams} from "../interfaces/IMarket.sol";
import {IOracleGuard} from "../interfaces/IOracleGuard.sol";
import {MarketAccounting as A} from "./MarketAccounting.sol";
import {MarketPool} from "./MarketPool.sol";
import {MarketSafety, SafetyState} from "./MarketSafety.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @title MarketLiquidation
/// @notice A Market's liquidation of one account at a price the market chose for it: the maintenance check, the close,
///         the funding it owed, the loss waterfall and the tightening a loss calls for. External, delegatecalled from
///         the market on its storage, so that it does not count toward the market's code size.
library MarketLiquidation {
    /// @notice Closes `a` (size != 0) at `price` if its equity net of the funding it owes is below maintenance, then
    ///         runs the loss waterfall (MarketAccounting.absorb): margin, then the insurance sub-fund, then this
    ///         market's LP pool. Insurance drawn below its floor tightens to Cautious; a loss the LPs bear, to ReduceOnly.
    ///         Returns the keeper's reward (not yet paid) and what went to insurance.
    function liquidate(
        Aggregates storage g,
        RiskParams storage r,
        SafetyState storage safe,
        MarginAccount storage a,
        address account,
        uint256 price,
        IOracleGuard oracle,
        int256 valueDivisor
    ) external returns (uint256 reward, uint256 toInsurance) {
        int256 owed = A.fundingOwed(a.size, a.fundingIndex, g.fundingIndex, valueDivisor);
        uint256 notional = MarketPool.notional(a.size, price, valueDivisor);
        {
            (, uint256 mm) = oracle.marginRatios();
            int256 equity = A.equity(a, price, valueDivisor) - owed;
            uint256 maintenance = M.mulWadUp(notional, mm);
            if (equity >= int256(maintenance)) revert IMarket.MarketNotLiquidatable(equity, maintenance);
        }
        _close(g, a, price, valueDivisor);
        A.settleFundingAfterClose(g, a, account, owed);
        return _absorb(g, r, safe, a, account, notional);
    }

    /// @notice Staged intervention: a MarginWarning for `a` (funding settled) when its equity at `price` is below
    ///         maintenance * (1 + warningBand), before it is liquidatable.
    function warnIfNear(
        MarginAccount storage a,
        address account,
        uint256 price,
        uint256 warningBand,
        IOracleGuard oracle,
        int256 valueDivisor
    ) external {
        (, uint256 mm) = oracle.marginRatios();
        uint256 maintenance = M.mulWadUp(MarketPool.notional(a.size, price, valueDivisor), mm);
        int256 equity = A.equity(a, price, valueDivisor);
        if (equity < int256(M.mulWad(maintenance, 1e18 + warningBand))) {
            emit IMarket.MarginWarning(account, equity, maintenance);
        }
    }

    /// @notice Reverts unless `a`'s equity at `price` covers the initial margin, raised from Cautious on by the
    ///         safety parameters' multiplier. `profitCounts` is false for value leaving the market (a withdrawal while
    ///         open): there the equity counts an unrealised loss but never an unrealised profit, which is real only once
    ///         the position is reduced.
    function requireInitialMargin(
        SafetyState storage safe,
        MarginAccount storage a,
        uint256 price,
        bool profitCounts,
        IOracleGuard oracle,
        int256 valueDivisor
    ) external view {
        (uint256 im,) = oracle.marginRatios();
        if (safe.mode >= Mode.Cautious) im = M.mulWad(im, safe.params.cautiousImMultiplier);
        uint256 required = M.mulWadUp(MarketPool.notional(a.size, price, valueDivisor), im);
        int256 equity = A.equity(a, price, valueDivisor);
        if (!profitCounts && equity > a.margin) equity = a.margin;
        if (equity < int256(required)) revert IMarket.MarketInsufficientMargin(equity, required);
    }

    /// @notice IMarket.accountHealth: `a`'s equity net of the funding it owes at `index`, its initial and maintenance
    ///         requirements and its notional, at `price`.
    function health(
        MarginAccount storage a,
        uint256 price,
        int256 index,
        IOracleGuard oracle,
        int256 valueDivisor
    )
        external
        view
        returns (int256 equity, uint256 initialRequired, uint256 maintenanceRequired, uint256 notional)
    {
        int256 owed = A.fundingOwed(a.size, a.fundingIndex, index, valueDivisor);
        equity = A.equity(a, price, valueDivisor) - owed;
        notional = MarketPool.notional(a.size, price, valueDivisor);
        (uint256 im, uint256 mm) = oracle.marginRatios();
        (initialRequired, maintenanceRequired) = (M.mulWadUp(notional, im), M.mulWadUp(notional, mm));
    }

    /// @dev Closes `a` at `price`; a profit it realises must be payable from the pool's cash.
    function _close(Aggregates storage g, MarginAccount storage a, uint256 price, int256 valueDivisor)
        private
    {
        A.requirePoolCash(g, A.trade(g, a, -a.size, price, valueDivisor));
    }

    /// @dev The loss waterfall, then the tightening it calls for.
    function _absorb(
        Aggregates storage g,
        RiskParams storage r,
        SafetyState storage safe,
        MarginAccount storage a,
        address account,
        uint256 notional
    ) private returns (uint256 reward, uint256 toInsurance) {
        uint256 covered;
        bool socialised;
        (reward, toInsurance, covered, socialised) = A.absorb(g, a, r, account, notional);
        if (covered != 0 && g.insurance < safe.params.insuranceFloor) {
            MarketSafety.tighten(safe, Mode.Cautious, 0, Cause.InsuranceBelowFloor);
        }
        if (socialised) MarketSafety.tighten(safe, Mode.ReduceOnly, 0, Cause.LossSocialised);
    }
}
