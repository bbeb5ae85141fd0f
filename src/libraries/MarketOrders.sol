// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket} from "../interfaces/IMarket.sol";
import {IOracleGuard, OracleClass, PriceReading} from "../interfaces/IOracleGuard.sol";
import {MarketSafety, SafetyState} from "./MarketSafety.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @notice A committed next-price order: one per account.
struct Order {
    int128 sizeDelta; // 0: no order
    uint80 afterRound; // the newest primary round when committed: the order executes at round afterRound + 1 only
    uint40 committedAt;
    bool reduceOnly; // the order reduced the position when committed: it never opens, adds or flips
    uint256 priceLimit;
}

/// @notice The market's order book and the premium atomic trades pay for executing at a round already published.
struct OrderBook {
    mapping(address account => Order) orders;
    uint256 immediacyFee;
}

/// @notice The market's guarded trade self-call (Market.executeModify), which an order's execution runs.
interface IMarketTrade {
    function executeModify(address account, int256 sizeDelta, uint256 priceLimit) external;
}

/// @title MarketOrders
/// @notice Next-price (two-step) orders. A trade executed atomically takes the latest accepted round, which a trader
///         who sees the next round coming (the mempool, an off-chain venue) knows to be stale: he opens at it and
///         closes after the round, or closes one leg of a hedge just before a bad round. An order is committed
///         first and executes, by anyone, at the primary round published after the commit (`afterRound + 1`) and
///         at no other: the executor cannot pick the round, and a round known at commit cannot be traded on.
///         An order whose round was skipped, refused by the guard, or left unexecuted for EXECUTION_WINDOW after it
///         was published is cancelled; so is one that cannot execute (limit, margin, mode, caps) or is older than
///         EXPIRY. Cancelling touches no margin. Atomic trades stay available (the safe-mode exits rely on them)
///         at the trading fee plus `immediacyFee`, which governance sets to the feed's deviation threshold less
///         the trading fee: the atomic edge is then only the part of a round's move beyond that threshold.
/// @dev External functions take plain types only (the ABI generator cannot read library enums or structs).
library MarketOrders {
    /// @notice How long after its round was published (the round's `updatedAt`) an order can still execute: 0, the
    ///         round's own block. An owner who could execute later might see the round after coming and execute only
    ///         when it favours him (two opposite orders, one executed, the other left to lapse); in the round's
    ///         block he would need that round already in sight. Keepers execute by backrunning the round.
    uint256 internal constant EXECUTION_WINDOW = 0;
    /// @notice An order not executed this long after its commit is cancelled (its round never came).
    uint256 internal constant EXPIRY = 1 hours;
    /// @dev Transient slot holding the round of the order whose trade is executing (0: an atomic trade).
    bytes32 private constant EXECUTING_ROUND_SLOT = keccak256("bulkhead.MarketOrders.executingRound");
    /// @notice The largest immediacy premium governance can set (a fraction of notional, WAD).
    uint256 internal constant MAX_IMMEDIACY_FEE = 0.01e18;

    /// @notice Records `account`'s order to trade `sizeDelta` at the primary round after the newest one published.
    function commit(
        OrderBook storage self,
        address account,
        int256 sizeDelta,
        int256 size,
        uint256 priceLimit,
        IOracleGuard oracle
    ) external {
        if (sizeDelta == 0) revert IMarket.MarketZeroSize();
        Order storage o = self.orders[account];
        if (o.sizeDelta != 0) revert IMarket.MarketOrderPending(o.afterRound + 1);
        // The newest round anyone can know: the primary's latest (published, maybe not yet read) or the guard's.
        uint80 seen = oracle.peek().roundId;
        uint80 accepted = oracle.lastRoundId();
        if (accepted > seen) seen = accepted;
        bool reduceOnly = size != 0 && (size > 0) != (sizeDelta > 0) && _abs(sizeDelta) <= _abs(size);
        self.orders[account] = Order({
            sizeDelta: SafeCast.toInt128(sizeDelta),
            afterRound: seen,
            committedAt: uint40(block.timestamp),
            reduceOnly: reduceOnly,
            priceLimit: priceLimit
        });
        emit IMarket.OrderCommitted(account, sizeDelta, priceLimit, seen + 1);
    }

    /// @notice Executes `account`'s order through the market's guarded trade (`IMarketTrade`), or cancels it when it
    ///         can no longer execute. Runs in the market's context (a delegatecall): the self-call is the market's.
    ///         The round is checked without updating the guard: the trade's own path accepts it (and the market
    ///         corrects itself on it) in the self-call, so a cancelled order leaves the guard as it found it. Before
    ///         the order's round is published and Valid (`MarketOrderNotReady`), without an order, or on an empty
    ///         revert (gas) it reverts and the order stays; a broken invariant or a breaker trip is committed as in
    ///         every guarded call and cancels the order; any other failure (a lapsed round, limit, margin, mode,
    ///         caps) cancels it.
    function execute(
        OrderBook storage self,
        SafetyState storage safe,
        address account,
        int256 size,
        IOracleGuard oracle
    ) external {
        Order memory o = self.orders[account];
        if (o.sizeDelta == 0) revert IMarket.MarketNoOrder();
        uint80 round = o.afterRound + 1;
        bytes4 refused;
        if (block.timestamp > uint256(o.committedAt) + EXPIRY) {
            refused = IMarket.MarketOrderExpired.selector;
        } else if (
            o.reduceOnly && (size == 0 || (size > 0) == (o.sizeDelta > 0) || _abs(o.sizeDelta) > _abs(size))
        ) {
            // A reduce whose position shrank or went since (liquidated, closed) must not open one.
            refused = IMarket.MarketOrderWouldIncrease.selector;
        } else if (!_atRound(round, oracle)) {
            refused = IMarket.MarketOrderLapsed.selector;
        } else {
            bytes memory call =
                abi.encodeCall(IMarketTrade.executeModify, (account, o.sizeDelta, o.priceLimit));
            bytes32 slot = EXECUTING_ROUND_SLOT;
            assembly ("memory-safe") {
                tstore(slot, round)
            }
            (bool success, bytes memory ret) = address(this).call(call);
            assembly ("memory-safe") {
                tstore(slot, 0)
            }
            if (success) {
                delete self.orders[account];
                emit IMarket.OrderExecuted(account, msg.sender, round);
                return;
            }
            if (ret.length < 4) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
            refused = bytes4(ret);
            if (
                refused == IMarket.MarketInvariantBroken.selector
                    || refused == IMarket.MarketBreakerTripped.selector
            ) {
                MarketSafety.onSelfCallFailed(safe, ret, bytes4(call), oracle);
            }
        }
        delete self.orders[account];
        emit IMarket.OrderCancelled(account, round, refused);
    }

    /// @notice The round of the order whose trade the market is executing, or 0 for an atomic trade. Only `execute`
    ///         sets it, for the duration of its self-call into the market's trade path.
    function executingRound() internal view returns (uint80 round) {
        bytes32 slot = EXECUTING_ROUND_SLOT;
        assembly ("memory-safe") {
            round := tload(slot)
        }
    }

    /// @dev Whether the trade's guard update will read `round`, judged without updating the guard: reverts
    ///      `MarketOrderNotReady` while `round` is neither accepted nor published as a Valid reading; false when a
    ///      later round was accepted or published (so `round` was skipped or refused) or `round` was published more
    ///      than EXECUTION_WINDOW ago.
    function _atRound(uint80 round, IOracleGuard oracle) private view returns (bool) {
        uint80 last = oracle.lastRoundId();
        uint256 publishedAt;
        if (last >= round) {
            if (last > round) return false;
            (, publishedAt) = oracle.lastGoodPrice();
        } else {
            PriceReading memory next = oracle.peek();
            if (next.class != OracleClass.Valid || next.roundId < round) {
                revert IMarket.MarketOrderNotReady(round, last);
            }
            if (next.roundId > round) return false;
            // peek() classified the feed's latest round as Valid a moment ago; its publication time comes from the
            // feed itself (a feed that now fails leaves the order waiting).
            try oracle.primary().latestRoundData() returns (
                uint80, int256, uint256, uint256 updatedAt, uint80
            ) {
                publishedAt = updatedAt;
            } catch {
                revert IMarket.MarketOrderNotReady(round, last);
            }
        }
        return block.timestamp <= publishedAt + EXECUTION_WINDOW;
    }

    /// @notice Sets the premium atomic trades pay on top of the trading fee.
    function setImmediacyFee(OrderBook storage self, uint256 fee) external {
        if (fee > MAX_IMMEDIACY_FEE) revert IMarket.MarketBadParams();
        self.immediacyFee = fee;
        emit IMarket.ImmediacyFeeSet(fee);
    }

    function _abs(int256 x) private pure returns (uint256) {
        return x >= 0 ? uint256(x) : uint256(-x);
    }
}
