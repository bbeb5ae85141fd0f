// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Lens} from "../src/Lens.sol";
import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {RiskParams} from "../src/interfaces/IMarket.sol";
import {MockAggregator} from "../test/mocks/MockAggregator.sol";
import {MockERC20} from "../test/mocks/MockERC20.sol";
import {Defaults} from "./Defaults.sol";
import {Governance, System, SystemDeployer} from "./SystemDeployer.sol";
import {Script, console2} from "forge-std/Script.sol";

/// @notice Deploys the whole system on a node and wires every role: collateral token and feeds, oracle guard,
///         market, LP pool, lens, the Safe guardian and the timelock that owns it all.
/// @dev On a local chain (chain id 31337) it deploys a mintable collateral token and settable feeds (mocks) and
///      defaults the Safe's owners to anvil accounts 1-3. On any other chain it deploys no mock: it takes every
///      external address from the environment and refuses to run without them.
///      Environment:
///      COLLATERAL       the collateral token                                  (required off a local chain)
///      PRIMARY_FEED     the primary price feed                                (required off a local chain)
///      SECONDARY_FEED   the cross-check feed (address(0): none)                (required off a local chain)
///      SEQUENCER_FEED   the L2 sequencer-uptime feed (default none)
///      MIN_ANSWER, MAX_ANSWER  the primary aggregator's clamp                  (required off a local chain)
///      SAFE_OWNERS      comma-separated owners of the guardian Safe (required off a local chain)
///      SAFE_THRESHOLD   signatures the Safe needs (default 2)
///      PROPOSER         who may propose timelocked operations (default: the Safe)
///      RISK_PARAMS      the market's risk parameters at construction, ABI-encoded RiskParams (default
///                       Defaults.riskParams()); afterwards governance moves each by bounded steps only
///      IMMEDIACY_FEE    the premium atomic trades pay (WAD; default Defaults.IMMEDIACY_FEE)
///      forge script script/Deploy.s.sol --rpc-url <url> --broadcast --private-key <key>
contract Deploy is Script, SystemDeployer {
    uint256 internal constant LOCAL_CHAIN_ID = 31_337;

    function run() external returns (System memory s, Governance memory g) {
        bool local = block.chainid == LOCAL_CHAIN_ID;
        if (!local) _requireEnvironment();
        address[] memory owners =
            local ? vm.envOr("SAFE_OWNERS", ",", _anvilOwners()) : vm.envAddress("SAFE_OWNERS", ",");
        uint256 threshold = vm.envOr("SAFE_THRESHOLD", Defaults.SAFE_THRESHOLD);
        address proposer = vm.envOr("PROPOSER", address(0));

        vm.startBroadcast();
        RiskParams memory risk = _riskParams();
        s = local ? _deploySystem(msg.sender, risk) : _deployOnChain(msg.sender, risk);
        g = _deployGovernance(s, owners, threshold, proposer);
        vm.stopBroadcast();

        console2.log("collateral", address(s.collateral));
        console2.log("primaryFeed", address(s.primaryFeed));
        console2.log("secondaryFeed", address(s.secondaryFeed));
        console2.log("oracle", address(s.oracle));
        console2.log("market", address(s.market));
        console2.log("pool", address(s.pool));
        console2.log("lens", address(s.lens));
        console2.log("guardian (Safe)", address(g.guardian));
        console2.log("timelock", address(g.timelock));
    }

    /// @dev Off a local chain: the token and feeds given, no mock deployed.
    function _requireEnvironment() internal view {
        for (uint256 i; i < _required.length; ++i) {
            if (!vm.envExists(_required[i])) {
                revert(string.concat("Deploy: set ", _required[i], " (off a local chain nothing is mocked)"));
            }
        }
    }

    function _immediacyFee() internal view override returns (uint256) {
        return vm.envOr("IMMEDIACY_FEE", Defaults.IMMEDIACY_FEE);
    }

    function _riskParams() internal view returns (RiskParams memory) {
        bytes memory encoded = vm.envOr("RISK_PARAMS", bytes(""));
        return encoded.length == 0 ? Defaults.riskParams() : abi.decode(encoded, (RiskParams));
    }

    function _deployOnChain(address admin, RiskParams memory risk) internal returns (System memory s) {
        s.collateral = MockERC20(vm.envAddress("COLLATERAL"));
        s.primaryFeed = MockAggregator(vm.envAddress("PRIMARY_FEED"));
        s.secondaryFeed = MockAggregator(vm.envAddress("SECONDARY_FEED"));
        (s.oracle, s.market, s.pool) = _deployMarket(
            address(s.collateral),
            AggregatorV3Interface(address(s.primaryFeed)),
            AggregatorV3Interface(address(s.secondaryFeed)),
            AggregatorV3Interface(vm.envOr("SEQUENCER_FEED", address(0))),
            vm.envInt("MIN_ANSWER"),
            vm.envInt("MAX_ANSWER"),
            risk,
            admin
        );
        s.lens = new Lens();
    }

    string[] internal _required =
        ["COLLATERAL", "PRIMARY_FEED", "SECONDARY_FEED", "MIN_ANSWER", "MAX_ANSWER", "SAFE_OWNERS"];

    function _anvilOwners() internal pure returns (address[] memory owners) {
        owners = new address[](3);
        owners[0] = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8;
        owners[1] = 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC;
        owners[2] = 0x90F79Bf6EB2C4F870B2517Fa4Ee9Cca34812C0a3;
    }
}
