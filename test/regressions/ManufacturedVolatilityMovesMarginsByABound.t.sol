// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {OracleParams} from "../../src/interfaces/IOracleGuard.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @notice Issue 9 property 4 (the Harvest shape): pushes under the jump band and back, one round per block, were each
///         Valid and walked MM up by mmMaxStep per round, to 32%, liquidating honest accounts on volatility the
///         attacker made. Property: manufactured volatility moves the margins by at most a stated bound — MM rises by
///         at most mmMaxStep per liquidationHorizon of feed time however many rounds carry the rise, and each round
///         adds at most r^2 * |ln lambda| to sigma^2.
contract ManufacturedVolatilityMovesMarginsByABoundTest is IntegrationBase {
    /// @dev +2% / -2% on both feeds every 12 s for an hour: 300 rounds, each Valid.
    function test_grindingUnderTheBand_raisesMaintenanceByAtMostOneStepPerHorizon() public {
        OracleParams memory p = guard.params();
        (uint256 im0, uint256 mm0) = guard.marginRatios();
        uint256 sigma2Before = guard.variance() * p.liquidationHorizon;
        uint256 start = block.timestamp;
        for (uint256 i; i < 300; ++i) {
            _step(i % 2 == 0 ? int256(2040e8) : int256(2000e8), 12);
            (, uint256 mm) = guard.marginRatios();
            uint256 bound = mm0 + p.mmMaxStep * (block.timestamp - start) / p.liquidationHorizon;
            assertLe(mm, bound, "MM rose faster than mmMaxStep per liquidationHorizon");
        }
        // Each round adds at most r^2 |ln lambda| to sigma^2 (the EWMA's time weighting).
        uint256 r = uint256(M.lnWad(1.02e18));
        uint256 perRound = r * r / 1e18 * uint256(-M.lnWad(int256(uint256(p.ewmaLambda)))) / 1e18;
        assertLe(guard.variance() * p.liquidationHorizon, sigma2Before + 300 * perRound, "sigma^2 bound");
        (uint256 im,) = guard.marginRatios();
        assertGt(im, im0, "the grinding did raise IM (new risk pays for it at once)");
    }
}
