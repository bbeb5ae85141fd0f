// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../../script/Defaults.sol";
import {IOracleGuard, OracleClass, OracleParams} from "../../../src/interfaces/IOracleGuard.sol";
import {UnitTest} from "../../utils/UnitTest.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Vm} from "forge-std/Vm.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

contract OracleGuardVolatilityTest is UnitTest {
    /// @dev 2000 -> 2100 after 60 s, from the default variance (computed offline with 80-digit decimals):
    ///      r = floor(ln(1.05) * 1e18) = 48_790_164_169_432_003
    ///      sample = r^2 / 1e18 / 60 = 39_674_668_661_335
    ///      w = 0.94^(60 / 3600) = 0.998969274833843889 (the old variance's weight over 60 s of a one-hour horizon)
    ///      v = w * 20_294_266_869 + (1 - w) * sample = 61_167_028_505.55
    ///      sigma = sqrt(v * 3600) = 1.48% over the one-hour horizon: kIM * sigma = 4.45%, under the 10% floor
    uint256 internal constant V_AFTER_5PCT_IN_60S = 61_167_028_505;

    function test_update_acceptedReading_ewmaMatchesIndependentComputation() public {
        _movePrice(2100e8, 60);
        guard.update();
        // lnWad and expWad may each differ from the exact value by a few wei; v absorbs it to within 2.
        assertApproxEqAbs(guard.variance(), V_AFTER_5PCT_IN_60S, 2);
        _assertMarginFloors();
    }

    function test_update_acceptedReading_emitsPriceAccepted() public {
        _movePrice(2100e8, 60);
        vm.expectEmit(true, false, false, false, address(guard));
        emit IOracleGuard.PriceAccepted(2, 2100e18, 0, 0, 0);
        guard.update();
    }

    function test_update_zeroReturn_decaysVarianceByLambdaPerHorizon() public {
        _movePrice(2000e8, 60);
        guard.update();
        // A zero log-return over 60 s: v = 0.94^(60/3600) * v0 = 20_273_349_057.41 (offline, 80 digits).
        assertApproxEqAbs(guard.variance(), 20_273_349_057, 1);
        _movePrice(2000e8, 3600);
        guard.update();
        // Over a whole horizon the old variance keeps lambda itself.
        assertApproxEqAbs(guard.variance(), uint256(20_273_349_057) * 94 / 100, 2);
    }

    function test_update_sameRoundTwice_acceptsOnce() public {
        _movePrice(2100e8, 60);
        vm.recordLogs();
        guard.update();
        uint256 v = guard.variance();
        (uint256 im, uint256 mm) = guard.marginRatios();
        guard.update();
        guard.update();
        assertEq(guard.variance(), v);
        (uint256 im2, uint256 mm2) = guard.marginRatios();
        assertEq(im2, im);
        assertEq(mm2, mm);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 accepted;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IOracleGuard.PriceAccepted.selector) ++accepted;
        }
        assertEq(accepted, 1);
    }

    /// @dev A second round in the same second is accepted (a new last good price and round) but is no variance
    ///      sample: a return over zero time says nothing about volatility.
    function test_update_sameSecondRound_acceptedWithoutAVarianceSample() public {
        _movePrice(2100e8, 60);
        guard.update();
        uint256 v = guard.variance();
        (uint256 im, uint256 mm) = guard.marginRatios();
        _setPrice(2150e8); // round 3, same block time as round 2
        assertEq(uint8(guard.update().class), uint8(OracleClass.Valid));
        assertEq(guard.lastRoundId(), 3);
        (uint256 price, uint256 at) = guard.lastGoodPrice();
        assertEq(price, 2150e18);
        assertEq(at, block.timestamp);
        assertEq(guard.variance(), v, "no sample");
        (uint256 im2, uint256 mm2) = guard.marginRatios();
        assertEq(im2, im);
        assertEq(mm2, mm);
    }

    function test_peek_neverAccepts() public {
        _movePrice(2100e8, 60);
        assertEq(guard.peek().lastGoodPrice, 2100e18);
        assertEq(guard.variance(), Defaults.INITIAL_VARIANCE);
        assertEq(guard.lastRoundId(), 1);
        (uint256 price,) = guard.lastGoodPrice();
        assertEq(price, 2000e18);
    }

    function test_initialMargins_atFloorsForDefaultVariance() public view {
        // sigma0 = sqrt(20_294_266_869 * 3600 * 1e18) = 0.85%: 3 * sigma0 < 10% and 1.5 * sigma0 < 5%.
        (uint256 im, uint256 mm) = guard.marginRatios();
        assertEq(im, 0.1e18);
        assertEq(mm, 0.05e18);
    }

    /// @dev Alternating +9% / -8.3% rounds `dt` apart, `n` times: each adds about r^2 |ln 0.94| = 0.046% to sigma^2.
    function _grind(uint256 n, uint256 dt) internal {
        for (uint256 i; i < n; ++i) {
            (, int256 answer,,,) = feed.latestRoundData();
            _movePrice(answer == 2000e8 ? int256(2180e8) : int256(2000e8), dt);
            assertEq(uint8(guard.update().class), uint8(OracleClass.Valid));
        }
    }

    function test_margins_initialMovesAtOnce_maintenanceByCappedSteps() public {
        // Four 9% moves a minute apart: sigma^2 = 4 * 0.046% + 0.007% = 0.19%, sigma = 4.4%, kIM * sigma = 13.1%.
        _grind(4, 60);
        (uint256 im1, uint256 mm1) = guard.marginRatios();
        assertGt(im1, 0.13e18, "IM moves at once");
        assertGt(mm1, 0.05e18);
        _grind(1, 60);
        (uint256 im2, uint256 mm2) = guard.marginRatios();
        assertGt(im2, im1);
        assertGt(mm2, mm1, "one more step");
        assertLe(mm2, mm1 + Defaults.oracleParams().mmMaxStep);
    }

    function test_margins_maintenanceNeverExceedsInitial_andRisesAtMostOneStepPerHorizon() public {
        uint256 step = Defaults.oracleParams().mmMaxStep;
        (, uint256 mm0) = guard.marginRatios();
        uint256 start = block.timestamp;
        // Alternate +9% / back every second: each move adds sigma^2 of about 0.046%, so after some 250 moves sigma
        // passes 1/3 and IM pins at 100%; MM's target follows, but MM rises by mmMaxStep per hour of feed time.
        for (uint256 i; i < 300; ++i) {
            _grind(1, 1);
            (uint256 im, uint256 mm) = guard.marginRatios();
            assertLe(mm, im, "MM above IM");
            assertLe(mm, mm0 + step * (block.timestamp - start) / 3600, "MM rose faster than a step per hour");
        }
        (uint256 imEnd, uint256 mmEnd) = guard.marginRatios();
        assertEq(imEnd, 1e18); // IM is capped at 100%
        assertGt(mmEnd, mm0, "MM rose");
        assertLt(
            mmEnd, 1.5e18 * FixedPointMathLib.sqrtWad(guard.variance() * 3600) / 1e18, "MM lags its target"
        );
    }

    function test_margins_fallBackToFloorsAtOnceWhenVolatilityDecays() public {
        _grind(6, 60);
        (uint256 imHigh, uint256 mmHigh) = guard.marginRatios();
        assertGt(imHigh, 0.15e18);
        assertGt(mmHigh, 0.05e18);
        // Flat hourly readings: v shrinks by 0.94 per hour, to 0.94^24 = 23% of itself in a day, under both floors.
        for (uint256 i; i < 24; ++i) {
            (uint256 im0, uint256 mm0) = guard.marginRatios();
            _movePrice(2000e8, 3600);
            guard.update();
            (uint256 im, uint256 mm) = guard.marginRatios();
            assertLe(im, im0, "IM rose on a flat reading");
            assertLe(mm, mm0, "MM rose on a flat reading");
        }
        (uint256 imEnd, uint256 mmEnd) = guard.marginRatios();
        assertEq(imEnd, 0.1e18);
        assertEq(mmEnd, 0.05e18);
    }

    /* GOVERNANCE */

    function test_setParams_byOwner_storesAndEmits() public {
        OracleParams memory p = Defaults.oracleParams();
        p.jumpBand = 0.2e18;
        vm.expectEmit(address(guard));
        emit IOracleGuard.OracleParamsUpdated(p);
        guard.setParams(p);
        assertEq(guard.params().jumpBand, 0.2e18);
        // A 15% jump, refused before, is now accepted.
        _movePrice(2300e8, 60);
        assertEq(uint8(guard.update().class), uint8(OracleClass.Valid));
    }

    function test_RevertWhen_setParamsByStranger() public {
        OracleParams memory p = Defaults.oracleParams();
        p.jumpBand = 0.5e18;
        bytes memory before = _state();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        guard.setParams(p);
        assertEq(_state(), before);
    }

    /// @dev Relations and bounds that a single factor-two step can break are refused with OracleGuardBadParams.
    function test_RevertWhen_setParamsBad() public {
        OracleParams[] memory bad = new OracleParams[](3);
        for (uint256 i; i < bad.length; ++i) {
            bad[i] = Defaults.oracleParams();
        }
        (bad[0].kIM, bad[0].kMM) = (2e18, 2e18 + 1); // kMM above kIM
        (bad[1].imFloor, bad[1].mmFloor) = (0.06e18, 0.06e18); // MM floor not below the IM floor
        bad[2].ewmaLambda = 1e18; // lambda must stay below one (0.94 -> 1 is within one step)
        bytes memory before = _state();
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(IOracleGuard.OracleGuardBadParams.selector);
            guard.setParams(bad[i]);
        }
        assertEq(_state(), before);
    }

    /// @dev The step check runs first: a change beyond a factor of two is OracleGuardStepTooLarge even when it would
    ///      also break a bound, and zero is never a step from a positive value.
    function test_RevertWhen_setParamsStepTooLarge() public {
        OracleParams[] memory bad = new OracleParams[](4);
        for (uint256 i; i < bad.length; ++i) {
            bad[i] = Defaults.oracleParams();
        }
        bad[0].kMM = bad[0].kIM + 1; // out of bounds too, but 1.5 -> 3 is past a factor of two
        bad[1].maxAge = 0;
        bad[2].jumpBand = 0.2e18 + 1;
        bad[3].ewmaLambda = 0; // out of bounds too, but zero is never a step from a positive value
        bytes memory before = _state();
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(IOracleGuard.OracleGuardStepTooLarge.selector);
            guard.setParams(bad[i]);
        }
        assertEq(_state(), before);
    }

    /// @dev Every field moves by at most a factor of two per change (regression: secondaryMaxAge,
    ///      sequencerGracePeriod, jumpResetAfter and ewmaLambda once moved any distance; jumpResetAfter = 0 would have
    ///      switched the jump check off).
    function test_RevertWhen_setParamsStepTooLarge_everyField() public {
        OracleParams[] memory bad = new OracleParams[](4);
        for (uint256 i; i < bad.length; ++i) {
            bad[i] = Defaults.oracleParams();
        }
        bad[0].jumpResetAfter = 0;
        bad[1].sequencerGracePeriod = 3600 * 2 + 1; // 0 is within its first step (MarketParams)
        bad[2].secondaryMaxAge = 3600 * 2 + 1;
        bad[3].ewmaLambda = 0.94e18 / 2 - 1;
        bytes memory before = _state();
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(IOracleGuard.OracleGuardStepTooLarge.selector);
            guard.setParams(bad[i]);
        }
        assertEq(_state(), before);
    }

    /// @dev New floors apply to the margins at once. At the initial variance kIM * sigma (about 2.6%) and kMM * sigma
    ///      (about 1.3%) are below the floors, so the ratios are the floors themselves; MM rises by one step at most.
    function test_setParams_appliesTheNewMarginsAtOnce() public {
        _assertMarginFloors();
        OracleParams memory p = Defaults.oracleParams();
        (p.imFloor, p.mmFloor) = (0.2e18, 0.1e18);
        guard.setParams(p);
        (uint256 im, uint256 mm) = guard.marginRatios();
        assertEq(im, 0.2e18, "IM moves at once");
        assertEq(mm, 0.06e18, "MM rises by one mmMaxStep");
        (p.imFloor, p.mmFloor) = (0.1e18, 0.05e18);
        guard.setParams(p);
        (p.imFloor, p.mmFloor) = (0.05e18, 0.025e18);
        guard.setParams(p);
        (im, mm) = guard.marginRatios();
        assertEq(im, 0.05e18);
        assertEq(mm, 0.025e18, "MM falls at once");
    }
}
