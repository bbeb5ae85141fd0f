// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Aggregates, MarginAccount, Mode} from "../../src/interfaces/IMarket.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MarketHandler} from "./handlers/MarketHandler.sol";
import {MarketModel} from "./handlers/MarketModel.sol";
import {console2} from "forge-std/console2.sol";

/// @title MarketInvariantsTest
/// @notice The market's invariants under MarketHandler (traders, a never-trading actor, LPs, a keeper, an insurer,
///         a donor; prices inside the jump band and a fixed envelope, Diverged glitches and stale feeds; time warps
///         for funding), with the self-correcting layer live: the oracle breaker, automatic tightening, the LP cash
///         reserve and outflow limiter. Each invariant is its own `invariant_` function; the handler itself asserts
///         every action's predicted outcome, mode transitions included.
contract MarketInvariantsTest is BaseTest {
    MarketHandler internal handler;
    address[] internal accounts;

    function setUp() public override {
        super.setUp();
        handler = new MarketHandler(market, pool, guard, usd, feed, feed2);
        accounts = handler.accounts();
        // A pool to trade against and some margin, so that the first calls already trade.
        _lpDeposit(handler.lps()[0], 1_000_000e6);
        address[] memory ts = handler.traders();
        for (uint256 i; i < ts.length; ++i) {
            _depositMargin(ts[i], 50_000e6);
        }
        vm.prank(market.owner());
        market.setGuardian(handler.guardian());

        bytes4[] memory selectors = new bytes4[](16);
        selectors[0] = MarketHandler.deposit.selector;
        selectors[1] = MarketHandler.withdraw.selector;
        selectors[2] = MarketHandler.modifyPosition.selector;
        selectors[3] = MarketHandler.closePosition.selector;
        selectors[4] = MarketHandler.liquidate.selector;
        selectors[5] = MarketHandler.lpDeposit.selector;
        selectors[6] = MarketHandler.lpRedeem.selector;
        selectors[7] = MarketHandler.fundInsurance.selector;
        selectors[8] = MarketHandler.movePrice.selector;
        selectors[9] = MarketHandler.warp.selector;
        selectors[10] = MarketHandler.passiveDeposit.selector;
        selectors[11] = MarketHandler.passiveWithdraw.selector;
        selectors[12] = MarketHandler.donate.selector;
        selectors[13] = MarketHandler.openLeveraged.selector;
        selectors[14] = MarketHandler.movePriceAgainst.selector;
        selectors[15] = MarketHandler.guardianTighten.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice Token conservation: the market holds exactly the margins, the pool cash and the insurance it
    ///         credits, plus whatever was donated to it (never less); pool cash is never negative.
    function invariant_tokenConservation() public view {
        Aggregates memory g = market.aggregates();
        assertGe(g.poolCash, 0, "pool cash negative");
        uint256 credits = g.totalMargin + uint256(g.poolCash) + g.insurance;
        uint256 balance = usd.balanceOf(address(market));
        assertGe(balance, credits, "balance below credits");
        assertEq(balance, credits + handler.ghostDonatedToMarket(), "balance != credits + donations");
    }

    /// @notice Open interest: long OI - short OI == net size == the sum of the accounts' sizes == the sum of the
    ///         sizes the handler's model predicted; each side equals the sum of its positions.
    function invariant_openInterestMatchesPositions() public view {
        Aggregates memory g = market.aggregates();
        assertEq(int256(g.longOpenInterest) - int256(g.shortOpenInterest), g.netSize, "long - short != net");
        (int256 sum, int256 ghostSum, uint256 longs, uint256 shorts) = (0, 0, 0, 0);
        for (uint256 i; i < accounts.length; ++i) {
            int256 size = market.accountOf(accounts[i]).size;
            assertEq(size, handler.ghostSize(accounts[i]), "account size != model");
            sum += size;
            ghostSum += handler.ghostSize(accounts[i]);
            if (size > 0) longs += uint256(size);
            else shorts += uint256(-size);
        }
        assertEq(sum, g.netSize, "sum of sizes != net size");
        assertEq(ghostSum, g.netSize, "sum of model sizes != net size");
        assertEq(longs, g.longOpenInterest, "sum of longs != long OI");
        assertEq(shorts, g.shortOpenInterest, "sum of shorts != short OI");
    }

    /// @notice Cost basis: the accounts' openNotional sums to netOpenNotional; a flat account has no basis.
    function invariant_openNotionalMatchesPositions() public view {
        (int256 sum, int256 longs) = (0, 0);
        for (uint256 i; i < accounts.length; ++i) {
            MarginAccount memory a = market.accountOf(accounts[i]);
            if (a.size == 0) assertEq(a.openNotional, 0, "flat account with a basis");
            sum += a.openNotional;
            if (a.size > 0) longs += a.openNotional;
        }
        assertEq(sum, market.aggregates().netOpenNotional, "sum of openNotional != netOpenNotional");
        assertEq(longs, market.aggregates().longOpenNotional, "longs' openNotional != longOpenNotional");
    }

    /// @notice Funding aggregate: sizeTimesIndex == sum of size * the account's funding index, so the funding
    ///         the pool counts as owed in O(1) is the sum of what the accounts owe.
    function invariant_fundingAggregateMatchesAccounts() public view {
        (int256 sum, int256 longs) = (0, 0);
        for (uint256 i; i < accounts.length; ++i) {
            MarginAccount memory a = market.accountOf(accounts[i]);
            sum += a.size * a.fundingIndex;
            if (a.size > 0) longs += a.size * a.fundingIndex;
        }
        assertEq(sum, market.aggregates().sizeTimesIndex, "sum of size * index != sizeTimesIndex");
        assertEq(longs, market.aggregates().longSizeTimesIndex, "longs' size * index != longSizeTimesIndex");
    }

    /// @notice totalMargin is the sum of the accounts' margins.
    function invariant_totalMarginIsSumOfMargins() public view {
        int256 sum;
        for (uint256 i; i < accounts.length; ++i) {
            sum += market.accountOf(accounts[i]).margin;
        }
        assertEq(sum, int256(market.aggregates().totalMargin), "sum of margins != totalMargin");
    }

    /// @notice idleMargin is the sum of the margins of the accounts with no position (paid in full at settlement).
    function invariant_idleMarginIsSumOfFlatMargins() public view {
        uint256 sum;
        for (uint256 i; i < accounts.length; ++i) {
            MarginAccount memory a = market.accountOf(accounts[i]);
            if (a.size == 0) sum += MarketModel.pos(a.margin);
        }
        assertEq(sum, market.aggregates().idleMargin, "sum of flat accounts' margins != idleMargin");
    }

    /// @notice No account is ever left with a negative margin (bad debt is recognised in the same call).
    function invariant_noNegativeMargin() public view {
        for (uint256 i; i < accounts.length; ++i) {
            assertGe(market.accountOf(accounts[i]).margin, 0, "negative margin");
        }
    }

    /// @notice Pool solvency, reformulated to what the design guarantees (see test/invariant/README.md):
    ///         nothing is created or destroyed — pool equity + insurance + the sum of every account's equity
    ///         (unrealised PnL and unsettled or deferred funding included) equals the tokens the market holds for them,
    ///         up to the directed rounding, which only ever favours the protocol (at most 2 units per account).
    ///         "pool equity + insurance >= 0" itself is not an invariant of honest operation: a run of price moves
    ///         against the pool can take it below zero; the design's answer is self-correction (Halted by
    ///         PoolCannotPay, then Settlement), which the handler predicts and checks on every refresh and trade.
    function invariant_valueConservation() public view {
        int256 value = int256(usd.balanceOf(address(market)) - handler.ghostDonatedToMarket());
        int256 total = market.poolEquity() + int256(market.aggregates().insurance);
        for (uint256 i; i < accounts.length; ++i) {
            (int256 equity,,,) = market.accountHealth(accounts[i]);
            total += equity;
        }
        assertLe(total, value, "value created: claims exceed the tokens held");
        assertGe(total, value - int256(2 * (accounts.length + 1)), "value destroyed beyond rounding");
    }

    /// @notice Exits stay open in every mode but Settlement: the actor that never trades has exactly what it
    ///         deposited and can take all of it out now, and so can every account without a position (tried on a
    ///         snapshot, whatever the mode: Normal, Cautious, ReduceOnly or Halted).
    function invariant_exitsStayOpen() public {
        assertTrue(market.mode() != Mode.Settlement, "Settlement is not reachable in honest operation here");
        address who = handler.passive();
        MarginAccount memory a = market.accountOf(who);
        assertEq(a.size, 0, "the never-trading actor has a position");
        uint256 owed = handler.ghostPassiveDeposited() - handler.ghostPassiveWithdrawn();
        assertEq(a.margin, int256(owed), "never-trader margin != deposits - withdrawals");
        for (uint256 i; i < accounts.length; ++i) {
            a = market.accountOf(accounts[i]);
            if (a.size != 0 || a.margin == 0) continue;
            uint256 snapshot = vm.snapshotState();
            uint256 before = usd.balanceOf(accounts[i]);
            vm.prank(accounts[i]);
            (bool ok, bytes memory ret) =
                address(market).call(abi.encodeCall(market.withdraw, (uint256(a.margin))));
            if (!ok) {
                emit log_named_bytes("revert", ret);
                emit log_named_uint("mode", uint8(market.mode()));
                assertTrue(false, "a flat account's exit reverted");
            }
            assertEq(
                usd.balanceOf(accounts[i]) - before,
                uint256(a.margin),
                "a flat account could not take its margin out"
            );
            assertEq(market.accountOf(accounts[i]).margin, 0, "margin left after a full exit");
            vm.revertToState(snapshot);
        }
    }

    /// @notice Donations to the market or the pool never move totalAssets or the share price; the pool holds no
    ///         tokens but donations.
    function invariant_donationsDoNotMoveSharePrice() public view {
        assertEq(handler.ghostDonationMovedPrice(), 0, "a donation moved totalAssets or the share price");
        assertEq(
            usd.balanceOf(address(pool)), handler.ghostDonatedToPool(), "pool holds tokens besides donations"
        );
    }

    /// @notice The mode only tightens, except a breaker reset back to the mode it tripped from: every ModeChanged
    ///         event of the run was a tightening for a cause honest operation has (oracle breaker, insurance below
    ///         its floor, a socialised loss, the pool below its backing or unable to pay) or such a reset (checked
    ///         from the logs, independently of the handler's model). Nothing is ever halted by an invariant: no
    ///         InvariantViolated, haltFlags & 2 == 0, and the model never predicted a trip. A market is Halted exactly
    ///         when it has a halt cause, and its mode is the one its events announced.
    function invariant_modeOnlyTightensExceptBreakerReset() public view {
        assertEq(
            handler.ghostIllegalModeChanges(),
            0,
            "the mode loosened (not by a breaker reset) or tightened for no honest cause"
        );
        assertEq(handler.ghostInvariantViolatedEvents(), 0, "InvariantViolated emitted");
        assertEq(handler.ghostPredictedTrips(), 0, "the model predicted an invariant trip (a src bug)");
        uint8 flags = market.haltFlags();
        assertEq(flags & MarketModel.HALT_INVARIANT, 0, "halted by an invariant");
        assertEq(
            flags & MarketModel.HALT_GUARDIAN, 0, "halted by the guardian (this suite's guardian never halts)"
        );
        Mode mode = market.mode();
        assertEq(mode == Mode.Halted, flags != 0, "Halted without a cause, or a cause without Halted");
        assertEq(uint8(mode), uint8(handler.ghostModeFromLogs()), "mode changed without a ModeChanged event");
    }

    /// @notice The LP outflow limiter: in the current window, the net assets LPs took out never exceed maxOutflow of
    ///         the pool's equity at the window's start.
    function invariant_lpOutflowWithinLimit() public view {
        (, uint256 cap, int256 net) = handler.limiterState();
        assertLe(net, int256(cap), "net LP outflow in the window above its cap");
    }

    /// @notice ERC-4626: the shares can never claim more than totalAssets; totalAssets is the pool equity floored
    ///         at zero, with the traders' PnL at the worse, for the LPs, of the mark and the guard's LP price; the
    ///         LPs' balances sum to the supply.
    function invariant_erc4626Consistency() public view {
        uint256 supply = pool.totalSupply();
        uint256 totalAssets = pool.totalAssets();
        assertLe(pool.convertToAssets(supply), totalAssets, "convertToAssets(totalSupply) > totalAssets");
        // totalAssets is the equity an LP action finds after its refresh: the pool equity at the price the guard would
        // accept now, which is the last good price unless a Valid round is pending, less what the traders' PnL would
        // add to their side at the LP price (never more than the mark's equity).
        (int256 equity,,) = market.poolQuote();
        int256 exitEquity = equity;
        if (market.mode() != Mode.Settlement) {
            (uint256 lp,) = guard.lpPrice();
            int256 net = market.aggregates().netSize;
            int256 mark = int256(guard.peek().lastGoodPrice);
            int256 gap = net * mark / 1e30 - net * int256(lp) / 1e30; // 6-decimal collateral: 1e36 / 1e6
            if (gap < 0) exitEquity += gap;
        }
        assertLe(totalAssets, equity > 0 ? uint256(equity) : 0, "totalAssets above the quoted equity");
        // Within 2: the pool rounds each side of the gap up, this truncates.
        assertGe(int256(totalAssets) + 2, exitEquity, "totalAssets below the equity at the LP price");
        (uint256 lastGood,) = guard.lastGoodPrice();
        if (guard.peek().lastGoodPrice == lastGood) {
            assertEq(equity, market.poolEquity(), "quote != poolEquity");
        }
        address[] memory l = handler.lps();
        assertEq(pool.balanceOf(l[0]) + pool.balanceOf(l[1]), supply, "LP balances != totalSupply");
    }

    /// @notice Prints what the handler did, once per run (visible with -vv).
    function afterInvariant() public view {
        string[] memory lines = handler.summary();
        for (uint256 i; i < lines.length; ++i) {
            console2.log(lines[i]);
        }
    }
}

