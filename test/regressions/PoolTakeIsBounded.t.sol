// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, Mode} from "../../src/interfaces/IMarket.sol";
import {MarketAccounting} from "../../src/libraries/MarketAccounting.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";

/// @notice Issue 9, property 2: a stated bound on what one actor, with any number of accounts, can take from the
///         pool over any price path. All closes and reduces in a PROFIT_WINDOW (1 day) share one room of
///         MAX_PROFIT_SHARE (10 %) of the pool's equity at the close price, not counting what it owes the winners nor
///         what the window paid them; when the winners' claims exceed it each is paid the same fraction, and the
///         excess stays with the LPs. Found as the Mango shape (test/corpus/mango-pool-take.json): a long pumped in
///         steps each under the 10 % jump band to about x2 and closed was paid the whole manipulated profit from pool
///         cash, even in ReduceOnly; then as a room per account, which eight accounts multiplied by eight.
contract PoolTakeIsBoundedTest is IntegrationBase {
    address internal attacker = makeAddr("attacker");

    /// @dev The Mango replay's sizes: an LP pool of 2,000,000; the attacker puts in 200,000 and goes long 800 at 2,000
    ///      (notional 1,600,000, fee 1,600: 1,280 to the pool), then pushes both feeds to 4,000 in rounds of +9 % or
    ///      less, half an hour apart: every round is accepted as Valid. His paper profit is then 1,600,000, and the
    ///      pool's equity 2,001,280 - 1,600,000 = 401,280.
    function _pumpedToDouble() internal {
        _noFunding();
        _lpDeposit(lp, 2_000_000e6);
        _depositMargin(attacker, 200_000e6);
        _open(attacker, 800e18);
        int256[9] memory path =
            [int256(2180e8), 2376e8, 2590e8, 2823e8, 3077e8, 3354e8, 3656e8, 3985e8, 4000e8];
        for (uint256 i; i < path.length; ++i) {
            _step(path[i], 1800);
            (uint256 accepted,) = guard.lastGoodPrice();
            assertEq(accepted, uint256(path[i]) * 1e10, "every pushed round accepted");
        }
        _stableFollows(); // each level stood half an hour: the closes below execute at 4,000
        assertEq(market.poolEquity(), 401_280e6);
    }

    /// @dev What one close may pay at most: 10 % of the pool's equity not counting the closed profit.
    function _cap() internal pure returns (int256) {
        return int256((401_280e6 + 1_600_000e6) * MarketAccounting.MAX_PROFIT_SHARE / 1e18); // 200,128
    }

    /// @notice The manipulated x2 close is paid 200,128 (10 % of the pool's 2,001,280), not 1,600,000; the rest of
    ///         the paper profit stays in the pool, and the LP loses at most that share.
    function test_manipulatedCloseIsPaidAtMostTheCap() public {
        _pumpedToDouble();
        uint256 lpBefore = _lpValue(lp);
        vm.expectEmit(address(market));
        emit IMarket.ProfitCapped(attacker, 1_600_000e6, _cap());
        vm.prank(attacker);
        market.closePosition(0);

        int256 margin = market.accountOf(attacker).margin;
        assertEq(margin, 200_000e6 - 1600e6 + _cap() - 3200e6, "margin + capped profit - both fees");
        vm.prank(attacker);
        market.withdraw(uint256(margin));
        int256 take = int256(usd.balanceOf(attacker)) - 200_000e6;
        assertLe(take, (2_000_000e6 * 1e17) / 1e18, "one account takes at most 10 % of the pool in a window");
        assertGe(_lpValue(lp), 2_000_000e6 - uint256(_cap()), "the LP loses at most the capped profit");
        assertGt(_lpValue(lp), lpBefore, "the unpaid paper profit is the LP's again");
        _assertConserved(_list(attacker));
    }

    /// @notice ReduceOnly still lets the attacker close, and the close is capped the same way.
    function test_reduceOnlyCloseIsCappedToo() public {
        _pumpedToDouble();
        vm.prank(market.guardian());
        market.escalate(Mode.ReduceOnly);
        vm.prank(attacker);
        market.closePosition(0);
        assertEq(market.accountOf(attacker).margin, 200_000e6 - 1600e6 + _cap() - 3200e6);
        _assertAccounting(_list(attacker));
    }

    /// @notice Splitting the close does not widen the bound: every close in the window shares one room, and what the
    ///         window paid counts back into its base. The first half (800,000 of the 1,600,000 claimed) is paid its
    ///         share of 10 % of 2,001,280: 100,064. The second is paid the rest of 10 % of the pool then (401,280 +
    ///         699,936 kept + the first fee's 1,280, plus its own 800,000 and the 100,064 paid): 100,192, so 200,256
    ///         in all: one whole close's 200,128 and 10 % of the extra fee the split paid the pool.
    function test_splitClosesShareOneWindow() public {
        _pumpedToDouble();
        vm.prank(attacker);
        market.modifyPosition(-400e18, 0);
        (uint256 paid,) = market.profitWindow();
        assertEq(paid, 100_064e6);
        vm.prank(attacker);
        market.closePosition(0);
        (paid,) = market.profitWindow();
        assertEq(paid, 200_256e6);
        assertLe(
            paid, uint256(_cap()) + 128e6, "no more than one whole close and 10 % of the split's extra fee"
        );
        assertEq(market.accountOf(attacker).margin, 200_000e6 - 1600e6 + int256(paid) - 3200e6);
    }

    /// @notice The room is per window: a day later the market may pay again, 10 % of the pool then.
    function test_roomRenewsEachWindow() public {
        _pumpedToDouble();
        vm.prank(attacker);
        market.modifyPosition(-400e18, 0);
        (uint256 paid, uint256 start) = market.profitWindow();
        assertEq(paid, 100_064e6);
        // The price is held for a day (rounds every half hour keep it fresh).
        for (uint256 i; i < 48; ++i) {
            _step(4000e8, 1800);
        }
        (paid,) = market.profitWindow();
        assertEq(paid, 0, "the window is over");
        vm.prank(attacker);
        market.closePosition(0);
        (uint256 paid2, uint256 start2) = market.profitWindow();
        assertEq(start2, start + 1 days);
        assertEq(paid2, 190_249.6e6, "a new window: 10 % of 1,902,496");
    }

    /// @notice One actor with many accounts (Sybil) gets no more than one: the Mango pump with the 800 long split
    ///         over eight accounts of 100 (25,000 margin each). Every account's close shares the market's one room
    ///         per window, so the eight together are paid at most 10 % of the pool's 2,001,280: 200,128, as one
    ///         account would be. (A room per account paid them 799,321 of the pool's 2,000,000.)
    function test_sybilAccountsShareOneBound() public {
        _noFunding();
        _lpDeposit(lp, 2_000_000e6);
        address[8] memory sybils;
        for (uint256 i; i < sybils.length; ++i) {
            sybils[i] = makeAddr(string.concat("sybil", vm.toString(i)));
            _depositMargin(sybils[i], 25_000e6);
            _open(sybils[i], 100e18);
        }
        int256[9] memory path =
            [int256(2180e8), 2376e8, 2590e8, 2823e8, 3077e8, 3354e8, 3656e8, 3985e8, 4000e8];
        for (uint256 i; i < path.length; ++i) {
            _step(path[i], 1800);
        }
        _stableFollows(); // each level stood half an hour: the closes below execute at 4,000
        uint256 taken;
        for (uint256 i; i < sybils.length; ++i) {
            vm.startPrank(sybils[i]);
            market.closePosition(0);
            market.withdraw(uint256(market.accountOf(sybils[i]).margin));
            vm.stopPrank();
            taken += usd.balanceOf(sybils[i]);
        }
        int256 take = int256(taken) - 8 * 25_000e6;
        assertLe(take, _cap(), "all the actor's accounts together take at most one account's bound");
        assertGe(_lpValue(lp), 2_000_000e6 - uint256(_cap()), "the LP loses at most one bound");
    }

    /// @notice A close that comes first cannot lock the others out: alice, long 10 at 2,000 beside the pumped attacker
    ///         (20,000 of honest profit at 4,000), closes after him and is paid at least the fraction of her profit he
    ///         was: room / claims, 200,129.6 / 1,620,000 = 12.35 % (13.6 % for her, as his close fee adds 2,560 to the
    ///         pool), not nothing as a first-come room would leave her.
    function test_winnersArePaidProRataNotFirstCome() public {
        _noFunding();
        _lpDeposit(lp, 2_000_000e6);
        _depositMargin(attacker, 200_000e6);
        _depositMargin(alice, 10_000e6);
        _open(attacker, 800e18);
        _open(alice, 10e18);
        int256[9] memory path =
            [int256(2180e8), 2376e8, 2590e8, 2823e8, 3077e8, 3354e8, 3656e8, 3985e8, 4000e8];
        for (uint256 i; i < path.length; ++i) {
            _step(path[i], 1800);
        }
        _stableFollows(); // each level stood half an hour: the closes below execute at 4,000
        vm.prank(attacker);
        market.closePosition(0);
        (uint256 paidAttacker,) = market.profitWindow();
        vm.prank(alice);
        market.closePosition(0);
        (uint256 paidBoth,) = market.profitWindow();
        uint256 paidAlice = paidBoth - paidAttacker;
        // 10 % of the pool's equity before either close (LP, fees), not counting the 1,620,000 the two are owed.
        uint256 room = (2_000_000e6 + 1280e6 + 16e6) / 10;
        assertEq(paidAttacker, 1_600_000e6 * room / 1_620_000e6, "the attacker: his share of the room");
        assertEq(paidBoth, room + 256e6, "the room, and 10 % of the attacker's close fee");
        assertGe(paidAlice * 1_600_000e6, paidAttacker * 20_000e6, "alice: at least the attacker's fraction");
        _assertConserved(_list(attacker, alice));
    }

    /// @notice An honest winner well inside the bound is paid in full: 50 long at 2,000, closed at 2,200 for +10,000
    ///         against a pool of 2,000,000.
    function test_profitInsideTheBoundIsPaidInFull() public {
        _noFunding();
        _lpDeposit(lp, 2_000_000e6);
        _depositMargin(alice, 20_000e6);
        _open(alice, 50e18);
        _step(2100e8, 1800);
        _step(2200e8, 1800);
        _stableFollows();
        vm.prank(alice);
        market.closePosition(0);
        assertEq(market.accountOf(alice).margin, 20_000e6 - 100e6 + 10_000e6 - 110e6);
        (uint256 paid,) = market.profitWindow();
        assertEq(paid, 10_000e6);
    }
}
