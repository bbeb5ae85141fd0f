// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../../script/Defaults.sol";
import {IOracleGuard, OracleClass, OracleParams} from "../../../src/interfaces/IOracleGuard.sol";
import {UnitTest} from "../../utils/UnitTest.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Vm} from "forge-std/Vm.sol";

contract OracleGuardVolatilityTest is UnitTest {
    /// @dev 2000 -> 2100 after 60 s, from the default variance (computed offline with 80-digit decimals):
    ///      r = floor(ln(1.05) * 1e18) = 48_790_164_169_432_003
    ///      sample = r^2 / 1e18 / 60 = 39_674_668_661_335
    ///      v = (0.94e18 * 20_294_266_869 + 0.06e18 * sample) / 1e18 = 2_399_556_730_536
    ///      sigma = sqrt(v * 3600 * 1e18) = 92_943_016_036_330_561 (about 9.3% over the one-hour horizon)
    uint256 internal constant V_AFTER_5PCT_IN_60S = 2_399_556_730_536;
    uint256 internal constant IM_AFTER_5PCT_IN_60S = 278_829_048_108_991_683; // kIM (3) * sigma

    function test_update_acceptedReading_ewmaMatchesIndependentComputation() public {
        _movePrice(2100e8, 60);
        guard.update();
        // lnWad may differ from the exact logarithm by a wei; r^2 / 1e18 / 60 absorbs it to within 1.
        assertApproxEqAbs(guard.variance(), V_AFTER_5PCT_IN_60S, 1);
        (uint256 im, uint256 mm) = guard.marginRatios();
        assertApproxEqAbs(im, IM_AFTER_5PCT_IN_60S, 1e6);
        // The MM target is 1.5 * sigma = 13.9%, but it may rise only one 1% step from the 5% floor.
        assertEq(mm, 0.06e18);
    }

    function test_update_acceptedReading_emitsPriceAccepted() public {
        _movePrice(2100e8, 60);
        vm.expectEmit(true, false, false, false, address(guard));
        emit IOracleGuard.PriceAccepted(2, 2100e18, 0, 0, 0);
        guard.update();
    }

    function test_update_zeroReturn_decaysVarianceByLambda() public {
        _movePrice(2000e8, 60);
        guard.update();
        // A zero log-return: v = 0.94 * v0, truncated.
        assertEq(guard.variance(), Defaults.INITIAL_VARIANCE * 94 / 100);
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

    function test_margins_initialMovesAtOnce_maintenanceByCappedSteps() public {
        _movePrice(2100e8, 60);
        guard.update();
        (uint256 im1, uint256 mm1) = guard.marginRatios();
        assertGt(im1, 0.27e18); // 10% -> 27.9% in one reading
        assertEq(mm1, 0.06e18); // 5% -> 6%
        _movePrice(2205e8, 60);
        guard.update();
        (uint256 im2, uint256 mm2) = guard.marginRatios();
        assertGt(im2, im1);
        assertEq(mm2, 0.07e18); // one more step
    }

    function test_margins_maintenanceNeverExceedsInitial_andRisesAtMostOneStepPerReading() public {
        uint256 step = Defaults.oracleParams().mmMaxStep;
        (, uint256 mmBefore) = guard.marginRatios();
        // Alternate +9% / back every second: sigma far above 1, so IM pins at 100% and MM climbs to it.
        for (uint256 i; i < 120; ++i) {
            _movePrice(i % 2 == 0 ? int256(2180e8) : int256(2000e8), 1);
            assertEq(uint8(guard.update().class), uint8(OracleClass.Valid));
            (uint256 im, uint256 mm) = guard.marginRatios();
            assertLe(mm, im, "MM above IM");
            assertLe(mm, mmBefore + step, "MM rose more than one step");
            mmBefore = mm;
        }
        (uint256 imEnd, uint256 mmEnd) = guard.marginRatios();
        assertEq(imEnd, 1e18); // IM is capped at 100%
        assertEq(mmEnd, 1e18); // 5% + 95 steps, then held at IM
    }

    function test_margins_fallBackToFloorsAtOnceWhenVolatilityDecays() public {
        _movePrice(2100e8, 60);
        guard.update();
        _movePrice(2205e8, 60);
        guard.update();
        (, uint256 mmHigh) = guard.marginRatios();
        assertEq(mmHigh, 0.07e18);
        // 60 flat readings: v shrinks by 0.94 each time, to 0.94^60 = 2.4% of itself, under both floors.
        for (uint256 i; i < 60; ++i) {
            _movePrice(2205e8, 60);
            guard.update();
        }
        (uint256 im, uint256 mm) = guard.marginRatios();
        assertEq(im, 0.1e18);
        assertEq(mm, 0.05e18);
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

    function test_RevertWhen_setParamsBad() public {
        OracleParams memory p = Defaults.oracleParams();
        p.kMM = p.kIM + 1;
        bytes memory before = _state();
        vm.expectRevert(IOracleGuard.OracleGuardBadParams.selector);
        guard.setParams(p);
        assertEq(_state(), before);
    }
}
