// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Aggregates, MarginAccount, Mode} from "../../src/interfaces/IMarket.sol";
import {HaltFlags} from "../../src/libraries/HaltFlags.sol";
import {BaseTest} from "./BaseTest.sol";

/// @notice BaseTest plus what the self-correcting layer's tests share: a guardian, slow price moves that keep the
///         volatility (and so the margins) near their floors, mode helpers and a fingerprint of all state a
///         refused action must leave untouched.
abstract contract SafetyBaseTest is BaseTest {
    // The market's halt causes (Market.haltFlags).
    uint8 internal constant HALT_BREAKER = HaltFlags.BREAKER;
    uint8 internal constant HALT_INVARIANT = HaltFlags.INVARIANT;
    uint8 internal constant HALT_INSOLVENT = HaltFlags.INSOLVENT;
    uint8 internal constant HALT_GUARDIAN = HaltFlags.GUARDIAN;

    address internal guardianEoa = makeAddr("guardian");
    address internal stranger = makeAddr("stranger");
    address internal dave = makeAddr("dave");

    function setUp() public virtual override {
        super.setUp();
        // BaseTest's market is owned by this contract; a plain address guards it (GovernedBaseTest uses a Safe).
        market.setGuardian(guardianEoa);
    }

    /* PRICES */

    /// @dev An hour later, publishes `answer` on both feeds and refreshes. An hour between readings keeps each
    ///      sample's variance contribution small, so margins stay at their floors for moves of a few percent.
    function _stepPrice(int256 answer) internal {
        vm.warp(block.timestamp + 1 hours);
        _setPrice(answer);
        market.refresh();
    }

    /// @dev Hourly steps of at most 10% (the jump band) to `target`.
    function _stepTo(int256 target) internal {
        (, int256 current,,,) = feed.latestRoundData();
        while (current != target) {
            int256 step = current / 10;
            if (target > current) current = target - current > step ? current + step : target;
            else current = current - target > step ? current - step : target;
            _stepPrice(current);
        }
    }

    /// @dev A fresh round at the current price, `dt` seconds later, without refreshing.
    function _freshRound(uint256 dt) internal {
        vm.warp(block.timestamp + dt);
        (, int256 current,,,) = feed.latestRoundData();
        _setPrice(current);
    }

    /* MODES */

    function _escalate(Mode to) internal {
        vm.prank(market.guardian());
        market.escalate(to);
    }

    /// @dev Reaches `m` the way it is reached in production: the guardian for Cautious, ReduceOnly and Halted,
    ///      the owner's settle() for Settlement.
    function _enterMode(Mode m) internal {
        if (m == Mode.Normal) return;
        if (m == Mode.Settlement) market.settle();
        else _escalate(m);
        assertEq(uint8(market.mode()), uint8(m), "mode reached");
    }

    /* STATE */

    /// @dev Everything a refused action must leave as it was: mode and halt state, aggregates, the accounts and
    ///      wallets of every named actor, LP shares, the settlement snapshot and what it paid.
    function _fingerprint() internal view returns (bytes32 h) {
        h = keccak256(abi.encode(market.mode(), market.haltFlags(), market.haltedAt()));
        h = keccak256(abi.encode(h, market.aggregates()));
        address[7] memory who = [alice, bob, carol, dave, lp, keeper, stranger];
        for (uint256 i; i < who.length; ++i) {
            MarginAccount memory a = market.accountOf(who[i]);
            h = keccak256(
                abi.encode(
                    h,
                    a.margin,
                    a.size,
                    a.openNotional,
                    a.fundingIndex,
                    usd.balanceOf(who[i]),
                    pool.balanceOf(who[i]),
                    market.claimed(who[i])
                )
            );
        }
        h = keccak256(
            abi.encode(
                h,
                usd.balanceOf(address(market)),
                usd.balanceOf(address(pool)),
                pool.totalSupply(),
                keccak256(abi.encode(market.settlement())),
                market.settlementPaid(),
                guard.lastRoundId(),
                guard.variance()
            )
        );
    }

    /// @dev The market's credits as its token-conservation invariant counts them.
    function _credits() internal view returns (uint256) {
        Aggregates memory agg = market.aggregates();
        return agg.totalMargin + agg.insurance + (agg.poolCash > 0 ? uint256(agg.poolCash) : 0);
    }

    /// @dev An account's equity at `price` (WAD) with funding owed up to `index`, computed here from the raw
    ///      account the way the market defines it (PnL floored, funding owed rounded up against the trader).
    function _equityAt(address who, uint256 price, int256 index) internal view returns (int256) {
        MarginAccount memory a = market.accountOf(who);
        int256 owed = _ceilDiv(a.size * (index - a.fundingIndex), 1e30);
        return a.margin - owed + _floorDiv(a.size * int256(price), 1e30) - a.openNotional;
    }

    function _floorDiv(int256 a, int256 b) internal pure returns (int256 q) {
        q = a / b;
        if (a % b != 0 && (a < 0) != (b < 0)) q -= 1;
    }

    function _ceilDiv(int256 a, int256 b) internal pure returns (int256 q) {
        q = a / b;
        if (a % b != 0 && (a < 0) == (b < 0)) q += 1;
    }
}
