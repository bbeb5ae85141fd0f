// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Deploy} from "../../script/Deploy.s.sol";
import {Test} from "forge-std/Test.sol";

/// @notice L-05 (review of 632d01d): the deploy script always deployed the mintable collateral and settable feeds
///         and defaulted the guardian Safe to the public anvil keys, on any chain. Property: it deploys mocks only on
///         a local chain id and, elsewhere, takes collateral, feeds and Safe owners from the environment, refusing
///         to run without them. (The path with the environment set is not run here: vm.setEnv would leak into
///         every other test of the process; the local path is what the harness deploys with.)
contract DeployMocksOnlyLocallyTest is Test {
    function test_offALocalChain_refusesWithoutTheEnvironment() public {
        assertFalse(vm.envExists("COLLATERAL"), "precondition: no COLLATERAL in this environment");
        vm.chainId(1);
        Deploy script = new Deploy();
        vm.expectRevert(bytes("Deploy: set COLLATERAL (off a local chain nothing is mocked)"));
        script.run();
    }
}
