// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {System, SystemDeployer} from "../../script/SystemDeployer.sol";
import {Lens} from "../../src/Lens.sol";
import {LiquidityPool} from "../../src/LiquidityPool.sol";
import {Market} from "../../src/Market.sol";
import {OracleGuard} from "../../src/OracleGuard.sol";
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

    function _depositMargin(address who, uint256 amount) internal {
        _fund(who, amount);
        vm.prank(who);
        market.deposit(amount);
    }

    function _open(address who, int256 sizeDelta) internal {
        vm.prank(who);
        market.modifyPosition(sizeDelta, 0);
    }

    /// @dev Publishes `answer` (8 decimals) on both feeds, so the reading is Valid unless it jumps too far.
    function _setPrice(int256 answer) internal {
        feed.setAnswer(answer);
        feed2.setAnswer(answer);
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
}
