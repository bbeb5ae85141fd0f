// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../../script/Defaults.sol";
import {IMarket, MarginAccount, Mode, RiskParams} from "../../../src/interfaces/IMarket.sol";
import {UnitTest} from "../../utils/UnitTest.sol";

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
        market.setRiskParams(r);
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
        // Bob takes the other side: from here the skew, and the rate, are 0.
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

    /// BUG (src/Market.sol, `_settleFunding`, `_agg.poolCash += owed`): funding paid *to* an account comes out
    /// of pool cash with no check, while LPs may withdraw all pool cash (poolWithdrawable = min(spare equity,
    /// cash)) whenever losing traders' unrealised losses keep the pool's equity up. The next touch of an
    /// account that is owed funding - even a plain deposit - then drives poolCash below zero (and the credits
    /// above the balance), `_checkInvariants` fails, and the market halts itself for good with
    /// InvariantViolated. Anyone who is both LP and trader can do this on purpose. Expected: the deposit is
    /// credited and the market stays Normal (e.g. cap poolWithdrawable so cash covers funding owed to
    /// receivers, or settle funding owed to an account only up to the pool's cash).
    function test_fundingOwedToAnAccount_withPoolCashWithdrawn_doesNotHaltTheMarket() public {
        _depositMargin(alice, 10_000e6);
        _open(alice, 20e18);
        _open(bob, -1e18); // bob is on the receiving side of funding
        int256[6] memory path = [int256(1850e8), 1710e8, 1580e8, 1460e8, 1350e8, 1300e8];
        for (uint256 i; i < path.length; ++i) {
            _stepPrice(path[i], 600);
        }
        // At 1,300 alice (margin 19,960) is down 14,000 and still solvent; net of bob's +700 the traders owe
        // the pool 13,300, more than the 12,350 of backing that 19 units net long need, so the LP may take out
        // every unit of pool cash.
        uint256 cash = uint256(market.aggregates().poolCash);
        assertEq(pool.maxWithdraw(lp), cash);
        vm.prank(lp);
        pool.withdraw(cash, lp, lp);
        assertEq(market.aggregates().poolCash, 0);

        _movePrice(1300e8, 600);
        _fund(bob, 1e6);
        vm.prank(bob);
        market.deposit(1e6);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "market halted by a deposit");
        assertGt(market.accountOf(bob).margin, 9996e6 + 1e6, "bob's deposit and funding not credited");
    }

    /// BUG (src/Market.sol, `_settleFunding` reached from `_deposit`): an account in profit may withdraw its
    /// whole margin (withdraw checks amount <= margin and IM against equity, which counts the unrealised
    /// profit). From then on it owes funding that its zero margin cannot pay; its next touch credits pool cash
    /// with the full amount owed while the margin goes below zero, so the invariant check fails
    /// (TokenConservation: credits exceed the balance by the unpaid funding; NoNegativeMargin would fail next)
    /// and a plain deposit smaller than the funding owed halts the market for good. An increase does the same
    /// (its IM check passes on equity). Any profitable trader can halt a market at will. Expected: the deposit
    /// is credited and the market stays Normal (e.g. settle funding against equity, or require margin to cover
    /// funding when withdrawing).
    function test_fundingOwedBeyondMargin_depositDoesNotHaltTheMarket() public {
        _open(alice, 10e18);
        _stepPrice(2100e8, 1800);
        _stepPrice(2200e8, 1800);
        _stepPrice(2300e8, 1800);
        _stepPrice(2400e8, 1800);
        _touch(alice);
        // Up 4,000 at 2,400: equity covers IM with no margin at all, so all of it may leave.
        vm.startPrank(alice);
        market.withdraw(uint256(market.accountOf(alice).margin));
        vm.stopPrank();
        assertEq(market.accountOf(alice).margin, 0);
        _movePrice(2400e8, 3600);
        // An hour of funding: 10 units * 1e-9/s * 2,400 * 3,600 s = 0.0864, more than the 0.01 she adds.
        _fund(alice, 0.01e6);
        vm.prank(alice);
        market.deposit(0.01e6);
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "market halted by a deposit");
    }

    /// BUG (src/Market.sol, `setRiskParams` / `_setRiskParams`): changing the funding parameters does not accrue
    /// funding first, so the next accrual applies the *new* rate to the whole interval since the last touch.
    /// Here funding is off for an hour, governance switches it on, and alice is at once charged an hour of
    /// funding at the new rate (0.072). Expected: the index does not move for time already elapsed.
    function test_setRiskParams_doesNotApplyTheNewFundingRateRetroactively() public {
        RiskParams memory off = Defaults.riskParams();
        off.maxFundingRate = 0;
        market.setRiskParams(off);
        _open(alice, 10e18);
        _movePrice(2000e8, 3600);
        assertEq(market.currentFundingIndex(), 0);
        market.setRiskParams(Defaults.riskParams());
        assertEq(market.currentFundingIndex(), 0, "an hour of funding at the new rate appeared");
        _touch(alice);
        assertEq(market.accountOf(alice).margin, 9980e6 + 1e6);
    }
}
