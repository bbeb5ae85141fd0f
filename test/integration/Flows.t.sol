// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {AccountView} from "../../src/Lens.sol";
import {
    Action,
    Aggregates,
    Cause,
    IMarket,
    MarginAccount,
    Mode,
    RiskParams
} from "../../src/interfaces/IMarket.sol";
import {IntegrationBase} from "./IntegrationBase.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice End-to-end flows with exact accounting. Every figure is derived in the comments from the default
///         parameters (script/Defaults.sol): fee 0.1% (20% of it to insurance), penalty 2% (25% of it to the
///         keeper), IM 10% / MM 5% at the floors (calm moves: a few percent over 50 minutes keep σ below them),
///         funding 1e-7/s at a skew of 1,000 units. Collateral has 6 decimals.
contract FlowsTest is IntegrationBase {
    address internal insurer = makeAddr("insurer");
    address internal lp2 = makeAddr("lp2");

    /// @notice Open → price moves → funding over hours → close, with every unit accounted for. Alice is long
    ///         10, Bob short 4: the market is net long 6, so Alice pays funding, Bob receives it, the pool keeps
    ///         the difference.
    function test_openMoveFundingClose_exactAccounting() public {
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _depositMargin(bob, 5000e6);
        _open(alice, 10e18); // basis 20,000; fee 20 (4 to insurance, 16 to the pool)
        _open(bob, -4e18); // basis -8,000; fee 8 (1.6 / 6.4)
        assertEq(market.fundingRate(), 6e8, "rate = 6 * 1e11 / 1000 (WAD per second)");

        // Half an hour later the price is 2,100 (+5%); then six hourly heartbeats at 2,100. Funding accrues at
        // the accepted price: 6e8 * 2100 = 1.26e12 per second, over 1,800 + 6 * 3,600 = 23,400 s.
        _step(2100e8, 1800);
        for (uint256 h; h < 6; ++h) {
            _step(2100e8, 3600);
        }
        int256 index = 1.26e12 * 23_400;
        assertEq(market.aggregates().fundingIndex, index, "funding index");
        (uint256 im, uint256 mm) = guard.marginRatios();
        assertEq(im, 0.1e18, "IM at its floor");
        assertEq(mm, 0.05e18, "MM at its floor");

        vm.prank(alice);
        market.closePosition(0);
        vm.prank(bob);
        market.closePosition(0);

        // Alice owes ceil(10 * 2.9484e16 / 1e30) = 0.294840; realises 21,000 - 20,000; pays a fee of 21.
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.margin, 10_000e6 - 20e6 - 294_840 + 1000e6 - 21e6, "alice margin");
        assertEq(a.size, 0);
        assertEq(a.openNotional, 0);
        // Bob receives 0.117936; realises -8,400 + 8,000; pays a fee of 8.4.
        MarginAccount memory b = market.accountOf(bob);
        assertEq(b.margin, 5000e6 - 8e6 + 117_936 - 400e6 - 8.4e6, "bob margin");
        Aggregates memory g = market.aggregates();
        assertEq(g.insurance, 4e6 + 1.6e6 + 4.2e6 + 1.68e6, "insurance: 20% of every fee");
        assertEq(
            g.poolCash,
            1_000_000e6 + 16e6 + 6.4e6 + 294_840 - 117_936 - 1000e6 + 400e6 + 16.8e6 + 6.72e6,
            "pool cash: deposits, 80% of fees, net funding, minus the traders' net PnL"
        );
        assertEq(g.netSize, 0);
        assertEq(g.netOpenNotional, 0);
        assertEq(g.sizeTimesIndex, 0);
        _assertConserved(_list(alice, bob));
        assertEq(market.poolEquity(), g.poolCash, "flat market: pool equity is its cash");

        // Everybody leaves; the market keeps the insurance and what virtual shares leave behind.
        vm.prank(alice);
        market.withdraw(uint256(a.margin));
        vm.prank(bob);
        market.withdraw(uint256(b.margin));
        assertEq(usd.balanceOf(alice), uint256(a.margin), "alice paid in full");
        uint256 shares = pool.maxRedeem(lp);
        vm.prank(lp);
        uint256 out = pool.redeem(shares, lp, lp);
        assertApproxEqAbs(out, uint256(g.poolCash), 2, "the LP takes the pool cash, less virtual-share dust");
        _assertConserved(_list(alice, bob));
    }

    /// @notice A liquidation with margin left: the keeper is paid its share of the penalty, insurance grows by
    ///         the rest, the pool is untouched by it and the account keeps what remains.
    function test_liquidation_withoutBadDebt() public {
        _noFunding();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 40e18); // notional 80,000, IM 8,000; fee 80 (16 to insurance, 64 to the pool)

        // -9% in one calm step: equity 9,920 - 40 * 180 = 2,720 < MM 5% of 72,800 = 3,640.
        _step(1820e8, 3000);
        (int256 equity,, uint256 maintenance,) = market.accountHealth(alice);
        assertEq(equity, 2720e6);
        assertEq(maintenance, 3640e6);
        int256 poolEquityBefore = market.poolEquity();

        vm.prank(keeper);
        uint256 reward = market.liquidate(alice);

        // Penalty 2% of 72,800 = 1,456: 364 to the keeper, 1,092 to insurance; 1,264 stays Alice's.
        assertEq(reward, 364e6, "keeper reward");
        assertEq(usd.balanceOf(keeper), 364e6, "keeper paid");
        MarginAccount memory a = market.accountOf(alice);
        assertEq(a.size, 0);
        assertEq(a.margin, 1264e6, "what the penalty leaves");
        Aggregates memory g = market.aggregates();
        assertEq(g.insurance, 16e6 + 1092e6, "insurance grows by the rest of the penalty");
        assertEq(g.poolCash, 1_000_000e6 + 64e6 + 7200e6, "pool cash takes the realised loss");
        assertEq(market.poolEquity(), poolEquityBefore, "no bad debt: the pool's equity does not move");
        _assertConserved(_list(alice));

        vm.prank(alice);
        market.withdraw(1264e6);
        assertEq(usd.balanceOf(alice), 1264e6);
        _assertConserved(_list(alice));
    }

    /// @notice A liquidation with bad debt: the deficit is covered by the insurance sub-fund first and
    ///         socialised to this market's LPs for the rest, in the same call; the LPs' equity drops by exactly
    ///         the socialised part. The market corrects itself in the same call: the insurance left (0) is below
    ///         its floor (1,000) → Cautious, and a loss reached the LPs → ReduceOnly, where no new risk is taken
    ///         but everyone can still leave.
    function test_liquidation_badDebt_insuranceThenLps() public {
        _noFunding();
        _lpDeposit(lp, 1_000_000e6);
        _fundInsurance(insurer, 500e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 40e18); // fee 80: insurance 516, pool cash 1,000,064

        // -5%: equity 9,920 - 4,000 = 5,920 >= MM 3,800: not yet.
        _step(1900e8, 3000);
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketNotLiquidatable.selector, int256(5920e6), 3800e6)
        );
        vm.prank(keeper);
        market.liquidate(alice);

        // -8.9% more, nobody liquidated in between: equity 9,920 - 40 * 270 = -880.
        _step(1730e8, 3000);
        _lpPriceFollows(); // LP shares valued at the mark
        (int256 equity,,,) = market.accountHealth(alice);
        assertEq(equity, -880e6);
        uint256 assetsBefore = pool.totalAssets(); // 1,000,064 + Alice's unrealised 10,800
        assertEq(assetsBefore, 1_010_864e6);
        uint256 sharePriceBefore = pool.convertToAssets(1e12);

        vm.expectEmit(address(market));
        emit IMarket.BadDebt(alice, 880e6, 516e6, 364e6);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.Cautious, Cause.InsuranceBelowFloor);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Cautious, Mode.ReduceOnly, Cause.LossSocialised);
        vm.recordLogs();
        vm.prank(keeper);
        uint256 reward = market.liquidate(alice);
        assertEq(_invariantTrips(vm.getRecordedLogs()), 0, "no InvariantViolated");

        assertEq(reward, 0, "nothing left for the keeper");
        assertEq(market.accountOf(alice).margin, 0, "the account ends at zero, in the same call");
        assertEq(market.aggregates().insurance, 0, "insurance paid first, all of it");
        assertEq(pool.totalAssets(), assetsBefore - 364e6, "LP equity drops by exactly the socialised part");
        // One share (1e12 units: 6 decimals + offset 6) loses 364 / 1,010,864 of its value, to rounding.
        uint256 sharePriceAfter = pool.convertToAssets(1e12);
        assertApproxEqAbs(
            sharePriceBefore - sharePriceAfter,
            Math.mulDiv(sharePriceBefore, 364e6, assetsBefore),
            1,
            "share price drop is the socialised loss pro rata"
        );
        _assertAccounting(_list(alice));
        assertEq(
            uint8(market.mode()), uint8(Mode.ReduceOnly), "a socialised loss leaves the market ReduceOnly"
        );
        assertEq(market.haltFlags(), 0, "tightened, not halted");

        // ReduceOnly: no new risk ...
        vm.expectRevert(
            abi.encodeWithSelector(IMarket.MarketNotAllowed.selector, Action.Increase, Mode.ReduceOnly)
        );
        _open(bob, 1e18);
        assertEq(pool.maxDeposit(lp2), 0, "no new LP capital into a pool that just took a loss");
        // ... but the exits stay open. The book is flat, so no backing holds the LP's 1,010,500 of equity (pool cash
        // 1,000,064 + Alice's realised 10,800 - the 364 socialised); the outflow limiter does: within the day of its
        // own deposit an LP may take out what it put in, 1,000,000 (less a unit of share rounding).
        assertEq(pool.totalAssets(), 1_010_500e6);
        assertEq(pool.outflowAvailable(), 1_000_000e6);
        uint256 redeemable = pool.maxRedeem(lp);
        vm.prank(lp);
        uint256 out = pool.redeem(redeemable, lp, lp);
        assertApproxEqAbs(out, 1_000_000e6, 1, "the LP leaves with what the limiter allows");
        assertLe(out, 1_000_000e6);
        _assertAccounting(_list(alice));
    }

    /// @notice Governance tightens the backing rule the only way it can — a factor of two per call — and the market
    ///         applies the new rule per action: the pool no longer backs the book, so increases and LP exits are
    ///         refused, traders can reduce, and once the book is flat LPs leave again. No mode changes.
    function test_governanceRaisesBackingInSteps_marketReducesItself() public {
        _lpDeposit(lp, 100_000e6);
        _ageShares();
        _depositMargin(alice, 10_000e6);
        _open(alice, 40e18); // notional 80,000; fee 80: 64 to the pool (cash 100,064), 16 to insurance
        // minBacking 50%: 40,000 must stay; LPs may take the other 60,064 (cash and equity agree, the book is at par).
        assertEq(market.poolWithdrawable(), 60_064e6);

        RiskParams memory r = market.riskParams();
        r.minBacking = 2e18; // 200% of the net notional: 160,000
        vm.expectRevert(IMarket.MarketStepTooLarge.selector);
        market.setRiskParams(r);
        assertEq(_setRiskParamsInSteps(r), 2, "0.5 -> 1 -> 2");
        assertEq(market.riskParams().minBacking, 2e18);
        assertEq(market.poolWithdrawable(), 0, "nothing spare above 160,000");

        market.refresh();
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
        vm.expectPartialRevert(IMarket.MarketInsufficientBacking.selector);
        _open(alice, 1e18);
        assertEq(pool.maxRedeem(lp), 0, "LPs hold the backing");

        // Reductions go on: Alice halves, then closes; the flat book needs no backing.
        _open(alice, -20e18);
        vm.prank(alice);
        market.closePosition(0);
        assertEq(market.aggregates().netSize, 0);
        assertEq(
            market.poolWithdrawable(), uint256(market.aggregates().poolCash), "a flat book frees all the cash"
        );
        uint256 shares = pool.maxRedeem(lp);
        assertGt(shares, 0);
        vm.prank(lp);
        pool.redeem(shares, lp, lp);
        _assertAccounting(_list(alice));
        assertEq(uint8(market.mode()), uint8(Mode.Normal), "a condition, not a mode: nothing to loosen");
    }

    /// @notice An LP who enters while a trader sits on an unrealised loss pays the pool's fair price: the pool
    ///         already counts that loss as its gain, so the newcomer gets fewer shares and neither dilutes nor
    ///         subsidises the LP who was there. The entry price also counts the insurance sub-fund (16 of the
    ///         opening fee), which goes to the shares at settlement: the newcomer's premium stays with the pool.
    function test_lpEntersAfterTraderLoss_paysFairPrice() public {
        _noFunding();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 40e18); // pool cash 1,000,064
        uint256 sharesIfBefore = pool.previewDeposit(100_000e6);

        _step(1900e8, 3000); // Alice is down 4,000: pool equity 1,004,064
        _lpPriceFollows(); // entries at the mark
        assertEq(pool.totalAssets(), 1_004_064e6);
        uint256 lp1Before = _lpValue(lp);

        uint256 shares = _lpDeposit(lp2, 100_000e6);
        assertEq(
            shares,
            Math.mulDiv(100_000e6, 1e18 + 1e6, 1_004_064e6 + 16e6 + 1),
            "shares at the post-loss price"
        );
        assertLt(shares, sharesIfBefore, "a higher share price than before the trader's loss");
        uint256 lp2Value = _lpValue(lp2);
        assertLe(lp2Value, 100_000e6, "the newcomer is not subsidised");
        assertApproxEqAbs(
            lp2Value,
            Math.mulDiv(100_000e6, 1_104_064e6, 1_104_080e6),
            1,
            "what it paid for, less its premium"
        );
        assertGe(_lpValue(lp) + 1, lp1Before, "the first LP is not diluted");

        // Alice closes at the loss: it was already in the share price, so LP values move only by the fee.
        vm.prank(alice);
        market.closePosition(0); // fee 0.1% of 76,000 = 76: 60.8 to the pool
        uint256 total = pool.totalSupply();
        assertEq(pool.totalAssets(), 1_004_064e6 + 100_000e6 + 60.8e6);
        assertApproxEqAbs(
            _lpValue(lp2), lp2Value + Math.mulDiv(60.8e6, shares, total), 2, "lp2 gets its fee share"
        );

        // And it can leave with that, once its shares are past the holding period.
        _ageShares();
        uint256 redeemable = pool.maxRedeem(lp2);
        assertEq(redeemable, shares, "nothing holds the newcomer back");
        vm.prank(lp2);
        uint256 out = pool.redeem(shares, lp2, lp2);
        assertGe(out, 100_000e6, "the newcomer leaves with at least what it paid");
        _assertConserved(_list(alice));
    }

    /// @notice The converse: entering while a trader sits on an unrealised gain is cheaper, and the newcomer
    ///         carries its share of that gain if the trader takes it.
    function test_lpEntersAfterTraderGain_paysFairPrice() public {
        _noFunding();
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 40e18);
        _step(2100e8, 3000); // Alice is up 4,000: pool equity 996,064
        _lpPriceFollows(); // entries at the mark
        assertEq(pool.totalAssets(), 996_064e6);
        uint256 lp1Before = _lpValue(lp);
        uint256 shares = _lpDeposit(lp2, 100_000e6);
        // The fair price counts the 16 of insurance the opening fee paid (it goes to the shares at settlement).
        uint256 lp2Value = _lpValue(lp2);
        assertApproxEqAbs(lp2Value, Math.mulDiv(100_000e6, 1_096_064e6, 1_096_080e6), 1, "fair price");
        assertLe(lp2Value, 100_000e6);
        assertGe(_lpValue(lp) + 1, lp1Before, "the first LP is not diluted");
        _stableFollows();
        vm.prank(alice);
        market.closePosition(0);
        assertGe(usd.balanceOf(address(market)), 0);
        assertApproxEqAbs(
            _lpValue(lp2), lp2Value + Math.mulDiv(67.2e6, shares, pool.totalSupply()), 2, "only the fee share"
        );
        _assertConserved(_list(alice));
    }

    /// @notice A cascade: five leveraged longs (5.9x to 9.6x), the price falls 3% every half hour, a keeper liquidates whatever
    ///         the lens says is liquidatable after each step. Everyone is liquidated over several steps; the pool
    ///         stays solvent, nothing trips, and every token is accounted for.
    function test_cascade_allLiquidated_poolSolvent() public {
        _lpDeposit(lp, 2_000_000e6);
        address[] memory traders = new address[](5);
        for (uint256 i; i < 5; ++i) {
            traders[i] = makeAddr(string.concat("leveraged", vm.toString(i)));
            _depositMargin(traders[i], 10_000e6);
            _open(traders[i], [int256(30e18), 35e18, 40e18, 45e18, 48e18][i]);
        }
        int256 poolEquityStart = market.poolEquity();

        int256 answer = 2000e8;
        uint256 steps;
        uint256 liquidations;
        uint256 stepsWithLiquidations;
        uint256 rewards;
        uint256 badDebt;
        while (market.aggregates().longOpenInterest != 0) {
            answer = answer * 97 / 100;
            _step(answer, 1800);
            ++steps;
            assertLe(steps, 10, "the cascade does not end");
            (, AccountView[] memory views) = lens.snapshot(market, traders);
            uint256 before = liquidations;
            for (uint256 i; i < views.length; ++i) {
                if (!views[i].liquidatable) continue;
                if (views[i].equity < 0) badDebt += uint256(-views[i].equity);
                vm.prank(keeper);
                rewards += market.liquidate(traders[i]);
                ++liquidations;
            }
            if (liquidations > before) ++stepsWithLiquidations;
            // After every step: solvent pool, exact token conservation, no trip.
            assertGe(market.poolEquity(), 0, "pool insolvent mid-cascade");
            _assertConserved(traders);
        }
        emit log_named_uint("price steps", steps);
        emit log_named_uint("steps with liquidations", stepsWithLiquidations);
        emit log_named_uint("bad debt recognised", badDebt);
        assertEq(liquidations, 5, "everyone liquidated");
        assertGe(stepsWithLiquidations, 3, "a cascade, not a single event");
        assertEq(usd.balanceOf(keeper), rewards, "keeper paid what liquidate returned");
        Aggregates memory g = market.aggregates();
        assertEq(g.netSize, 0);
        assertEq(g.netOpenNotional, 0);
        assertGt(g.insurance, 0, "penalties fed the insurance");
        assertGt(market.poolEquity(), poolEquityStart, "the pool, counterparty of the losers, gained");
        // Every trader can take out what is left.
        for (uint256 i; i < 5; ++i) {
            int256 m = market.accountOf(traders[i]).margin;
            if (m == 0) continue;
            vm.prank(traders[i]);
            market.withdraw(uint256(m));
        }
        _assertConserved(traders);
        assertEq(
            usd.balanceOf(address(market)),
            uint256(g.poolCash) + g.insurance,
            "only pool cash and insurance left"
        );
    }
}
