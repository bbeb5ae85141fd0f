// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../../script/Defaults.sol";
import {OracleGuard} from "../../../src/OracleGuard.sol";
import {AggregatorV3Interface} from "../../../src/interfaces/AggregatorV3Interface.sol";
import {
    IOracleGuard,
    OracleClass,
    OracleParams,
    PendingLevel,
    PriceReading
} from "../../../src/interfaces/IOracleGuard.sol";
import {HostileAggregator} from "../../mocks/HostileAggregator.sol";
import {MockAggregator} from "../../mocks/MockAggregator.sol";
import {UnitTest} from "../../utils/UnitTest.sol";

contract OracleGuardClassificationTest is UnitTest {
    AggregatorV3Interface internal constant NONE = AggregatorV3Interface(address(0));

    function _assertClass(OracleClass expected) internal {
        assertEq(uint8(guard.peek().class), uint8(expected), "peek class");
        assertEq(uint8(guard.update().class), uint8(expected), "update class");
    }

    /// @dev The last good price and round must not move on a rejected reading.
    function _assertNothingAccepted() internal view {
        (uint256 price, uint256 at) = guard.lastGoodPrice();
        assertEq(price, 2000e18, "last good price");
        assertEq(at, 1_700_000_000, "last good time");
        assertEq(guard.lastRoundId(), 1, "last round");
        assertEq(guard.variance(), Defaults.INITIAL_VARIANCE, "variance");
    }

    /* VALID */

    function test_update_freshReading_isValidAndNormalisedToWad() public {
        _movePrice(2050e8, 60);
        PriceReading memory r = guard.update();
        assertEq(uint8(r.class), uint8(OracleClass.Valid));
        // 2050e8 with 8 decimals is 2050e18 in WAD.
        assertEq(r.price, 2050e18);
        assertEq(r.lastGoodPrice, 2050e18);
        (uint256 price, uint256 at) = guard.lastGoodPrice();
        assertEq(price, 2050e18);
        assertEq(at, 1_700_000_060);
        assertEq(guard.lastRoundId(), 2);
    }

    function test_update_sixDecimalPrimaryEighteenDecimalSecondary_normalisedToWad() public {
        MockAggregator p = new MockAggregator(6, 2000e6, 1e6, 1_000_000e6);
        MockAggregator s = new MockAggregator(18, 2000e18, 1e18, 1_000_000e18);
        OracleGuard g = new OracleGuard(
            p, s, NONE, 1e6, 1_000_000e6, Defaults.oracleParams(), Defaults.INITIAL_VARIANCE, address(this)
        );
        (uint256 price,) = g.lastGoodPrice();
        assertEq(price, 2000e18);
        p.setAnswer(2030e6);
        s.setAnswer(2000e18);
        // 30 / 2000 = 1.5% apart: inside the 2% band once both are in WAD.
        PriceReading memory r = g.update();
        assertEq(uint8(r.class), uint8(OracleClass.Valid));
        assertEq(r.price, 2030e18);
    }

    /* STALE */

    function test_update_olderThanMaxAge_isStale() public {
        vm.warp(block.timestamp + 7200);
        feed.setAnswerAt(2010e8, block.timestamp - 3601);
        vm.expectEmit(address(guard));
        emit IOracleGuard.ReadingRejected(OracleClass.Stale, 2, 2010e18);
        _assertClass(OracleClass.Stale);
        _assertNothingAccepted();
    }

    function test_update_exactlyMaxAgeOld_isValid() public {
        vm.warp(block.timestamp + 7200);
        feed.setAnswerAt(2010e8, block.timestamp - 3600);
        _assertClass(OracleClass.Valid);
        assertEq(guard.lastRoundId(), 2);
    }

    function test_update_noNewRoundForLongerThanMaxAge_isStale() public {
        vm.warp(block.timestamp + 3601);
        _assertClass(OracleClass.Stale);
    }

    function test_update_updatedAtInTheFuture_isStale() public {
        feed.setAnswerAt(2010e8, block.timestamp + 1);
        _assertClass(OracleClass.Stale);
        _assertNothingAccepted();
    }

    function test_update_updatedAtZero_isStale() public {
        feed.setAnswerAt(2010e8, 0);
        _assertClass(OracleClass.Stale);
        _assertNothingAccepted();
    }

    function test_update_regressedRound_isStale() public {
        _movePrice(2010e8, 60);
        guard.update();
        assertEq(guard.lastRoundId(), 2);
        // Round 1 (2000, published 60 s ago) is fresh but older than the accepted round 2.
        feed.setReportedRound(1);
        _assertClass(OracleClass.Stale);
        assertEq(guard.lastRoundId(), 2);
        (uint256 price,) = guard.lastGoodPrice();
        assertEq(price, 2010e18);
    }

    /// @dev A newer round id published with a time before the last accepted round's is out of order: Stale.
    function test_update_newerRoundOlderInTime_isStale() public {
        _movePrice(2010e8, 60);
        guard.update(); // round 2, at t0 + 60
        vm.warp(block.timestamp + 60);
        feed.setAnswerAt(2020e8, block.timestamp - 90); // round 3, 30 s before round 2
        feed2.setAnswer(2020e8);
        _assertClass(OracleClass.Stale);
        assertEq(guard.lastRoundId(), 2);
        (uint256 price, uint256 at) = guard.lastGoodPrice();
        assertEq(price, 2010e18);
        assertEq(at, 1_700_000_060);
    }

    function test_update_primaryReverts_isStale() public {
        vm.mockCallRevert(
            address(feed), abi.encodeCall(AggregatorV3Interface.latestRoundData, ()), "feed down"
        );
        PriceReading memory r = guard.update();
        assertEq(uint8(r.class), uint8(OracleClass.Stale));
        assertEq(r.price, 0);
        assertEq(r.lastGoodPrice, 2000e18);
        _assertNothingAccepted();
    }

    /// @dev The guard reads feeds with a low-level staticcall, so a primary that returns malformed data (fewer than
    ///      160 bytes) or whose address has no code reads Stale, like a reverting feed, instead of reverting the
    ///      guard (and with it every market action, deposits and idle withdrawals included). This was a bug.
    function test_update_primaryReturnsMalformedData_isStale() public {
        HostileAggregator p = new HostileAggregator(8, 2000e8);
        OracleGuard g = _deployGuard(p, NONE, NONE);
        p.returnShort();
        PriceReading memory r = g.update();
        assertEq(uint8(r.class), uint8(OracleClass.Stale));
        assertEq(r.price, 0);
        assertEq(r.lastGoodPrice, 2000e18);
        assertEq(uint8(g.peek().class), uint8(OracleClass.Stale));
    }

    function test_update_primaryWithoutCode_isStale() public {
        HostileAggregator p = new HostileAggregator(8, 2000e8);
        OracleGuard g = _deployGuard(p, NONE, NONE);
        vm.etch(address(p), "");
        PriceReading memory r = g.update();
        assertEq(uint8(r.class), uint8(OracleClass.Stale));
        assertEq(r.price, 0);
        assertEq(r.lastGoodPrice, 2000e18);
        assertEq(uint8(g.peek().class), uint8(OracleClass.Stale));
    }

    /* NON-POSITIVE */

    function test_update_zeroAnswer_isNonPositive() public {
        feed.setBounds(type(int256).min, type(int256).max); // no clamp, so 0 reaches the guard
        feed.setAnswer(0);
        vm.expectEmit(address(guard));
        emit IOracleGuard.ReadingRejected(OracleClass.NonPositive, 2, 0);
        PriceReading memory r = guard.update();
        assertEq(uint8(r.class), uint8(OracleClass.NonPositive));
        assertEq(r.price, 0);
        _assertNothingAccepted();
    }

    function test_update_negativeAnswer_isNonPositive() public {
        feed.setBounds(type(int256).min, type(int256).max);
        feed.setAnswer(-1);
        _assertClass(OracleClass.NonPositive);
        _assertNothingAccepted();
    }

    /* AT BOUNDS */

    function test_update_answerClampedToMin_isAtBounds() public {
        // The aggregator pins 0.5 to its minAnswer of 1.
        _setPrice(0.5e8);
        (, int256 answer,,,) = feed.latestRoundData();
        assertEq(answer, Defaults.MIN_ANSWER);
        _assertClass(OracleClass.AtBounds);
        _assertNothingAccepted();
    }

    function test_update_answerClampedToMax_isAtBounds() public {
        _setPrice(2_000_000e8);
        (, int256 answer,,,) = feed.latestRoundData();
        assertEq(answer, Defaults.MAX_ANSWER);
        _assertClass(OracleClass.AtBounds);
        _assertNothingAccepted();
    }

    /* DIVERGED */

    function test_update_beyondDivergenceBand_isDiverged() public {
        feed.setAnswer(2041e8);
        feed2.setAnswer(2000e8);
        // |2041 - 2000| / 2000 = 2.05% > 2%.
        _assertClass(OracleClass.Diverged);
        _assertNothingAccepted();
    }

    function test_update_exactlyAtDivergenceBand_isValid() public {
        feed.setAnswer(2040e8);
        feed2.setAnswer(2000e8);
        // |2040 - 2000| / 2000 = 2.00%, not beyond the band.
        _assertClass(OracleClass.Valid);
        (uint256 price,) = guard.lastGoodPrice();
        assertEq(price, 2040e18);
    }

    function test_update_staleSecondary_isIgnored() public {
        vm.warp(block.timestamp + 3601);
        feed.setAnswer(2000e8);
        // The secondary says 2100 (5% away) but its last round is 3601 s old, beyond secondaryMaxAge.
        feed2.setAnswerAt(2100e8, block.timestamp - 3601);
        _assertClass(OracleClass.Valid);
        assertEq(guard.lastRoundId(), 2);
    }

    function test_update_revertingSecondary_isIgnored() public {
        feed.setAnswer(2010e8);
        vm.mockCallRevert(address(feed2), abi.encodeCall(AggregatorV3Interface.latestRoundData, ()), "");
        _assertClass(OracleClass.Valid);
    }

    /* TOO VOLATILE */

    /// @dev Only the primary moves, after the secondary's last round has aged past secondaryMaxAge.
    function _movePrimaryAlone(int256 answer, uint256 at) internal {
        vm.warp(at);
        feed.setAnswer(answer);
    }

    function test_update_jumpBeyondBand_isTooVolatile() public {
        // 2201 / 2000 - 1 = 10.05% > the 10% jump band, and no fresh secondary confirms it.
        _movePrimaryAlone(2201e8, block.timestamp + 3601);
        _assertClass(OracleClass.TooVolatile);
        _assertNothingAccepted();
    }

    function test_update_jumpExactlyAtBand_isValid() public {
        _movePrice(2200e8, 60);
        _assertClass(OracleClass.Valid);
    }

    function test_update_jumpBeyondBand_confirmedByAFreshSecondary_isValid() public {
        _movePrice(2201e8, 60);
        _assertClass(OracleClass.Valid);
        (uint256 price,) = guard.lastGoodPrice();
        assertEq(price, 2201e18);
    }

    function test_update_jumpBeyondBand_acceptedOnceTheLevelPersistedForJumpResetAfter() public {
        uint256 t1 = block.timestamp + 3601;
        _movePrimaryAlone(2201e8, t1);
        _assertClass(OracleClass.TooVolatile);
        PendingLevel memory q = guard.pendingLevel();
        assertEq(
            abi.encode(q), abi.encode(PendingLevel(2201e18, 2201e18, uint64(t1), q.round)), "pending level"
        );
        // Time passing alone accepts nothing: the same round read an hour later is still refused.
        vm.warp(t1 + 3600);
        _assertClass(OracleClass.TooVolatile);
        // A new round one second short of jumpResetAfter since the level began: refused.
        _movePrimaryAlone(2210e8, t1 + 3599);
        _assertClass(OracleClass.TooVolatile);
        // From t1 + 3600 a new round at the level is accepted.
        _movePrimaryAlone(2205e8, t1 + 3600);
        _assertClass(OracleClass.Valid);
        (uint256 price, uint256 at) = guard.lastGoodPrice();
        assertEq(price, 2205e18);
        assertEq(at, t1 + 3600);
        assertEq(guard.pendingLevel().round, 0, "the pending level is cleared");
    }

    function test_update_pendingLevel_countsTheRoundsNobodyShowedTheGuard() public {
        uint256 t1 = block.timestamp + 3601;
        _movePrimaryAlone(2201e8, t1);
        _assertClass(OracleClass.TooVolatile);
        // Restored in between, and nobody read it: the level did not persist.
        _movePrimaryAlone(2000e8, t1 + 60);
        _movePrimaryAlone(2201e8, t1 + 3600);
        _assertClass(OracleClass.TooVolatile);
        assertEq(guard.pendingLevel().since, t1 + 3600, "the level restarted");
    }

    /* SEQUENCER */

    function _sequencerGuard() internal returns (MockAggregator seq, OracleGuard g) {
        // A Chainlink sequencer-uptime feed: answer 0 = up, 1 = down; startedAt = when the status last changed.
        seq = new MockAggregator(0, 0, 0, 1);
        seq.setAnswerAt(0, block.timestamp - 7200);
        g = _deployGuard(feed, feed2, seq);
    }

    function test_update_sequencerDown_isSequencerDown() public {
        (MockAggregator seq, OracleGuard g) = _sequencerGuard();
        assertEq(uint8(g.update().class), uint8(OracleClass.Valid));
        seq.setAnswer(1);
        vm.expectEmit(address(g));
        emit IOracleGuard.ReadingRejected(OracleClass.SequencerDown, 0, 0);
        assertEq(uint8(g.update().class), uint8(OracleClass.SequencerDown));
    }

    function test_update_sequencerFeedReverts_isSequencerDown() public {
        (MockAggregator seq, OracleGuard g) = _sequencerGuard();
        vm.mockCallRevert(address(seq), abi.encodeCall(AggregatorV3Interface.latestRoundData, ()), "");
        assertEq(uint8(g.update().class), uint8(OracleClass.SequencerDown));
    }

    function test_update_sequencerJustBackUp_isGracePeriodUntilGraceEnds() public {
        (MockAggregator seq, OracleGuard g) = _sequencerGuard();
        seq.setAnswer(1);
        vm.warp(block.timestamp + 600);
        seq.setAnswer(0); // back up now
        assertEq(uint8(g.update().class), uint8(OracleClass.GracePeriod));
        vm.warp(block.timestamp + 3599);
        _setPrice(2000e8);
        assertEq(uint8(g.update().class), uint8(OracleClass.GracePeriod));
        // The grace period is 3600 s from the moment the sequencer came back.
        vm.warp(block.timestamp + 1);
        assertEq(uint8(g.update().class), uint8(OracleClass.Valid));
    }

    /* CONSTRUCTOR */

    function test_RevertWhen_constructedWithZeroPrimary() public {
        vm.expectRevert(abi.encodeWithSelector(IOracleGuard.OracleGuardBadFeed.selector, address(0)));
        _deployGuard(NONE, feed2, NONE);
    }

    function test_RevertWhen_primaryDecimalsZero() public {
        MockAggregator f = new MockAggregator(0, 2000, 1, 1_000_000);
        vm.expectRevert(abi.encodeWithSelector(IOracleGuard.OracleGuardBadDecimals.selector, address(f), 0));
        _deployGuard(f, NONE, NONE);
    }

    function test_RevertWhen_primaryDecimalsAboveEighteen() public {
        MockAggregator f = new MockAggregator(19, 2000e19, 1e19, 1_000_000e19);
        vm.expectRevert(abi.encodeWithSelector(IOracleGuard.OracleGuardBadDecimals.selector, address(f), 19));
        _deployGuard(f, NONE, NONE);
    }

    function test_RevertWhen_secondaryDecimalsAboveEighteen() public {
        MockAggregator f = new MockAggregator(19, 2000e19, 1e19, 1_000_000e19);
        vm.expectRevert(abi.encodeWithSelector(IOracleGuard.OracleGuardBadDecimals.selector, address(f), 19));
        _deployGuard(feed, f, NONE);
    }

    function test_RevertWhen_minAnswerNotBelowMaxAnswer() public {
        OracleParams memory p = Defaults.oracleParams();
        vm.expectRevert(IOracleGuard.OracleGuardBadParams.selector);
        new OracleGuard(feed, feed2, NONE, 5e8, 5e8, p, Defaults.INITIAL_VARIANCE, address(this));
    }

    function test_RevertWhen_constructedWithBadParams() public {
        OracleParams[] memory bad = new OracleParams[](10);
        for (uint256 i; i < bad.length; ++i) {
            bad[i] = Defaults.oracleParams();
        }
        bad[0].maxAge = 0;
        bad[1].ewmaLambda = 0;
        bad[2].ewmaLambda = 1e18;
        bad[3].mmFloor = 0;
        bad[4].mmFloor = bad[4].imFloor;
        bad[5].imFloor = 1e18 + 1;
        bad[6].kMM = bad[6].kIM + 1;
        bad[7].jumpBand = 0;
        bad[8].divergenceBand = 0;
        bad[9].liquidationHorizon = 0;
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(IOracleGuard.OracleGuardBadParams.selector);
            new OracleGuard(
                feed, feed2, NONE, Defaults.MIN_ANSWER, Defaults.MAX_ANSWER, bad[i], 0, address(this)
            );
        }
    }

    function test_RevertWhen_initialReadingStale() public {
        vm.warp(block.timestamp + 3601);
        vm.expectRevert(
            abi.encodeWithSelector(IOracleGuard.OracleGuardInitialReadingInvalid.selector, OracleClass.Stale)
        );
        _deployGuard(feed, feed2, NONE);
    }

    function test_RevertWhen_initialReadingAtBounds() public {
        _setPrice(Defaults.MAX_ANSWER);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleGuard.OracleGuardInitialReadingInvalid.selector, OracleClass.AtBounds
            )
        );
        _deployGuard(feed, feed2, NONE);
    }

    function test_RevertWhen_initialReadingDiverged() public {
        feed.setAnswer(2100e8);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleGuard.OracleGuardInitialReadingInvalid.selector, OracleClass.Diverged
            )
        );
        _deployGuard(feed, feed2, NONE);
    }

    function test_RevertWhen_initialReadingWhileSequencerDown() public {
        MockAggregator seq = new MockAggregator(0, 0, 0, 1);
        seq.setAnswerAt(1, block.timestamp - 7200);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleGuard.OracleGuardInitialReadingInvalid.selector, OracleClass.SequencerDown
            )
        );
        _deployGuard(feed, feed2, seq);
    }
}
