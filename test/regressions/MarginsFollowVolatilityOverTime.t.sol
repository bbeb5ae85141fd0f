// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {IMarket} from "../../src/interfaces/IMarket.sol";
import {OracleParams} from "../../src/interfaces/IOracleGuard.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @notice Regression for M-06 (issue 10): the volatility EWMA took `r^2 / dt` per accepted round with a per-round
///         weight, so a 2% move 2 s after the previous round set IM to 61.8% and, over 13 flat hourly rounds, walked
///         MM from 5% to 19%: an account at about 6x and in profit was liquidated 13 hours later with no further
///         move. Property: margins follow volatility measured over time — a move, however short its interval, moves
///         the variance by at most r^2 * |ln lambda| / liquidationHorizon, and a round that does not raise the
///         variance never raises MM, so an account that survived a move is not liquidated later by the estimator.
contract MarginsFollowVolatilityOverTimeTest is IntegrationBase {
    /// @dev LP 1,000,000; Alice 20,000 margin, long 60 at 2,000 (notional 120,000: 6x). An hourly round at 2,000,
    ///      then a +2% round (2,040) two seconds later: Alice is 2,400 in profit.
    function _shortIntervalMove() internal {
        _noFunding();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 20_000e6);
        _open(alice, 60e18);
        _step(2000e8, 3600);
        _step(2040e8, 2);
    }

    function test_aShortIntervalMoveMovesMarginsByABoundedAmount() public {
        uint256 vBefore = _varianceAfterHourlyRound();
        _step(2040e8, 2);
        // r = ln(1.02); the time-weighted EWMA adds at most r^2 * |ln 0.94| / 3600 per second to the variance.
        uint256 r = uint256(M.lnWad(1.02e18));
        uint256 bound = r * r / 1e18 * uint256(-M.lnWad(0.94e18)) / 1e18 / 3600;
        assertLe(guard.variance(), vBefore + bound, "variance rose by more than the bound");
        (uint256 im, uint256 mm) = guard.marginRatios();
        // sigma^2 <= (2.03e-8 + 6.7e-9) * 3600, sigma < 1%: both ratios stay at their floors (was IM 61.8%).
        assertEq(im, Defaults.oracleParams().imFloor, "IM left its floor after a 2% move");
        assertEq(mm, Defaults.oracleParams().mmFloor, "MM left its floor after a 2% move");
    }

    /// @dev The same 2% move over 2 s and over an hour moves the variance by nearly the same amount (the weight of a
    ///      sample is its share of the time, so the per-second rate of a short interval counts for that short time).
    function test_theMovesInterval_doesNotScaleItsWeight() public {
        uint256 v0 = _varianceAfterHourlyRound();
        uint256 snap = vm.snapshotState();
        _step(2040e8, 2);
        uint256 vShort = guard.variance();
        vm.revertToState(snap);
        _step(2040e8, 3600);
        uint256 vLong = guard.variance();
        // Over an hour the old variance decays by 6%; over 2 s by almost nothing. Compare the added part.
        uint256 addedShort = vShort - v0 * uint256(M.expWad(M.lnWad(0.94e18) * 2 / 3600)) / 1e18;
        uint256 addedLong = vLong - v0 * 94 / 100;
        assertApproxEqRel(addedShort, addedLong, 0.04e18, "a short interval weighs the move differently");
    }

    function test_flatRoundsNeverRaiseTheMaintenanceMargin() public {
        _shortIntervalMove();
        (, uint256 mmAfterMove) = guard.marginRatios();
        for (uint256 i; i < 13; ++i) {
            _step(2040e8, 3600);
            (, uint256 mm) = guard.marginRatios();
            assertLe(mm, mmAfterMove, "MM rose on a flat round");
        }
    }

    function test_anAccountThatSurvivedAMove_isNotLiquidatedLaterByTheEstimatorAlone() public {
        _shortIntervalMove();
        for (uint256 i; i < 13; ++i) {
            _step(2040e8, 3600);
        }
        (int256 equity,, uint256 maintenance,) = market.accountHealth(alice);
        assertEq(equity, 20_000e6 - 120e6 + 2400e6, "margin - fee + profit");
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotLiquidatable.selector, equity, maintenance));
        vm.prank(keeper);
        market.liquidate(alice);
        assertEq(market.accountOf(alice).size, 60e18);
    }

    /// @dev Any move the jump band admits, over any interval up to an hour, adds at most r^2 |ln lambda| / horizon.
    function testFuzz_anyMoveAddsBoundedVariance(uint256 bps, uint256 dt, bool up) public {
        bps = bound(bps, 0, 1000); // the jump band is 10%
        dt = bound(dt, 1, 3600);
        uint256 vBefore = _varianceAfterHourlyRound();
        int256 answer =
            up ? int256(2000e8 * (10_000 + bps) / 10_000) : int256(2000e8 * (10_000 - bps) / 10_000);
        _step(answer, dt);
        (uint256 price,) = guard.lastGoodPrice();
        assertEq(price, uint256(answer) * 1e10, "the move was accepted");
        int256 r = M.lnWad(int256(M.divWad(price, 2000e18)));
        uint256 bound_ = uint256(r * r) / 1e18 * uint256(-M.lnWad(0.94e18)) / 1e18 / 3600 + 1;
        assertLe(guard.variance(), vBefore + bound_);
        // So IM <= kIM * sqrt((v + bound) * horizon): at most 7.2% from the default variance, under its 10% floor.
        (uint256 im, uint256 mm) = guard.marginRatios();
        OracleParams memory p = Defaults.oracleParams();
        assertLe(im, M.max(p.imFloor, M.mulWad(p.kIM, M.sqrtWad((vBefore + bound_) * 3600))) + 1);
        assertLe(mm, p.mmFloor + p.mmMaxStep);
    }

    /// @dev Two hours of flat rounds so the variance is the default decayed by two hourly rounds.
    function _varianceAfterHourlyRound() internal returns (uint256) {
        _noFunding();
        _step(2000e8, 3600);
        _step(2000e8, 3600);
        return guard.variance();
    }
}
