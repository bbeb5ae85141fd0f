// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {OracleGuard} from "../../src/OracleGuard.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {IOracleGuard, OracleClass, OracleParams} from "../../src/interfaces/IOracleGuard.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Issue 9 property 3, both feeds manipulated (Synthetix sKRW, Jun 2019: x1000 from one source, about x500
///         on chain): a move beyond the jump band that a fresh secondary confirms was accepted on its first round,
///         so x400 (or /400) on both feeds became the market price at once. Property: a confirmed move larger than
///         `maxConfirmedJump` is not accepted on confirmation alone; it stays TooVolatile until the level has also
///         persisted for `jumpResetAfter`, while a confirmed crash within it is still accepted at once.
contract ConfirmedMoveBeyondSanityNeedsPersistenceTest is IntegrationBase {
    /// @dev LP 1,000,000; Alice 10,000 margin, long 40 at 2,000 (8x).
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 40e18);
    }

    function _both(int256 answer, uint256 at) internal returns (OracleClass) {
        vm.warp(at);
        feed2.setAnswer(answer);
        feed.setAnswer(answer);
        return market.refresh();
    }

    function _lastGood() internal view returns (uint256 price) {
        (price,) = guard.lastGoodPrice();
    }

    /// @dev x400 on both feeds, re-published every 5 minutes: refused until the level has shown for jumpResetAfter.
    function test_x400OnBothFeeds_isRefusedUntilItPersisted() public {
        uint256 t1 = block.timestamp + 60;
        assertEq(
            uint8(_both(800_000e8, t1)), uint8(OracleClass.TooVolatile), "x400 on both feeds was accepted"
        );
        uint256 reset = guard.params().jumpResetAfter;
        for (uint256 t = t1 + 5 minutes; t < t1 + reset; t += 5 minutes) {
            _both(800_000e8, t);
            assertEq(_lastGood(), 2000e18, "x400 on both feeds accepted before it persisted");
        }
        // Confirmed and persistent: a level both feeds hold for jumpResetAfter is accepted.
        assertEq(
            uint8(_both(800_000e8, t1 + reset)), uint8(OracleClass.Valid), "a persistent level was refused"
        );
        assertEq(_lastGood(), 800_000e18);
    }

    /// @dev /400 on both feeds: Alice is not liquidated at it.
    function test_dividedBy400OnBothFeeds_liquidatesNobody() public {
        assertEq(uint8(_both(5e8, block.timestamp + 60)), uint8(OracleClass.TooVolatile), "/400 was accepted");
        assertEq(_lastGood(), 2000e18);
        vm.expectRevert();
        market.liquidate(alice);
    }

    /// @dev The bound's edge: a confirmed -50% is still accepted on its first round.
    function test_aConfirmedHalving_isAcceptedAtOnce() public {
        assertEq(
            uint8(_both(1000e8, block.timestamp + 60)),
            uint8(OracleClass.Valid),
            "a confirmed -50% was refused"
        );
        assertEq(_lastGood(), 1000e18);
    }

    /// @dev Below the jump band confirmation would accept nothing, and zero would switch it off: refused, in
    ///      setParams (two steps, each within a factor of two) and at construction.
    function test_maxConfirmedJumpBelowTheJumpBand_isRefused() public {
        OracleParams memory p = guard.params();
        vm.startPrank(guard.owner());
        p.maxConfirmedJump = p.maxConfirmedJump / 2;
        guard.setParams(p);
        p.jumpBand = 2 * p.jumpBand;
        p.maxConfirmedJump = p.jumpBand - 1;
        vm.expectRevert(IOracleGuard.OracleGuardBadParams.selector);
        guard.setParams(p);
        vm.stopPrank();

        p = guard.params();
        p.maxConfirmedJump = 0;
        vm.expectRevert(IOracleGuard.OracleGuardBadParams.selector);
        new OracleGuard(
            AggregatorV3Interface(address(feed)),
            AggregatorV3Interface(address(feed2)),
            AggregatorV3Interface(address(0)),
            0,
            0,
            p,
            0,
            address(this)
        );
    }
}
