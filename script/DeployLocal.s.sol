// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Script, console2} from "forge-std/Script.sol";
import {System, SystemDeployer} from "./SystemDeployer.sol";

/// @notice Deploys a complete local system on a node (anvil) and prints the addresses.
///         forge script script/DeployLocal.s.sol --rpc-url http://127.0.0.1:8545 --broadcast \
///           --private-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
contract DeployLocal is Script, SystemDeployer {
    function run() external returns (System memory s) {
        vm.startBroadcast();
        s = _deploySystem(msg.sender);
        vm.stopBroadcast();
        console2.log("collateral", address(s.collateral));
        console2.log("primaryFeed", address(s.primaryFeed));
        console2.log("secondaryFeed", address(s.secondaryFeed));
        console2.log("oracle", address(s.oracle));
        console2.log("market", address(s.market));
        console2.log("pool", address(s.pool));
        console2.log("lens", address(s.lens));
    }
}
