// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarginAccount} from "../../src/interfaces/IMarket.sol";
import {BaseTest} from "../utils/BaseTest.sol";

contract SmokeTest is BaseTest {
    function test_openMoveClose() public {
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18); // 10 units at 2000 = 20,000 notional, IM 10% = 2,000
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.size, 10e18);
        assertEq(a.openNotional, 20_000e6);
        assertEq(a.margin, 10_000e6 - 20e6); // 10 bps fee
        _walkPrice(2200e8);
        _stableFollows();
        vm.prank(alice);
        market.closePosition(0);
        a = market.accountOf(alice);
        assertEq(a.size, 0);
        emit log_named_int("margin after", a.margin);
        assertGt(a.margin, 10_000e6 + 1900e6);
        assertEq(pool.totalAssets(), uint256(market.poolEquity()));
    }
}
