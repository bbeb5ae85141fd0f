// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "./Defaults.sol";
import {Governance, System, SystemDeployer} from "./SystemDeployer.sol";
import {Script, console2} from "forge-std/Script.sol";

/// @notice Deploys the whole system on a node and wires every role: collateral token and feeds (mocks on a
///         local node), oracle guard, market, LP pool, lens, the Safe guardian and the timelock that owns it all.
/// @dev Environment (all optional):
///      SAFE_OWNERS      comma-separated owner addresses of the guardian Safe (default: anvil accounts 1-3)
///      SAFE_THRESHOLD   signatures the Safe needs (default 2)
///      PROPOSER         who may propose timelocked operations (default: the Safe)
///      forge script script/Deploy.s.sol --rpc-url http://127.0.0.1:8545 --broadcast --private-key <key>
contract Deploy is Script, SystemDeployer {
    function run() external returns (System memory s, Governance memory g) {
        address[] memory owners = vm.envOr("SAFE_OWNERS", ",", _anvilOwners());
        uint256 threshold = vm.envOr("SAFE_THRESHOLD", Defaults.SAFE_THRESHOLD);
        address proposer = vm.envOr("PROPOSER", address(0));

        vm.startBroadcast();
        s = _deploySystem(msg.sender);
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

    function _anvilOwners() internal pure returns (address[] memory owners) {
        owners = new address[](3);
        owners[0] = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8;
        owners[1] = 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC;
        owners[2] = 0x90F79Bf6EB2C4F870B2517Fa4Ee9Cca34812C0a3;
    }
}
