// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Lens} from "../src/Lens.sol";
import {LiquidityPool} from "../src/LiquidityPool.sol";
import {Market} from "../src/Market.sol";
import {OracleGuard} from "../src/OracleGuard.sol";
import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {MockAggregator} from "../test/mocks/MockAggregator.sol";
import {MockERC20} from "../test/mocks/MockERC20.sol";
import {Defaults} from "./Defaults.sol";

/// @notice Everything one market needs, deployed.
struct System {
    MockERC20 collateral;
    MockAggregator primaryFeed;
    MockAggregator secondaryFeed;
    OracleGuard oracle;
    Market market;
    LiquidityPool pool;
    Lens lens;
}

/// @notice Deploys a complete local system: collateral token, primary and secondary feeds, oracle guard,
///         market, LP pool and lens, with the default parameters. Shared by the deploy script and the tests.
/// @dev `admin` must be the account whose calls this function's calls are: the broadcaster in a script, the test
///      contract in a test. It owns the market and the guard (hand them to the timelock afterwards).
abstract contract SystemDeployer {
    function _deploySystem(address admin) internal returns (System memory s) {
        s.collateral = new MockERC20("Mock USD", "mUSD", Defaults.COLLATERAL_DECIMALS);
        s.primaryFeed = new MockAggregator(
            Defaults.FEED_DECIMALS, Defaults.INITIAL_ANSWER, Defaults.MIN_ANSWER, Defaults.MAX_ANSWER
        );
        s.secondaryFeed = new MockAggregator(
            Defaults.FEED_DECIMALS, Defaults.INITIAL_ANSWER, Defaults.MIN_ANSWER, Defaults.MAX_ANSWER
        );
        s.oracle = new OracleGuard(
            s.primaryFeed,
            s.secondaryFeed,
            AggregatorV3Interface(address(0)),
            Defaults.MIN_ANSWER,
            Defaults.MAX_ANSWER,
            Defaults.oracleParams(),
            Defaults.INITIAL_VARIANCE,
            admin
        );
        s.market = new Market(address(s.collateral), s.oracle, Defaults.riskParams(), admin);
        s.pool = new LiquidityPool(s.market, "Bulkhead LP mUSD", "bhLP");
        s.market.setPool(address(s.pool));
        s.lens = new Lens();
    }
}
