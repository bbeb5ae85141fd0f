// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {IMarket, MarginAccount, Mode} from "../../src/interfaces/IMarket.sol";
import {MarketOrders} from "../../src/libraries/MarketOrders.sol";
import {IntegrationBase} from "../integration/IntegrationBase.sol";
import {console2} from "forge-std/console2.sol";

/// @notice Issue 10 property 5 / issue 9 property 5 (the foreseeable half): a trader who knows the next oracle round
///         (the mempool, an off-chain venue) cannot take more than a stated bound from the pool. Atomic trades
///         execute at the latest accepted round; the trader opens at it and closes after the round (+0.30 % of
///         notional at a +0.5 % round, +4.8 % at +5 % before), or closes one leg of a hedge just before a bad round
///         and reopens after. The bound: a next-price order executes at the primary round published after its
///         commit and at no other, at the trading fee (0.1 %), so it earns nothing from a round seen coming; an
///         atomic trade pays the immediacy premium on top (Defaults.IMMEDIACY_FEE, 0.4 %: the feed's 0.5 %
///         deviation threshold less the fee), so every path earns at most the move beyond 0.5 % less the other
///         leg's 0.1 % fee: nothing from a round within the feed's deviation threshold, 4.4 % of notional at 5 %.
contract ForeseeableRoundDoesNotPayTest is IntegrationBase {
    address internal trader = makeAddr("trader");
    address internal hedge = makeAddr("hedge"); // the trader's second account

    int256 internal constant SIZE = 10e18; // 20,000 of notional at 2,000
    uint256 internal constant NOTIONAL = 20_000e6;
    int256 internal constant MARGIN = 20_000e6;

    function setUp() public override {
        super.setUp();
        _noFunding();
        market.setImmediacyFee(Defaults.IMMEDIACY_FEE);
        _lpDeposit(lp, 1_000_000e6);
        _depositMargin(trader, uint256(MARGIN));
        _depositMargin(hedge, uint256(MARGIN));
    }

    /* THE BOUND ON EVERY PATH */

    /// @notice Atomic open just before a round seen coming, atomic close after: at +0.5 % it loses its fees; at +5 %
    ///         it keeps at most the move beyond 0.6 %.
    function test_atomicRoundTripEarnsAtMostTheMoveBeyondThePremium() public {
        assertLe(_after(_atomicRoundTrip, 50), _bound(50), "+0.5 % round");
        assertLe(_after(_atomicRoundTrip, 500), _bound(500), "+5 % round");
        assertLe(_after(_atomicRoundTrip, -500), _bound(500), "-5 % round, short");
    }

    /// @notice Atomic open at the stale round, closed by an order (the cheaper exit): still bounded.
    function test_atomicOpenOrderCloseEarnsAtMostTheMoveBeyondThePremium() public {
        assertLe(_after(_atomicOpenOrderClose, 50), _bound(50), "+0.5 % round");
        assertLe(_after(_atomicOpenOrderClose, 500), _bound(500), "+5 % round");
    }

    /// @notice A hedged trader (long on one account, short on the other) closes the losing leg atomically just before
    ///         a -m round and reopens it by order after: he saves the loss but pays the premium.
    function test_hedgedLegCloseBeforeABadRoundEarnsAtMostTheMoveBeyondThePremium() public {
        assertLe(_after(_hedgedLegSkip, 50), _bound(50), "-0.5 % round");
        assertLe(_after(_hedgedLegSkip, 500), _bound(500), "-5 % round");
    }

    /// @notice An order committed at the stale round, with the round seen coming, executes at that round: the trader
    ///         pays its fees and takes nothing from the move.
    function test_orderCommittedBeforeARoundSeenComingTakesNothingFromIt() public {
        assertLt(_after(_orderRoundTrip, 50), 0, "+0.5 % round");
        assertLt(_after(_orderRoundTrip, 500), 0, "+5 % round");
        assertLt(_after(_orderRoundTrip, -500), 0, "-5 % round, short");
    }

    /// @notice A round already published (on chain, not yet read by the guard) when the order is committed is not
    ///         the order's round: the order waits for the one after it.
    function test_aRoundPublishedBeforeTheCommitIsNotTheOrdersRound() public {
        _publish(2010e8); // +0.5 %, published, nobody refreshed
        _commit(trader, SIZE, 0);
        vm.expectPartialRevert(IMarket.MarketOrderNotReady.selector);
        _execute(trader);
        _publish(2010e8);
        _execute(trader);
        assertEq(market.accountOf(trader).size, SIZE);
    }

    /* WHO PICKS THE ROUND */

    /// @notice Before its round the order cannot execute (it stays); at its round anyone executes it, at that round's
    ///         price, and the executor gets nothing to choose.
    function test_orderExecutesOnlyAtTheRoundAfterItsCommit() public {
        _commit(trader, SIZE, 0);
        uint80 round = _round() + 1;
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketOrderNotReady.selector, round, round - 1));
        _execute(trader);

        _publish(2010e8);
        vm.expectEmit(address(market));
        emit IMarket.PositionModified(trader, SIZE, 2010e18, 0, 20_100_000, SIZE);
        vm.expectEmit(address(market));
        emit IMarket.OrderExecuted(trader, keeper, round);
        _execute(trader);
        assertEq(market.accountOf(trader).margin, MARGIN - 20_100_000, "the trading fee alone");
    }

    /// @notice An executor who waits for a later, better round finds the order cancelled, not executed there.
    function test_anExecutorCannotWaitForALaterRound() public {
        _commit(trader, SIZE, 0);
        uint80 round = _round() + 1;
        _publish(1990e8); // the order's round: -0.5 %
        market.refresh(); // someone reads it
        _publish(2100e8); // +5.5 % later
        vm.expectEmit(address(market));
        emit IMarket.OrderCancelled(trader, round, IMarket.MarketOrderLapsed.selector);
        _execute(trader);
        assertEq(market.accountOf(trader).size, 0, "never executed at the later round");
        assertEq(market.accountOf(trader).margin, MARGIN, "margin untouched");
    }

    /// @notice A round the guard never read before the next one was published is skipped: the order is cancelled.
    function test_aSkippedRoundCancelsTheOrder() public {
        _commit(trader, SIZE, 0);
        uint80 round = _round() + 1;
        _publish(1990e8);
        _publish(2100e8); // nobody read the order's round
        vm.expectEmit(address(market));
        emit IMarket.OrderCancelled(trader, round, IMarket.MarketOrderLapsed.selector);
        _execute(trader);
        assertEq(market.accountOf(trader).size, 0);
    }

    /// @notice The order must execute within EXECUTION_WINDOW (0: in its round's block): later, the executor could
    ///         have seen the next round coming.
    function test_anOrderNotExecutedWithinTheWindowIsCancelled() public {
        _commit(trader, SIZE, 0);
        _publish(2010e8);
        vm.warp(block.timestamp + MarketOrders.EXECUTION_WINDOW + 1);
        vm.expectEmit(address(market));
        emit IMarket.OrderCancelled(trader, _round(), IMarket.MarketOrderLapsed.selector);
        _execute(trader);
        assertEq(market.accountOf(trader).size, 0);
    }

    /* CANCELLATION */

    /// @notice An order whose round never comes is cancelled after EXPIRY, by anyone; the margin is untouched.
    function test_anExpiredOrderIsCancelled() public {
        _commit(trader, SIZE, 0);
        vm.warp(block.timestamp + MarketOrders.EXPIRY + 1);
        _publish(2000e8);
        vm.expectEmit(address(market));
        emit IMarket.OrderCancelled(trader, _round(), IMarket.MarketOrderExpired.selector);
        _execute(trader);
        assertEq(market.accountOf(trader).margin, MARGIN);
    }

    /// @notice A price limit the round misses cancels the order (the error's selector is the reason).
    function test_aMissedLimitCancelsTheOrder() public {
        _commit(trader, SIZE, 2005e18);
        _publish(2010e8);
        vm.expectEmit(address(market));
        emit IMarket.OrderCancelled(trader, _round(), IMarket.MarketPriceLimit.selector);
        uint80 accepted = guard.lastRoundId();
        _execute(trader);
        assertEq(market.accountOf(trader).size, 0);
        assertEq(market.accountOf(trader).margin, MARGIN);
        // The cancel accepted nothing: the round is read, and the market corrects itself on it, by the next call
        // that reads the guard, never left accepted by a call that did not.
        assertEq(guard.lastRoundId(), accepted);
        market.refresh();
        assertEq(guard.lastRoundId(), _round());
    }

    /// @notice An order the margin cannot carry is cancelled, as is an increase in ReduceOnly; a reducing order
    ///         executes in ReduceOnly (the exits stay open to orders too).
    function test_marginAndModeCancelOrdersTheyWouldRefuse() public {
        _commit(trader, SIZE * 20, 0); // 400,000 of notional on 20,000
        _publish(2000e8);
        vm.expectEmit(address(market));
        emit IMarket.OrderCancelled(trader, _round(), IMarket.MarketInsufficientMargin.selector);
        _execute(trader);

        _open(hedge, SIZE);
        market.setMode(Mode.ReduceOnly);
        _commit(trader, SIZE, 0);
        _commit(hedge, -SIZE, 0);
        _publish(2000e8);
        vm.expectEmit(address(market));
        emit IMarket.OrderCancelled(trader, _round(), IMarket.MarketNotAllowed.selector);
        _execute(trader);
        _execute(hedge);
        assertEq(market.accountOf(hedge).size, 0, "the reduce executed in ReduceOnly");
    }

    /// @notice One order per account; a reducing order never opens a position its account no longer has.
    function test_oneOrderPerAccountAndAStaleCloseNeverOpens() public {
        _open(trader, SIZE);
        _commit(trader, -SIZE, 0);
        bytes memory pending = abi.encodeWithSelector(IMarket.MarketOrderPending.selector, _round() + 1);
        vm.prank(trader);
        vm.expectRevert(pending);
        market.commitOrder(SIZE, 0);

        vm.prank(trader);
        market.closePosition(0); // closed atomically meanwhile
        _publish(2000e8);
        vm.expectEmit(address(market));
        emit IMarket.OrderCancelled(trader, _round(), IMarket.MarketOrderWouldIncrease.selector);
        _execute(trader);
        assertEq(market.accountOf(trader).size, 0, "no short opened");
    }

    /* FIGURES */

    /// @notice Prints the edge (profit beyond nothing: a trader who does not trade makes 0) per path, at a +0.5 % and
    ///         a +5 % round, without the premium (the behaviour before: atomic trades at the trading fee alone) and
    ///         with it. `forge test --match-test test_printEdges -vv`.
    function test_printEdges() public {
        int16[2] memory moves = [int16(50), int16(500)];
        for (uint256 i; i < 2; ++i) {
            int256 m = moves[i];
            console2.log("round move (bps)", m);
            console2.log("  atomic open+close   before", _withPremium(0, _atomicRoundTrip, m));
            console2.log(
                "  atomic open+close   after ", _withPremium(Defaults.IMMEDIACY_FEE, _atomicRoundTrip, m)
            );
            console2.log(
                "  atomic open, order close after",
                _withPremium(Defaults.IMMEDIACY_FEE, _atomicOpenOrderClose, m)
            );
            console2.log("  hedged leg skip     before", _withPremium(0, _hedgedLegSkip, m));
            console2.log(
                "  hedged leg skip     after ", _withPremium(Defaults.IMMEDIACY_FEE, _hedgedLegSkip, m)
            );
            console2.log(
                "  order open+close    after ", _withPremium(Defaults.IMMEDIACY_FEE, _orderRoundTrip, m)
            );
            console2.log(
                "  order straddle, next round known in its round's block",
                _withPremium(Defaults.IMMEDIACY_FEE, _orderStraddle, m)
            );
        }
    }

    /* PATHS */

    /// @dev `path`'s edge at the deployment premium, from the set-up state.
    function _after(function(int256) internal returns (int256) path, int256 moveBps)
        internal
        returns (int256)
    {
        return _withPremium(Defaults.IMMEDIACY_FEE, path, moveBps);
    }

    function _withPremium(uint256 premium, function(int256) internal returns (int256) path, int256 moveBps)
        internal
        returns (int256 edge)
    {
        uint256 snap = vm.snapshotState();
        market.setImmediacyFee(premium);
        edge = path(moveBps);
        vm.revertToState(snap);
    }

    /// @dev Opens atomically in the move's direction at the current round, the round lands, closes atomically.
    function _atomicRoundTrip(int256 moveBps) internal returns (int256) {
        _open(trader, moveBps > 0 ? SIZE : -SIZE);
        _step(_moved(moveBps), 12);
        vm.prank(trader);
        market.closePosition(0);
        return market.accountOf(trader).margin - MARGIN;
    }

    /// @dev Opens atomically at the current round, the round lands, closes by order at the next round (same price).
    function _atomicOpenOrderClose(int256 moveBps) internal returns (int256) {
        _open(trader, moveBps > 0 ? SIZE : -SIZE);
        _step(_moved(moveBps), 12);
        _commit(trader, moveBps > 0 ? -SIZE : SIZE, 0);
        _publish(_moved(moveBps));
        _execute(trader);
        assertEq(market.accountOf(trader).size, 0);
        return market.accountOf(trader).margin - MARGIN;
    }

    /// @dev Long on `trader`, short on `hedge`, both opened by order (fairly). A round of -m is seen coming: the long
    ///      is closed atomically at the stale round, the round lands, the long is reopened by order. The edge is the
    ///      pair's equity against doing nothing (which leaves it flat but for the opening fees).
    function _hedgedLegSkip(int256 moveBps) internal returns (int256) {
        _commit(trader, SIZE, 0);
        _commit(hedge, -SIZE, 0);
        _publish(2000e8);
        _execute(trader);
        _execute(hedge);
        int256 start = _equity(trader, 2000e18) + _equity(hedge, 2000e18);
        vm.prank(trader);
        market.closePosition(0);
        int256 after_ = _moved(-moveBps);
        _step(after_, 12);
        _commit(trader, SIZE, 0);
        _publish(after_);
        _execute(trader);
        uint256 price = uint256(after_) * 1e10;
        return _equity(trader, price) + _equity(hedge, price) - start;
    }

    /// @dev Commits an order in the move's direction with the round seen coming; it executes at that round; closed by
    ///      order at the next one (same price).
    function _orderRoundTrip(int256 moveBps) internal returns (int256) {
        _commit(trader, moveBps > 0 ? SIZE : -SIZE, 0);
        _publish(_moved(moveBps));
        _execute(trader);
        _commit(trader, moveBps > 0 ? -SIZE : SIZE, 0);
        _publish(_moved(moveBps));
        _execute(trader);
        assertEq(market.accountOf(trader).size, 0);
        return market.accountOf(trader).margin - MARGIN;
    }

    /// @dev The residual: a long order on `trader` and a short one on `hedge`, both for the next round (flat). If the
    ///      owner, executing his own orders in that round's block, already knew the round after (+m) — two rounds
    ///      published in one block — he executes only the long and lets the short lapse; the +m round lands and the
    ///      long is closed by order at the round after. No keeper executed the short in the round's block.
    function _orderStraddle(int256 moveBps) internal returns (int256) {
        _commit(trader, SIZE, 0);
        _commit(hedge, -SIZE, 0);
        _publish(2000e8);
        _execute(trader); // the +m round is in sight
        _step(_moved(moveBps), 12);
        _execute(hedge); // lapsed: cancelled, margin untouched
        _commit(trader, -SIZE, 0);
        _publish(_moved(moveBps));
        _execute(trader);
        assertEq(market.accountOf(trader).size, 0);
        return market.accountOf(trader).margin + market.accountOf(hedge).margin - 2 * MARGIN;
    }

    /* HELPERS */

    /// @dev The stated bound: the move beyond the atomic fee (trading fee + premium, 0.5 %) on NOTIONAL, less the
    ///      trading fee of the other leg (on the notional at the moved price), plus a unit of rounding per fee.
    function _bound(int256 moveBps) internal pure returns (int256) {
        int256 m = moveBps < 0 ? -moveBps : moveBps;
        int256 beyond = m > 50 ? int256(NOTIONAL) * (m - 50) / 10_000 : int256(0);
        return beyond - int256(NOTIONAL) * (10_000 - m) / 10_000_000 + 3;
    }

    /// @dev The price 2,000 moved by `bps` (8 decimals).
    function _moved(int256 bps) internal pure returns (int256) {
        return 2000e8 * (10_000 + bps) / 10_000;
    }

    /// @dev An account's margin plus its unrealised PnL at `price` (WAD), for the paired accounts.
    function _equity(address who, uint256 price) internal view returns (int256) {
        MarginAccount memory a = market.accountOf(who);
        return a.margin + a.size * int256(price) / 1e30 - a.openNotional;
    }

    function _commit(address who, int256 sizeDelta, uint256 limit) internal {
        vm.prank(who);
        market.commitOrder(sizeDelta, limit);
    }

    function _execute(address who) internal {
        vm.prank(keeper);
        market.executeOrder(who);
    }

    /// @dev Publishes `answer` on both feeds 12 s later, without anyone reading it.
    function _publish(int256 answer) internal {
        vm.warp(block.timestamp + 12);
        _setPrice(answer);
    }

    function _round() internal view returns (uint80 id) {
        (id,,,,) = feed.latestRoundData();
    }
}
