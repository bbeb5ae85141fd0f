// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccountView, MarketView} from "../../../src/Lens.sol";
import {OracleClass} from "../../../src/interfaces/IOracleGuard.sol";
import {UnitTest} from "../../utils/UnitTest.sol";

contract LensSnapshotTest is UnitTest {
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 2500e6);
        _open(alice, 10e18);
        _depositMargin(bob, 5000e6);
        _open(bob, -4e18);
        _depositMargin(carol, 300e6);
        _fund(carol, 7e6); // a wallet balance too
        _stepPrice(1900e8, 3000);
        _stepPrice(1800e8, 3000);
        vm.warp(block.timestamp + 100); // funding owed but not settled
    }

    function _accounts() internal view returns (address[] memory list) {
        list = new address[](5);
        (list[0], list[1], list[2], list[3], list[4]) = (alice, bob, carol, lp, stranger);
    }

    function test_snapshot_marketView_matchesTheIndividualViews() public view {
        (MarketView memory m,) = lens.snapshot(market, new address[](0));
        assertEq(m.market, address(market));
        assertEq(m.pool, address(pool));
        assertEq(m.collateral, address(usd));
        assertEq(uint8(m.mode), uint8(market.mode()));
        assertEq(uint8(m.oracleClass), uint8(guard.peek().class));
        (uint256 price, uint256 at) = guard.lastGoodPrice();
        assertEq(m.price, price);
        assertEq(m.price, 1800e18);
        assertEq(m.priceUpdatedAt, at);
        (uint256 im, uint256 mm) = guard.marginRatios();
        assertEq(m.initialMargin, im);
        assertEq(m.maintenanceMargin, mm);
        assertEq(m.variance, guard.variance());
        assertEq(m.fundingRate, market.fundingRate());
        assertEq(m.fundingRate, 6e8); // 6 units net long
        assertEq(m.fundingIndexNow, market.currentFundingIndex());
        assertEq(m.poolEquity, market.poolEquity());
        assertEq(m.poolWithdrawable, market.poolWithdrawable());
        assertEq(m.collateralBalance, usd.balanceOf(address(market)));
        assertEq(m.poolShareSupply, pool.totalSupply());
        assertEq(abi.encode(m.risk), abi.encode(market.riskParams()));
        assertEq(abi.encode(m.agg), abi.encode(market.aggregates()));
        assertEq(m.blockNumber, block.number);
        assertEq(m.timestamp, block.timestamp);
    }

    function test_snapshot_accountViews_matchTheIndividualViews() public view {
        address[] memory list = _accounts();
        (, AccountView[] memory views) = lens.snapshot(market, list);
        assertEq(views.length, list.length);
        for (uint256 i; i < list.length; ++i) {
            AccountView memory v = views[i];
            assertEq(v.account, list[i]);
            assertEq(abi.encode(v.state), abi.encode(market.accountOf(list[i])));
            (int256 equity, uint256 imReq, uint256 mmReq, uint256 notional) = market.accountHealth(list[i]);
            assertEq(v.equity, equity);
            assertEq(v.initialRequired, imReq);
            assertEq(v.maintenanceRequired, mmReq);
            assertEq(v.notional, notional);
            assertEq(v.walletBalance, usd.balanceOf(list[i]));
            assertEq(v.lpShares, pool.balanceOf(list[i]));
        }
        // Spot checks against independent figures: alice 10 long at 1,800 and bob 4 short.
        assertEq(views[0].notional, 18_000e6);
        assertEq(views[1].notional, 7200e6);
        assertEq(views[2].walletBalance, 7e6);
        assertEq(views[3].lpShares, 1e17);
        assertEq(views[4].notional, 0);
    }

    function test_snapshot_liquidatableFlag_agreesWithLiquidate() public {
        (, AccountView[] memory views) = lens.snapshot(market, _accounts());
        // Alice: 2,480 of margin, 2,000 down, below 5% of 18,000. Bob and the rest: not liquidatable.
        assertTrue(views[0].liquidatable);
        for (uint256 i = 1; i < views.length; ++i) {
            assertFalse(views[i].liquidatable);
        }
        vm.prank(keeper);
        market.liquidate(alice);
        (, views) = lens.snapshot(market, _accounts());
        assertFalse(views[0].liquidatable);
        assertEq(views[0].state.size, 0);
    }

    function test_snapshot_reportsTheNextReadingsClass() public {
        vm.warp(block.timestamp + 3601);
        (MarketView memory m,) = lens.snapshot(market, new address[](0));
        assertEq(uint8(m.oracleClass), uint8(OracleClass.Stale));
        assertEq(m.price, 1800e18); // the last good price is still reported
    }
}
