// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../../script/Defaults.sol";
import {IMarket, MarginAccount, Mode, RiskParams} from "../../../src/interfaces/IMarket.sol";
import {UnitTest} from "../../utils/UnitTest.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {Vm} from "forge-std/Vm.sol";

/// @dev Default funding: 1e-7 per second at a net size of 1,000 units, linear in the skew. At 2,000 a unit
///      with 8 units net long the rate is 8e-10 per second and the index grows by 8e-10 * 2,000 = 1.6e-6 of
///      collateral per unit per second: 5.76e-3 over an hour.
contract MarketFundingTest is UnitTest {
    function setUp() public override {
        super.setUp();
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 10_000e6);
        _depositMargin(bob, 10_000e6);
    }

    /// @dev Lets an hour pass with the price unchanged (a fresh round, so the reading stays Valid).
    function _hourLater() internal {
        _movePrice(2000e8, 3600);
    }

    /// @dev A 1-unit deposit: the cheapest touch, which settles the account's funding.
    function _touch(address who) internal {
        _fund(who, 1e6);
        vm.prank(who);
        market.deposit(1e6);
    }

    function _touchExpecting(address who, int256 owed) internal {
        _fund(who, 1e6);
        vm.expectEmit(address(market));
        emit IMarket.FundingSettled(who, owed);
        vm.prank(who);
        market.deposit(1e6);
    }

    function test_fundingRate_linearInSkewAndSigned() public {
        assertEq(market.fundingRate(), 0);
        _open(alice, 10e18);
        // 10 / 1,000 of the 1e11 max.
        assertEq(market.fundingRate(), 1e9);
        _open(bob, -30e18);
        // Net short 20: shorts pay.
        assertEq(market.fundingRate(), -2e9);
    }

    function test_fundingRate_cappedAtMaxFundingRate() public {
        RiskParams memory r = Defaults.riskParams();
        r.skewScale = 5e18;
        // 1,000 -> 5 units moves by more than a factor of two: governance gets there in steps.
        assertEq(_setRiskParamsInSteps(r), 8); // 500, 250, 125, 62.5, 31.25, 15.625, 7.8125, 5
        assertEq(market.riskParams().skewScale, 5e18);
        _open(alice, 10e18);
        assertEq(market.fundingRate(), int256(uint256(r.maxFundingRate)));
        _open(bob, -20e18);
        assertEq(market.fundingRate(), -int256(uint256(r.maxFundingRate)));
    }

    function test_funding_longsPayWhenNetLong_settledOnTouch() public {
        _open(alice, 10e18);
        _open(bob, -2e18);
        uint256 cashBefore = uint256(market.aggregates().poolCash);
        _hourLater();
        // Index after an hour: 8e8 * 2,000 * 3,600 = 5.76e15.
        assertEq(market.currentFundingIndex(), 5.76e15);
        // Alice owes 10 * 5.76e-3 = 0.0576; bob is owed 2 * 5.76e-3 = 0.01152.
        _touchExpecting(alice, 57_600);
        _touchExpecting(bob, -11_520);
        MarginAccount memory a = market.accountOf(alice);
        MarginAccount memory b = market.accountOf(bob);
        assertEq(a.margin, 9980e6 - 57_600 + 1e6);
        assertEq(b.margin, 9996e6 + 11_520 + 1e6);
        assertEq(a.fundingIndex, 5.76e15);
        assertEq(b.fundingIndex, 5.76e15);
        assertEq(uint256(market.aggregates().poolCash), cashBefore + 57_600 - 11_520);
    }

    function test_funding_notSettledUntilTouched() public {
        _open(alice, 10e18);
        _hourLater();
        market.refresh();
        // The market index moved; alice's margin and index did not.
        assertEq(market.aggregates().fundingIndex, 7.2e15); // 1e9 * 2,000 * 3,600
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.margin, 9980e6);
        assertEq(a.fundingIndex, 0);
        // ...but her health counts it: 10 * 7.2e-3 = 0.072 owed.
        (int256 equity,,,) = market.accountHealth(alice);
        assertEq(equity, 9980e6 - 72_000);
    }

    function test_poolEquity_countsFundingOwedBeforeSettlement() public {
        _open(alice, 10e18);
        _open(bob, -2e18);
        int256 before = market.poolEquity();
        _hourLater();
        // Net 8 units owe 8 * 5.76e-3 = 0.04608 to the pool; nobody has settled yet.
        assertEq(market.poolEquity(), before + 46_080);
        assertEq(pool.totalAssets(), uint256(before + 46_080));
        // Settling moves it from "owed" to "cash" and leaves equity where it was.
        _touch(alice);
        _touch(bob);
        assertEq(market.poolEquity(), before + 46_080);
    }

    function test_funding_eachIntervalAccruesAtItsOwnSkew() public {
        _open(alice, 10e18);
        vm.warp(block.timestamp + 1000);
        // Bob takes the other side (at a fresh round: an increase needs one at most MAX_TRADE_AGE old, and the same
        // price moves no funding): from here the skew, and the rate, are 0.
        _setPrice(2000e8);
        _open(bob, -10e18);
        assertEq(market.fundingRate(), 0);
        vm.warp(block.timestamp + 1000);
        _touch(alice);
        _touch(bob);
        // Only the first 1,000 s at 1e9: index 1e9 * 2,000 * 1,000 = 2e15; alice owes 10 * 2e-3 = 0.02.
        assertEq(market.aggregates().fundingIndex, 2e15);
        assertEq(market.accountOf(alice).margin, 9980e6 - 20_000 + 1e6);
        assertEq(market.accountOf(bob).margin, 9980e6 + 1e6);
    }

    function test_funding_accountWithoutPositionNeverPays() public {
        _depositMargin(carol, 500e6);
        _open(alice, 10e18);
        _hourLater();
        _touch(carol);
        assertEq(market.accountOf(carol).margin, 501e6);
        vm.prank(carol);
        market.withdraw(501e6);
        assertEq(usd.balanceOf(carol), 501e6);
    }

    /// @dev Funding paid *to* an account comes out of pool cash, so LPs must not be able to take out the cash that
    ///      winners are owed: an LP exit must leave the required backing in cash (poolWithdrawable = min(spare
    ///      equity, cash - backing)), even when losing traders' unrealised losses keep the pool's equity up. (This
    ///      was a bug: the LP could take every unit of cash, and the next touch of an account owed funding drove
    ///      pool cash below zero and halted the market.)
    function test_fundingOwedToAnAccount_lpCannotWithdrawTheCashItIsPaidFrom() public {
        _depositMargin(alice, 10_000e6);
        _open(alice, 20e18);
        _open(bob, -1e18); // bob is on the receiving side of funding
        int256[6] memory path = [int256(1850e8), 1710e8, 1580e8, 1460e8, 1350e8, 1300e8];
        for (uint256 i; i < path.length; ++i) {
            _stepPrice(path[i], 600);
        }
        // At 1,300 alice (margin 19,960) is down 14,000 and still solvent; net of bob's +700 the traders owe the
        // pool 13,300, more than the 12,350 of backing (50% of 19 units at 1,300) the pool needs. Its equity
        // would cover every unit of cash, but an exit must leave the backing in cash, and what the pool owes in
        // cash: the shorts' side (bob) is 700 up and owed 0.010545 of funding.
        uint256 reserve = 12_350e6 + 700e6 + 10_545;
        uint256 cash = uint256(market.aggregates().poolCash);
        assertEq(pool.maxWithdraw(lp), cash - reserve);
        uint256 tooMuch = cash - reserve + 1;
        vm.prank(lp);
        vm.expectPartialRevert(ERC4626.ERC4626ExceededMaxWithdraw.selector);
        pool.withdraw(tooMuch, lp, lp);
        vm.prank(lp);
        pool.withdraw(cash - reserve, lp, lp);
        assertEq(market.aggregates().poolCash, int256(reserve));

        _movePrice(1300e8, 600);
        _fund(bob, 1e6);
        vm.prank(bob);
        market.deposit(1e6);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "market halted by a deposit");
        // Net 19 long: rate 1.9e-9/s. The index took 600 s at each price of the path and at 1,300 once more:
        // 1.9e-9 * 600 * (9,250 + 1,300) = 0.012027 per unit, which bob (1 short) receives.
        assertEq(market.aggregates().fundingIndex, 1.2027e16);
        assertEq(
            market.accountOf(bob).margin, 9998e6 + 12_027 + 1e6, "bob's deposit and funding not credited"
        );
        assertEq(market.aggregates().poolCash, int256(reserve) - 12_027);
    }

    /// @dev An account in profit may withdraw only its margin above the initial requirement; funding can then eat
    ///      the rest, and from then on it owes funding its zero margin cannot pay. No call may end with a negative
    ///      margin: a top-up smaller than the funding owed is refused with MarketAccountInsolvent and the market stays
    ///      Normal; a top-up that covers it settles the funding. (This was a bug: the small deposit drove the margin
    ///      below zero, the invariant check failed and the market halted for good.)
    function test_fundingOwedBeyondMargin_smallDepositRefused_marketStaysNormal() public {
        _open(alice, 10e18);
        _stepPrice(2100e8, 1800);
        _stepPrice(2200e8, 1800);
        _stepPrice(2300e8, 1800);
        _stepPrice(2400e8, 1800);
        _touch(alice);
        // Up 4,000 at 2,400: she leaves 2,400 of margin (the initial requirement, 10 % of 24,000) and takes the rest.
        vm.startPrank(alice);
        market.withdraw(uint256(market.accountOf(alice).margin) - 2400e6);
        vm.stopPrank();
        assertEq(market.accountOf(alice).margin, 2400e6);
        // Governance raises funding to its largest (1e-4 per second from a net size of 0.1): her 10 units owe
        // 10 * 2,400 * 1e-4 = 2.4 a second, so 1,000 seconds eat her margin exactly.
        RiskParams memory r = Defaults.riskParams();
        (r.maxFundingRate, r.skewScale) = (1e14, 0.1e18);
        _setRiskParamsInSteps(r);
        int256 index = market.aggregates().fundingIndex;
        _movePrice(2400e8, 1000 + 3600);
        // An hour beyond that: 2.4 * 3,600 = 8,640 more than her margin, against the 0.01 she adds.
        _fund(alice, 8640.11e6);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketAccountInsolvent.selector, int256(0.01e6) - 8640e6)
        );
        market.deposit(0.01e6);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "market halted by a deposit");
        assertEq(market.accountOf(alice).margin, 2400e6);
        assertEq(market.aggregates().fundingIndex, index, "the refused deposit committed nothing");
        // 8,640.1 covers the 8,640 owed beyond her margin.
        vm.prank(alice);
        market.deposit(8640.1e6);
        assertEq(market.accountOf(alice).margin, 0.1e6);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }

    /// @dev setRiskParams accrues funding at the old rate first, so a new rate never reaches back in time. (This
    ///      was a bug.) Governance cannot switch funding off and on (zero is never within a factor of two), so the
    ///      rate here goes from half the default to the default: the hour before the change accrues at the half.
    function test_setRiskParams_doesNotApplyTheNewFundingRateRetroactively() public {
        RiskParams memory half = Defaults.riskParams();
        half.maxFundingRate = 0.5e11;
        market.setRiskParams(half);
        _open(alice, 10e18);
        _movePrice(2000e8, 3600);
        // 10 / 1,000 of 0.5e11 is 5e8 per second: 5e8 * 2,000 * 3,600 = 3.6e15.
        assertEq(market.currentFundingIndex(), 3.6e15);
        market.setRiskParams(Defaults.riskParams());
        assertEq(market.currentFundingIndex(), 3.6e15, "an hour of funding at the new rate appeared");
        _touch(alice);
        // Alice owes 10 * 3.6e-3 = 0.036.
        assertEq(market.accountOf(alice).margin, 9980e6 - 36_000 + 1e6);
        // From here the new rate: another hour at 1e9 per second adds 7.2e15.
        _movePrice(2000e8, 3600);
        assertEq(market.currentFundingIndex(), 3.6e15 + 7.2e15);
    }

    /* A POOL THAT CANNOT PAY A RECEIVABLE YET */

    /// @dev Funding at its largest: the maximum rate (1e-4 per second) from a net size of 0.1 unit, both reached by
    ///      factor-two steps. Alice 10.1 long, bob 10 short; then the LP takes out all it may, which leaves the
    ///      required backing in cash: 50% of 0.1 unit at 2,000 = 100. A minute at 2,000 owes bob
    ///      10 * 1e-4 * 2,000 * 60 = 120, more than that cash, and alice 10.1 * 12 = 121.2.
    function _thinPoolWithAReceivable(uint256 bobMargin) internal {
        _ageShares(); // the LP's shares may leave
        RiskParams memory r = Defaults.riskParams();
        (r.maxFundingRate, r.skewScale) = (1e14, 0.1e18);
        _setRiskParamsInSteps(r);
        if (bobMargin < 10_000e6) {
            vm.prank(bob);
            market.withdraw(10_000e6 - bobMargin);
        }
        _open(alice, 10.1e18);
        _open(bob, -10e18);
        assertEq(market.fundingRate(), 1e14);
        uint256 out = uint256(market.aggregates().poolCash) - 100e6;
        assertEq(pool.maxWithdraw(lp), out);
        vm.prank(lp);
        pool.withdraw(out, lp, lp);
        assertEq(market.aggregates().poolCash, 100e6);
    }

    /// @dev A receivable the pool cannot pay in cash yet is deferred on a deposit or a withdrawal (the account keeps
    ///      its index: nothing is lost), refused on a trade, and paid once the payers' funding reaches the cash.
    function test_fundingReceivable_poolCannotPayYet_deferredOnDepositAndWithdraw() public {
        _thinPoolWithAReceivable(10_000e6);
        _movePrice(2000e8, 60);
        vm.recordLogs();
        _touch(bob);
        vm.prank(bob);
        market.withdraw(1e6);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != IMarket.FundingSettled.selector, "funding settled");
        }
        MarginAccount memory b = market.accountOf(bob);
        assertEq(b.margin, 9980e6);
        assertEq(b.fundingIndex, 0, "bob keeps his index");
        assertEq(market.aggregates().poolCash, 100e6);
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        // His health counts what he is owed: 9,980 + 120.
        (int256 equity,,,) = market.accountHealth(bob);
        assertEq(equity, 9980e6 + 120e6);

        // A trade must settle first.
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketPoolCannotPay.selector, 120e6, int256(100e6)));
        market.modifyPosition(1e18, 0);

        // Alice pays 121.2 into the cash; then bob is paid his 120 on his next touch.
        _touchExpecting(alice, 121.2e6);
        assertEq(market.aggregates().poolCash, 221.2e6);
        _touchExpecting(bob, -120e6);
        assertEq(market.accountOf(bob).margin, 9980e6 + 1e6 + 120e6);
        assertEq(market.accountOf(bob).fundingIndex, 1.2e19);
        assertEq(market.aggregates().poolCash, 101.2e6);
    }

    /// @dev A liquidation settles funding after the close, so the loss the close realises can pay the account's
    ///      receivable. Bob (2,080 of margin, 10 short) is liquidated at 2,200, a minute later: he is owed
    ///      10 * 1e-4 * 2,200 * 60 = 132, more than the 100 of cash, but his 2,000 loss reaches the cash first.
    function test_liquidation_settlesFundingAfterTheClose() public {
        _thinPoolWithAReceivable(2100e6);
        _movePrice(2200e8, 60); // +10%: at the jump band, Valid
        // Equity 2,080 - 2,000 + 132 = 212; the penalty is 2% of 22,000 = 440: 110 to the keeper, and what is left
        // of the margin, 212 - 110 = 102, to insurance.
        vm.expectEmit(address(market));
        emit IMarket.FundingSettled(bob, -132e6);
        vm.expectEmit(address(market));
        emit IMarket.Liquidated(bob, keeper, -10e18, 2200e18, 110e6, 102e6);
        vm.prank(keeper);
        assertEq(market.liquidate(bob), 110e6);
        MarginAccount memory b = market.accountOf(bob);
        assertEq(b.size, 0);
        assertEq(b.margin, 0);
        assertEq(usd.balanceOf(keeper), 110e6);
        assertEq(market.aggregates().poolCash, 100e6 + 2000e6 - 132e6);
        assertEq(market.aggregates().insurance, 4.04e6 + 4e6 + 102e6);
        // The pool, thinned by the LP to its backing at 2,000, is below it at 2,200 with alice's profit: that refuses
        // increases per action; it is not a mode.
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }
}
