// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Lens} from "../src/Lens.sol";
import {LiquidityPool} from "../src/LiquidityPool.sol";
import {Market} from "../src/Market.sol";
import {OracleGuard} from "../src/OracleGuard.sol";
import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {RiskParams} from "../src/interfaces/IMarket.sol";
import {MockAggregator} from "../test/mocks/MockAggregator.sol";
import {MockERC20} from "../test/mocks/MockERC20.sol";
import {Defaults} from "./Defaults.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {Safe} from "@safe-global/safe-smart-account/Safe.sol";
import {SafeProxyFactory} from "@safe-global/safe-smart-account/proxies/SafeProxyFactory.sol";

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

/// @notice The governance around a market: a Safe guardian and the timelock that owns everything.
struct Governance {
    Safe guardian;
    TimelockController timelock;
}

/// @notice Deploys a complete local system: collateral token, primary and secondary feeds, oracle guard,
///         market, LP pool and lens, with the default parameters; then, optionally, its governance.
///         Shared by the deploy script and the tests, so both start from the same defaults.
/// @dev `admin` must be the account whose calls this function's calls are: the broadcaster in a script, the test
///      contract in a test. It owns the market and the guard until `_deployGovernance` hands them over.
abstract contract SystemDeployer {
    /// @notice Called before each transaction the deployment broadcasts (one per creation or call). A test that
    ///         replays a node's history overrides it to move to the block and time that transaction had there.
    function _beforeDeployTx() internal virtual {}

    function _deploySystem(address admin) internal returns (System memory s) {
        return _deploySystem(admin, Defaults.riskParams());
    }

    /// @notice The same with other risk parameters for the market's constructor.
    function _deploySystem(address admin, RiskParams memory risk) internal returns (System memory s) {
        _beforeDeployTx();
        s.collateral = new MockERC20("Mock USD", "mUSD", Defaults.COLLATERAL_DECIMALS);
        _beforeDeployTx();
        s.primaryFeed = new MockAggregator(
            Defaults.FEED_DECIMALS, Defaults.INITIAL_ANSWER, Defaults.MIN_ANSWER, Defaults.MAX_ANSWER
        );
        _beforeDeployTx();
        s.secondaryFeed = new MockAggregator(
            Defaults.FEED_DECIMALS, Defaults.INITIAL_ANSWER, Defaults.MIN_ANSWER, Defaults.MAX_ANSWER
        );
        (s.oracle, s.market, s.pool) = _deployMarket(
            address(s.collateral),
            s.primaryFeed,
            s.secondaryFeed,
            AggregatorV3Interface(address(0)),
            Defaults.MIN_ANSWER,
            Defaults.MAX_ANSWER,
            risk,
            admin
        );
        _beforeDeployTx();
        s.lens = new Lens();
    }

    /// @notice The market's own contracts over given token and feeds (a real chain passes real addresses).
    function _deployMarket(
        address collateral,
        AggregatorV3Interface primary,
        AggregatorV3Interface secondary,
        AggregatorV3Interface sequencer,
        int256 minAnswer,
        int256 maxAnswer,
        address admin
    ) internal returns (OracleGuard oracle, Market market, LiquidityPool pool) {
        return _deployMarket(
            collateral, primary, secondary, sequencer, minAnswer, maxAnswer, Defaults.riskParams(), admin
        );
    }

    /// @notice The same with other risk parameters (the constructor takes any valid set; setRiskParams only steps).
    function _deployMarket(
        address collateral,
        AggregatorV3Interface primary,
        AggregatorV3Interface secondary,
        AggregatorV3Interface sequencer,
        int256 minAnswer,
        int256 maxAnswer,
        RiskParams memory risk,
        address admin
    ) internal returns (OracleGuard oracle, Market market, LiquidityPool pool) {
        _beforeDeployTx();
        oracle = new OracleGuard(
            primary,
            secondary,
            sequencer,
            minAnswer,
            maxAnswer,
            Defaults.oracleParams(),
            Defaults.INITIAL_VARIANCE,
            admin
        );
        _beforeDeployTx();
        market = new Market(collateral, oracle, risk, admin);
        _beforeDeployTx();
        market.setSafetyParams(Defaults.safetyParams());
        _beforeDeployTx();
        pool = new LiquidityPool(market, "Bulkhead LP", "bhLP", Defaults.OUTFLOW_WINDOW, Defaults.MAX_OUTFLOW);
        _beforeDeployTx();
        market.setPool(address(pool));
        uint256 immediacyFee = _immediacyFee();
        if (immediacyFee != 0) {
            _beforeDeployTx();
            market.setImmediacyFee(immediacyFee);
        }
    }

    /// @notice The immediacy premium a deployed market starts with (Defaults.IMMEDIACY_FEE).
    function _immediacyFee() internal view virtual returns (uint256) {
        return Defaults.IMMEDIACY_FEE;
    }

    /// @notice Deploys the Safe guardian (the real Safe singleton and proxy factory, `threshold` of `owners`) and
    ///         a TimelockController, proposed to by `proposer` (the Safe when zero) and executable by anyone; then
    ///         makes the Safe the market's guardian and hands the market and the oracle guard to the timelock.
    ///         Ownership is two-step and the market checks the acceptor's delay against the exit window, so the
    ///         timelock must itself accept: it is created with no delay and the deployer as a temporary proposer,
    ///         which schedules and executes at once one batch — raise the delay to the exit window, then accept both
    ///         contracts — and renounces its roles. From then on every call needs the full delay; no admin remains.
    function _deployGovernance(System memory s, address[] memory owners, uint256 threshold, address proposer)
        internal
        returns (Governance memory g)
    {
        _beforeDeployTx();
        Safe singleton = new Safe();
        _beforeDeployTx();
        SafeProxyFactory factory = new SafeProxyFactory();
        bytes memory setup = abi.encodeCall(
            Safe.setup, (owners, threshold, address(0), "", address(0), address(0), 0, payable(address(0)))
        );
        _beforeDeployTx();
        g.guardian = Safe(payable(address(factory.createProxyWithNonce(address(singleton), setup, 0))));

        // The account making these calls owns the market until the handover.
        address deployer = s.market.owner();
        address[] memory proposers = new address[](2);
        proposers[0] = proposer == address(0) ? address(g.guardian) : proposer;
        proposers[1] = deployer;
        address[] memory executors = new address[](1); // address(0): anyone may execute a ready operation
        _beforeDeployTx();
        g.timelock = new TimelockController(0, proposers, executors, address(0));

        _beforeDeployTx();
        s.market.setGuardian(address(g.guardian));
        _beforeDeployTx();
        s.market.transferOwnership(address(g.timelock));
        _beforeDeployTx();
        s.oracle.transferOwnership(address(g.timelock));
        _acceptWithFullDelay(g.timelock, address(s.market), address(s.oracle));
        if (proposers[0] != deployer) {
            _beforeDeployTx();
            g.timelock.renounceRole(g.timelock.PROPOSER_ROLE(), deployer);
            _beforeDeployTx();
            g.timelock.renounceRole(g.timelock.CANCELLER_ROLE(), deployer);
        }
    }

    /// @dev The timelock's one operation at zero delay: set its delay to the exit window, then accept `market` and
    ///      `oracle` (whose acceptance checks that delay).
    function _acceptWithFullDelay(TimelockController timelock, address market, address oracle) private {
        address[] memory targets = new address[](3);
        (targets[0], targets[1], targets[2]) = (address(timelock), market, oracle);
        bytes[] memory payloads = new bytes[](3);
        payloads[0] = abi.encodeCall(TimelockController.updateDelay, (Defaults.timelockDelay()));
        payloads[1] = abi.encodeCall(Ownable2Step.acceptOwnership, ());
        payloads[2] = payloads[1];
        uint256[] memory values = new uint256[](3);
        _beforeDeployTx();
        timelock.scheduleBatch(targets, values, payloads, 0, 0, 0);
        _beforeDeployTx();
        timelock.executeBatch(targets, values, payloads, 0, 0);
    }
}
