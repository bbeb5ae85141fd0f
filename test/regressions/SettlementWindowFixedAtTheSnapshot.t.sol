// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafetyParams} from "../../src/interfaces/IMarket.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice L-03 (review of 632d01d): `settlementWindow` was read live after the snapshot, so a parameter change in
///         Settlement pushed the claims back (and re-opened `realise`). Property: the window is fixed when the market
///         settles; claims open at settledAt + that window, whatever governance proposes afterwards. The claimant
///         holds a position: idle margin is paid at once and never waits for the window.
contract SettlementWindowFixedAtTheSnapshotTest is BaseTest {
    function test_claimsOpenAtTheWindowFixedAtTheSnapshot() public {
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 1e18);
        market.settle(); // the owner (here the test) may settle at any time
        uint256 window = market.safetyParams().settlementWindow;
        SafetyParams memory p = market.safetyParams();
        p.settlementWindow = 2 * p.settlementWindow;
        // Refused today (no change in Settlement); the property holds whether or not it lands.
        (bool changed,) = address(market).call(abi.encodeCall(market.setSafetyParams, (p)));
        changed;
        vm.warp(block.timestamp + window);
        uint256 before = usd.balanceOf(alice);
        vm.prank(alice);
        market.claim();
        assertGt(usd.balanceOf(alice) - before, 9000e6, "claims open at the snapshot's window");
    }
}
