// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {RiskParams} from "../../src/interfaces/IMarket.sol";
import {Test} from "forge-std/Test.sol";

import {System, SystemDeployer} from "../../script/SystemDeployer.sol";
import {Lens} from "../../src/Lens.sol";
import {LiquidityPool} from "../../src/LiquidityPool.sol";
import {Market} from "../../src/Market.sol";
import {OracleGuard} from "../../src/OracleGuard.sol";
import {TradePricing} from "../../src/libraries/TradePricing.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @notice A deployed default system plus helpers shared by unit, integration and invariant tests.
abstract contract BaseTest is Test, SystemDeployer {
    System internal sys;
    MockERC20 internal usd;
    MockAggregator internal feed;
    MockAggregator internal feed2;
    OracleGuard internal guard;
    Market internal market;
    LiquidityPool internal pool;
    Lens internal lens;

    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal lp = makeAddr("lp");
    address internal keeper = makeAddr("keeper");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        sys = _deploySystem(address(this));
        (usd, feed, feed2, guard, market, pool, lens) =
        (sys.collateral, sys.primaryFeed, sys.secondaryFeed, sys.oracle, sys.market, sys.pool, sys.lens);
    }

    /// @dev The unit and integration suites state their exact figures at the trading fee alone, so their markets start
    ///      without the immediacy premium; ForeseeableRoundDoesNotPay sets the deployment value (Defaults.IMMEDIACY_FEE),
    ///      which the deploy script and the harness use.
    function _immediacyFee() internal pure override returns (uint256) {
        return 0;
    }

    /// @dev Mints `amount` to `who` and approves the market and the pool.
    function _fund(address who, uint256 amount) internal {
        usd.mint(who, amount);
        vm.startPrank(who);
        usd.approve(address(market), type(uint256).max);
        usd.approve(address(pool), type(uint256).max);
        vm.stopPrank();
    }

    function _lpDeposit(address who, uint256 amount) internal returns (uint256 shares) {
        _fund(who, amount);
        vm.prank(who);
        shares = pool.deposit(amount, who);
    }

    /// @dev Lets the LP shares minted so far age past the pool's holding period, with both feeds republishing their
    ///      answers so the price stays fresh.
    function _ageShares() internal {
        vm.warp(block.timestamp + pool.minHoldingPeriod());
        (, int256 primary,,,) = feed.latestRoundData();
        (, int256 secondary,,,) = feed2.latestRoundData();
        feed.setAnswer(primary);
        feed2.setAnswer(secondary);
    }

    function _depositMargin(address who, uint256 amount) internal {
        _fund(who, amount);
        vm.prank(who);
        market.deposit(amount);
    }

    function _open(address who, int256 sizeDelta) internal {
        vm.prank(who);
        market.modifyPosition(sizeDelta, 0);
    }

    /// @dev Lets the guard's stable price catch up with the round accepted last (TradePricing: 1 % of the higher price
    ///      a minute), so the next trade executes at that round; when that took the round past MAX_TRADE_AGE, both
    ///      feeds republish their answers so an increase still has a fresh round. For tests about something else than
    ///      the execution price.
    function _stableFollows() internal {
        (uint256 stable,) = guard.stablePrice();
        (uint256 mark, uint256 at) = guard.lastGoodPrice();
        uint256 gap = stable > mark ? stable - mark : mark - stable;
        uint256 perMinute = (stable > mark ? stable : mark) * TradePricing.STABLE_RATE_BPS_PER_MINUTE / 10_000;
        vm.warp(block.timestamp + (gap * 1 minutes + perMinute - 1) / perMinute);
        if (block.timestamp - at > TradePricing.MAX_TRADE_AGE) {
            (, int256 primary,,,) = feed.latestRoundData();
            (, int256 secondary,,,) = feed2.latestRoundData();
            feed2.setAnswer(secondary);
            feed.setAnswer(primary);
            market.refresh();
        }
    }

    /// @dev Lets the guard's LP price reach the round accepted last, so LP shares are valued at the mark; when that
    ///      took the round past the guard's maxAge, both feeds republish their answers. For tests about something
    ///      else than the LP price.
    function _lpPriceFollows() internal {
        (, uint256 until) = guard.lpPrice();
        if (until > block.timestamp) vm.warp(until);
        (, uint256 at) = guard.lastGoodPrice();
        if (block.timestamp - at >= guard.params().maxAge) {
            (, int256 primary,,,) = feed.latestRoundData();
            (, int256 secondary,,,) = feed2.latestRoundData();
            feed2.setAnswer(secondary);
            feed.setAnswer(primary);
            market.refresh();
        }
    }

    /// @dev Publishes `answer` (8 decimals) on both feeds, so the reading is Valid unless it jumps too far.
    function _setPrice(int256 answer) internal {
        feed.setAnswer(answer);
        feed2.setAnswer(answer);
    }

    /// @dev Publishes `answer` on the primary alone, after making the secondary's last round older than
    ///      secondaryMaxAge: a move beyond the jump band is then unconfirmed (TooVolatile), neither confirmed by the
    ///      secondary nor Diverged from it.
    function _setPrimaryUnconfirmed(int256 answer) internal {
        (, int256 secondaryAnswer,,,) = feed2.latestRoundData();
        feed2.setAnswerAt(secondaryAnswer, block.timestamp - guard.params().secondaryMaxAge - 1);
        feed.setAnswer(answer);
    }

    /// @dev Moves the price by small steps (each within the jump band), a minute apart.
    function _walkPrice(int256 target) internal {
        (uint80 r, int256 current,,,) = feed.latestRoundData();
        r;
        while (current != target) {
            int256 step = current / 20; // 5% per step
            if (target > current) current = target - current > step ? current + step : target;
            else current = current - target > step ? current - step : target;
            vm.warp(block.timestamp + 60);
            _setPrice(current);
            market.refresh();
        }
    }

    /* SHARED FIXTURE CHANGES */

    /// @dev Replaces the guard, market and pool (and `sys`) with fresh ones over `token` and the given feeds, deployed
    ///      the way the SystemDeployer deploys them (default parameters). For tests that need a hostile token or feed.
    function _redeploy(address token, AggregatorV3Interface primary, AggregatorV3Interface secondary)
        internal
    {
        (guard, market, pool) = _deployMarket(
            token,
            primary,
            secondary,
            AggregatorV3Interface(address(0)),
            Defaults.MIN_ANSWER,
            Defaults.MAX_ANSWER,
            address(this)
        );
        (sys.oracle, sys.market, sys.pool) = (guard, market, pool);
    }

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
        require(to != 0, "BaseTest: no factor-two step reaches zero");
        if (to > 2 * from) return 2 * from;
        if (2 * to < from) return (from + 1) / 2;
        return to;
    }
}
