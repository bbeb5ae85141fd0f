// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {LiquidityPool} from "../../src/LiquidityPool.sol";
import {Market} from "../../src/Market.sol";
import {OracleGuard} from "../../src/OracleGuard.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {RiskParams} from "../../src/interfaces/IMarket.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {BaseTest} from "./BaseTest.sol";

/// @notice Helpers for the unit suites (test/unit/**), on top of the shared BaseTest fixture.
abstract contract UnitTest is BaseTest {
    uint256 internal constant WAD = 1e18;

    address internal stranger = makeAddr("stranger");

    /* PRICES */

    /// @dev Lets `dt` seconds pass, then publishes `answer` (8 decimals) on both feeds.
    function _movePrice(int256 answer, uint256 dt) internal {
        vm.warp(block.timestamp + dt);
        _setPrice(answer);
    }

    /// @dev As _movePrice, then has the market read the guard, so the round is accepted (or refused) now.
    function _stepPrice(int256 answer, uint256 dt) internal {
        _movePrice(answer, dt);
        market.refresh();
    }

    /// @dev The default margin ratios, for tests whose expected values assume them: calm moves (a few percent
    ///      over half an hour or more) keep realised volatility under both floors.
    function _assertMarginFloors() internal view {
        (uint256 im, uint256 mm) = guard.marginRatios();
        assertEq(im, Defaults.oracleParams().imFloor, "precondition: IM at its floor");
        assertEq(mm, Defaults.oracleParams().mmFloor, "precondition: MM at its floor");
    }

    /* PARAMETERS */

    /// @dev Funding off, so PnL tests can assert exact figures over time. Governance cannot switch funding off once
    ///      it is on (every change moves a field by at most a factor of two, and no positive rate is within a
    ///      factor of two of zero), so this replaces the default market and pool with a market deployed with
    ///      maxFundingRate = 0, over the same token and guard and with the default safety parameters. Call it
    ///      before anything touches the market.
    function _noFunding() internal {
        RiskParams memory r = Defaults.riskParams();
        r.maxFundingRate = 0;
        _replaceMarket(r);
    }

    /// @dev Replaces `market` and `pool` (and sys.market, sys.pool) with a fresh pair deployed the way the
    ///      SystemDeployer deploys them, but with the risk parameters `r` from the constructor.
    function _replaceMarket(RiskParams memory r) internal {
        market = new Market(address(usd), guard, r, address(this));
        market.setSafetyParams(Defaults.safetyParams());
        pool = new LiquidityPool(market, "Bulkhead LP", "bhLP", Defaults.OUTFLOW_WINDOW, Defaults.MAX_OUTFLOW);
        market.setPool(address(pool));
        (sys.market, sys.pool) = (market, pool);
    }

    /// @dev Moves the market's risk parameters to `target` the way governance must: by calls that each move every
    ///      field by at most a factor of two. Returns the number of calls. A field cannot be walked from a
    ///      positive value to zero.
    function _setRiskParamsInSteps(RiskParams memory target) internal returns (uint256 calls) {
        RiskParams memory current = market.riskParams();
        while (keccak256(abi.encode(current)) != keccak256(abi.encode(target))) {
            current = _riskStep(current, target);
            market.setRiskParams(current);
            ++calls;
        }
    }

    /// @dev The next parameters on the way from `from` to `to`: each field moves as far as one legal step allows.
    function _riskStep(RiskParams memory from, RiskParams memory to)
        internal
        pure
        returns (RiskParams memory next)
    {
        next.tradingFee = uint64(_towards(from.tradingFee, to.tradingFee));
        next.insuranceFeeShare = uint64(_towards(from.insuranceFeeShare, to.insuranceFeeShare));
        next.liquidationPenalty = uint64(_towards(from.liquidationPenalty, to.liquidationPenalty));
        next.keeperRewardShare = uint64(_towards(from.keeperRewardShare, to.keeperRewardShare));
        next.maxFundingRate = uint64(_towards(from.maxFundingRate, to.maxFundingRate));
        next.minBacking = uint64(_towards(from.minBacking, to.minBacking));
        next.skewScale = uint128(_towards(from.skewScale, to.skewScale));
        next.maxOpenInterest = uint128(_towards(from.maxOpenInterest, to.maxOpenInterest));
    }

    /// @dev One factor-two step from `from` towards `to` (Market._step: to <= 2 from and 2 to >= from; any value
    ///      from zero).
    function _towards(uint256 from, uint256 to) internal pure returns (uint256) {
        if (from == 0 || to == from) return to;
        require(to != 0, "UnitTest: no factor-two step reaches zero");
        if (to > 2 * from) return 2 * from;
        if (2 * to < from) return (from + 1) / 2;
        return to;
    }

    /* STATE */

    /// @dev Everything a rejected call could have touched: market aggregates, risk, mode, pool, the named
    ///      accounts' margin accounts, wallets and shares, token balances of the contracts, and the guard.
    function _state(address[] memory accounts) internal view returns (bytes memory s) {
        s = abi.encode(
            market.aggregates(),
            market.riskParams(),
            market.mode(),
            market.pool(),
            usd.balanceOf(address(market)),
            usd.balanceOf(address(pool)),
            pool.totalSupply(),
            guard.variance(),
            guard.lastRoundId(),
            guard.params()
        );
        for (uint256 i; i < accounts.length; ++i) {
            s = abi.encode(
                s, market.accountOf(accounts[i]), usd.balanceOf(accounts[i]), pool.balanceOf(accounts[i])
            );
        }
    }

    function _state() internal view returns (bytes memory) {
        address[] memory accounts = new address[](5);
        (accounts[0], accounts[1], accounts[2], accounts[3], accounts[4]) = (alice, bob, carol, lp, stranger);
        return _state(accounts);
    }

    /* CUSTOM DEPLOYMENTS */

    function _deployGuard(
        AggregatorV3Interface primary,
        AggregatorV3Interface secondary,
        AggregatorV3Interface sequencer
    ) internal returns (OracleGuard) {
        return new OracleGuard(
            primary,
            secondary,
            sequencer,
            Defaults.MIN_ANSWER,
            Defaults.MAX_ANSWER,
            Defaults.oracleParams(),
            Defaults.INITIAL_VARIANCE,
            address(this)
        );
    }

    /// @dev A market and its pool over `token` and `guard_`, with the default risk parameters.
    function _deployMarket(MockERC20 token, OracleGuard guard_) internal returns (Market m, LiquidityPool p) {
        m = new Market(address(token), guard_, Defaults.riskParams(), address(this));
        p = new LiquidityPool(m, "LP", "LP", Defaults.OUTFLOW_WINDOW, Defaults.MAX_OUTFLOW);
        m.setPool(address(p));
    }

    /// @dev Mints `amount` of `token` to `who` and approves `spender` for all of it.
    function _fundFor(MockERC20 token, address who, uint256 amount, address spender) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(spender, type(uint256).max);
    }
}
