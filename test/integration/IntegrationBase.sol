// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {
    Aggregates,
    IMarket,
    Invariant,
    MarginAccount,
    Mode,
    RiskParams
} from "../../src/interfaces/IMarket.sol";
import {HaltFlags} from "../../src/libraries/HaltFlags.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice Helpers for the end-to-end flows: price steps the guard accepts, and the accounting checks every
///         flow ends with.
abstract contract IntegrationBase is BaseTest {
    /// @dev Lets `dt` seconds pass, publishes `answer` (8 decimals) on both feeds and has the market accept it.
    function _step(int256 answer, uint256 dt) internal {
        vm.warp(block.timestamp + dt);
        _setPrice(answer);
        market.refresh();
    }

    uint8 internal constant HALT_BREAKER = HaltFlags.BREAKER;
    uint8 internal constant HALT_INVARIANT = HaltFlags.INVARIANT;

    /// @dev The InvariantViolated events in `logs`: none may ever appear in honest operation.
    function _invariantTrips(Vm.Log[] memory logs) internal view returns (uint256 n) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(market) && logs[i].topics[0] == IMarket.InvariantViolated.selector)
            {
                ++n;
            }
        }
    }

    function _fundInsurance(address who, uint256 amount) internal {
        _fund(who, amount);
        vm.prank(who);
        market.fundInsurance(amount);
    }

    /// @dev Token conservation, exactly, in a market still Normal (see _assertAccounting).
    function _assertConserved(address[] memory accounts) internal view {
        _assertAccounting(accounts);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "the market left Normal");
    }

    /// @dev Token conservation, exactly: the market holds the margins, the pool cash and the insurance, no more
    ///      and no less; the listed accounts are every account with a margin; and the market was never halted by
    ///      its own invariant check.
    function _assertAccounting(address[] memory accounts) internal view {
        Aggregates memory g = market.aggregates();
        int256 margins;
        for (uint256 i; i < accounts.length; ++i) {
            MarginAccount memory a = market.accountOf(accounts[i]);
            assertGe(a.margin, 0, "negative margin");
            margins += a.margin;
        }
        assertEq(margins, int256(g.totalMargin), "sum of margins != totalMargin");
        assertGe(g.poolCash, 0, "pool cash negative");
        assertEq(
            usd.balanceOf(address(market)),
            g.totalMargin + uint256(g.poolCash) + g.insurance,
            "balance != margins + pool cash + insurance"
        );
        assertEq(market.haltFlags() & HALT_INVARIANT, 0, "halted by an invariant");
    }

    function _list(address a) internal pure returns (address[] memory l) {
        l = new address[](1);
        l[0] = a;
    }

    function _list(address a, address b) internal pure returns (address[] memory l) {
        l = new address[](2);
        (l[0], l[1]) = (a, b);
    }

    /// @dev What `shares` of the pool are worth now (ERC-4626 previewRedeem: rounds down).
    function _lpValue(address who) internal view returns (uint256) {
        return pool.previewRedeem(pool.balanceOf(who));
    }
}
