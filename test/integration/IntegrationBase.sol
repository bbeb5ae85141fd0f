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

    uint8 internal constant HALT_BREAKER = 1;
    uint8 internal constant HALT_INVARIANT = 2;

    /// @dev A market without funding, for flows whose expected figures are exact without it. setRiskParams moves a
    ///      field by at most a factor of two per call, so no number of steps reaches zero from the default: the
    ///      flow gets a fresh market (guard, market, pool) deployed with a funding rate of 0 instead. Call it first.
    function _noFunding() internal {
        RiskParams memory r = Defaults.riskParams();
        r.maxFundingRate = 0;
        (guard, market, pool) = _deployMarket(
            address(usd),
            feed,
            feed2,
            AggregatorV3Interface(address(0)),
            Defaults.MIN_ANSWER,
            Defaults.MAX_ANSWER,
            r,
            address(this)
        );
        assertEq(market.riskParams().maxFundingRate, 0);
    }

    /// @dev Governance moves the risk parameters to `target` the only way it can: a factor of two per field per
    ///      call. Returns the number of calls it took.
    function _setRiskParamsInSteps(RiskParams memory target) internal returns (uint256 calls) {
        RiskParams memory r = market.riskParams();
        while (keccak256(abi.encode(r)) != keccak256(abi.encode(target))) {
            r.tradingFee = uint64(_towards(r.tradingFee, target.tradingFee));
            r.insuranceFeeShare = uint64(_towards(r.insuranceFeeShare, target.insuranceFeeShare));
            r.liquidationPenalty = uint64(_towards(r.liquidationPenalty, target.liquidationPenalty));
            r.keeperRewardShare = uint64(_towards(r.keeperRewardShare, target.keeperRewardShare));
            r.maxFundingRate = uint64(_towards(r.maxFundingRate, target.maxFundingRate));
            r.minBacking = uint64(_towards(r.minBacking, target.minBacking));
            r.skewScale = uint128(_towards(r.skewScale, target.skewScale));
            r.maxOpenInterest = uint128(_towards(r.maxOpenInterest, target.maxOpenInterest));
            market.setRiskParams(r);
            ++calls;
        }
    }

    /// @dev One factor-two step from `from` towards `to` (0 is never reached from above).
    function _towards(uint256 from, uint256 to) internal pure returns (uint256) {
        if (to > 2 * from) return 2 * from;
        if (2 * to < from) return (from + 1) / 2;
        return to;
    }

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
