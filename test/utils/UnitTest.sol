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
