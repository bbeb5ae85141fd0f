// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../../script/Defaults.sol";
import {Market} from "../../../src/Market.sol";
import {ILiquidityPool} from "../../../src/interfaces/ILiquidityPool.sol";
import {IMarket, RiskParams} from "../../../src/interfaces/IMarket.sol";
import {MockERC20} from "../../mocks/MockERC20.sol";
import {UnitTest} from "../../utils/UnitTest.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @dev Every rejected call reverts with its own error and leaves every piece of state as it was.
contract MarketBadInputTest is UnitTest {
    bytes internal _before;

    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 1e18);
        _depositMargin(bob, 1000e6);
        _fund(bob, 1000e6); // a wallet balance and allowances, for the calls below
        _before = _state();
    }

    function _assertNothingChanged() internal view {
        assertEq(_state(), _before, "state changed");
    }

    /* ZERO AMOUNTS AND SIZES */

    function test_RevertWhen_depositZero() public {
        vm.prank(bob);
        vm.expectRevert(IMarket.MarketZeroAmount.selector);
        market.deposit(0);
        _assertNothingChanged();
    }

    function test_RevertWhen_withdrawZero() public {
        vm.prank(bob);
        vm.expectRevert(IMarket.MarketZeroAmount.selector);
        market.withdraw(0);
        _assertNothingChanged();
    }

    function test_RevertWhen_fundInsuranceZero() public {
        vm.prank(bob);
        vm.expectRevert(IMarket.MarketZeroAmount.selector);
        market.fundInsurance(0);
        _assertNothingChanged();
    }

    function test_RevertWhen_modifyByZero() public {
        vm.prank(alice);
        vm.expectRevert(IMarket.MarketZeroSize.selector);
        market.modifyPosition(0, 0);
        _assertNothingChanged();
    }

    function test_RevertWhen_closingWithoutPosition() public {
        vm.prank(bob);
        vm.expectRevert(IMarket.MarketZeroSize.selector);
        market.closePosition(0);
        _assertNothingChanged();
    }

    function test_RevertWhen_lpDepositZero() public {
        vm.prank(bob);
        vm.expectRevert(ILiquidityPool.PoolZeroShares.selector);
        pool.deposit(0, bob);
        _assertNothingChanged();
    }

    /* BEYOND LIMITS */

    function test_RevertWhen_longBeyondOpenInterestCap() public {
        // Alice holds 1 unit; 1,000 more puts the long side at 1,001 against the 1,000 cap.
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOpenInterestCap.selector, 1001e18, 1000e18));
        market.modifyPosition(1000e18, 0);
        _assertNothingChanged();
    }

    function test_RevertWhen_shortBeyondOpenInterestCap() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOpenInterestCap.selector, 1000e18 + 1, 1000e18));
        market.modifyPosition(-1000e18 - 1, 0);
        _assertNothingChanged();
    }

    /// @dev Sizes no cap could admit (beyond twice the cap) are refused before any arithmetic could overflow on
    ///      them, with the size itself in the error.
    function test_RevertWhen_absurdSizes_refusedBeforeAnyArithmetic() public {
        int256[3] memory sizes = [type(int256).max, int256(2000e18 + 1), -int256(2000e18 + 1)];
        uint256[3] memory abs = [uint256(type(int256).max), 2000e18 + 1, 2000e18 + 1];
        for (uint256 i; i < sizes.length; ++i) {
            vm.prank(alice);
            vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOpenInterestCap.selector, abs[i], 1000e18));
            market.modifyPosition(sizes[i], 0);
        }
        _assertNothingChanged();
    }

    /// @dev Regression: SignedMath.abs could not negate type(int256).min and panicked.
    function test_RevertWhen_sizeIsInt256Min_refusedWithTheCapError() public {
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMarket.MarketOpenInterestCap.selector, uint256(type(int256).max) + 1, 1000e18
            )
        );
        market.modifyPosition(type(int256).min, 0);
        _assertNothingChanged();
    }

    function test_RevertWhen_depositMoreThanWalletHolds() public {
        vm.prank(bob);
        vm.expectRevert(SafeTransferLib.TransferFromFailed.selector);
        market.deposit(1000e6 + 1);
        _assertNothingChanged();
    }

    function test_RevertWhen_withdrawMoreThanMargin() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketInsufficientFreeMargin.selector, 1001e6, 1000e6));
        market.withdraw(1001e6);
        _assertNothingChanged();
    }

    function test_RevertWhen_openBeyondMargin() public {
        // 5 units: 10,000 of notional needs 1,000 of IM; bob's 1,000 less the 10 fee is 990.
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, int256(990e6), 1000e6)
        );
        market.modifyPosition(5e18, 0);
        _assertNothingChanged();
    }

    function test_RevertWhen_priceLimitMissed() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketPriceLimit.selector, 2000e18, 1999e18));
        market.modifyPosition(1e18, 1999e18);
        _assertNothingChanged();
    }

    function test_RevertWhen_liquidatingAccountWithoutPosition() public {
        vm.prank(keeper);
        vm.expectRevert(IMarket.MarketNoPosition.selector);
        market.liquidate(bob);
        _assertNothingChanged();
    }

    function test_RevertWhen_liquidatingHealthyAccount() public {
        vm.prank(keeper);
        vm.expectPartialRevert(IMarket.MarketNotLiquidatable.selector);
        market.liquidate(alice);
        _assertNothingChanged();
    }

    /* UNAUTHORISED */

    function test_RevertWhen_setRiskParamsByStranger() public {
        RiskParams memory r = Defaults.riskParams();
        r.tradingFee = 0;
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        market.setRiskParams(r);
        _assertNothingChanged();
    }

    function test_RevertWhen_setPoolByStranger() public {
        Market fresh = new Market(address(usd), guard, Defaults.riskParams(), address(this));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        fresh.setPool(stranger);
        assertEq(fresh.pool(), address(0));
    }

    function test_RevertWhen_setPoolTwice() public {
        vm.expectRevert(IMarket.MarketPoolAlreadySet.selector);
        market.setPool(stranger);
        _assertNothingChanged();
    }

    function test_RevertWhen_setPoolToZero() public {
        Market fresh = new Market(address(usd), guard, Defaults.riskParams(), address(this));
        vm.expectRevert(IMarket.MarketBadParams.selector);
        fresh.setPool(address(0));
        assertEq(fresh.pool(), address(0));
    }

    function test_RevertWhen_poolHooksCalledByOthers() public {
        // The owner is no exception: only the pool may move pool cash.
        address[2] memory callers = [stranger, address(this)];
        for (uint256 i; i < callers.length; ++i) {
            vm.startPrank(callers[i]);
            vm.expectRevert(IMarket.MarketOnlyPool.selector);
            market.onPoolDeposit(1000e6);
            vm.expectRevert(IMarket.MarketOnlyPool.selector);
            market.onPoolWithdraw(callers[i], 1000e6);
            vm.stopPrank();
        }
        _assertNothingChanged();
    }

    function test_RevertWhen_poolHooksCalledBeforePoolIsSet() public {
        Market fresh = new Market(address(usd), guard, Defaults.riskParams(), address(this));
        vm.expectRevert(IMarket.MarketOnlyPool.selector);
        fresh.onPoolWithdraw(stranger, 1);
    }

    function test_RevertWhen_executeCalledDirectly() public {
        vm.startPrank(stranger);
        vm.expectRevert(IMarket.MarketOnlySelf.selector);
        market.executeDeposit(stranger, 1e6);
        vm.expectRevert(IMarket.MarketOnlySelf.selector);
        market.executeWithdraw(bob, 1000e6);
        vm.expectRevert(IMarket.MarketOnlySelf.selector);
        market.executeModify(alice, -1e18, 0);
        vm.expectRevert(IMarket.MarketOnlySelf.selector);
        market.executeLiquidate(alice, stranger);
        vm.expectRevert(IMarket.MarketOnlySelf.selector);
        market.executePoolDeposit(1e6);
        vm.expectRevert(IMarket.MarketOnlySelf.selector);
        market.executePoolWithdraw(stranger, 1000e6);
        vm.expectRevert(IMarket.MarketOnlySelf.selector);
        market.executeFundInsurance(bob, 1e6);
        vm.stopPrank();
        // Not even the pool or the owner.
        vm.prank(address(pool));
        vm.expectRevert(IMarket.MarketOnlySelf.selector);
        market.executePoolWithdraw(address(pool), 1000e6);
        vm.expectRevert(IMarket.MarketOnlySelf.selector);
        market.executeWithdraw(bob, 1000e6);
        _assertNothingChanged();
    }

    /* BAD PARAMETERS */

    /// @dev Each hard bound, one field at a time: the field is first walked to its limit in legal factor-two steps
    ///      (the step check runs before the bounds, so a single call from the defaults would be a StepTooLarge),
    ///      then one unit past it is refused with MarketBadParams and changes nothing.
    function test_RevertWhen_badRiskParams() public {
        RiskParams[] memory limit = new RiskParams[](6);
        for (uint256 i; i < limit.length; ++i) {
            limit[i] = Defaults.riskParams();
        }
        limit[0].tradingFee = 0.05e18;
        limit[1].insuranceFeeShare = 1e18;
        limit[2].liquidationPenalty = 0.2e18;
        limit[3].keeperRewardShare = 1e18;
        limit[4].maxFundingRate = 1e14;
        limit[5].minBacking = 10e18;
        for (uint256 i; i < limit.length; ++i) {
            uint256 snapshot = vm.snapshotState();
            assertGt(_setRiskParamsInSteps(limit[i]), 1, "more than one step to the limit");
            RiskParams memory bad = market.riskParams();
            if (i == 0) bad.tradingFee += 1;
            if (i == 1) bad.insuranceFeeShare += 1;
            if (i == 2) bad.liquidationPenalty += 1;
            if (i == 3) bad.keeperRewardShare += 1;
            if (i == 4) bad.maxFundingRate += 1;
            if (i == 5) bad.minBacking += 1;
            bytes memory atLimit = _state();
            vm.expectRevert(IMarket.MarketBadParams.selector);
            market.setRiskParams(bad);
            assertEq(_state(), atLimit, "state changed");
            vm.revertToState(snapshot);
        }
        _assertNothingChanged();
    }

    /// @dev A zero skew scale or open-interest cap is out of bounds (see the constructor test below), and from a
    ///      positive value it is never a factor-two step either: the step check refuses it first.
    function test_RevertWhen_riskParamsZeroScaleOrCap() public {
        RiskParams[] memory bad = new RiskParams[](2);
        (bad[0], bad[1]) = (Defaults.riskParams(), Defaults.riskParams());
        bad[0].skewScale = 0;
        bad[1].maxOpenInterest = 0;
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(IMarket.MarketStepTooLarge.selector);
            market.setRiskParams(bad[i]);
        }
        _assertNothingChanged();
    }

    /// @dev Every limit at once, reached in factor-two steps; the last step emits the limits themselves.
    function test_setRiskParams_limitsThemselvesAreAccepted() public {
        RiskParams memory r = RiskParams({
            tradingFee: 0.05e18,
            insuranceFeeShare: 1e18,
            liquidationPenalty: 0.2e18,
            keeperRewardShare: 1e18,
            maxFundingRate: 1e14,
            minBacking: 10e18,
            skewScale: 1,
            maxOpenInterest: 1
        });
        RiskParams memory current = market.riskParams();
        while (true) {
            current = _riskStep(current, r);
            if (keccak256(abi.encode(current)) == keccak256(abi.encode(r))) break;
            market.setRiskParams(current);
        }
        vm.expectEmit(address(market));
        emit IMarket.RiskParamsUpdated(r);
        market.setRiskParams(r);
        assertEq(abi.encode(market.riskParams()), abi.encode(r));
    }

    function test_RevertWhen_marketCollateralHasMoreThan18Decimals() public {
        MockERC20 token = new MockERC20("Wide", "W", 19);
        vm.expectRevert(IMarket.MarketBadParams.selector);
        new Market(address(token), guard, Defaults.riskParams(), address(this));
    }

    function test_RevertWhen_marketConstructedWithBadRiskParams() public {
        RiskParams memory r = Defaults.riskParams();
        r.skewScale = 0;
        vm.expectRevert(IMarket.MarketBadParams.selector);
        new Market(address(usd), guard, r, address(this));
    }
}
