// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOracleGuard, OracleClass} from "./IOracleGuard.sol";

/// @notice A market's safety mode, ordered from loosest to strictest.
enum Mode {
    Normal,
    Cautious,
    ReduceOnly,
    Halted,
    Settlement
}

/// @notice The actions the permission table speaks of.
enum Action {
    Deposit,
    Withdraw,
    Increase,
    Reduce,
    Liquidate,
    LpDeposit,
    LpWithdraw
}

/// @notice Why a market changed mode.
enum Cause {
    Governance,
    Guardian,
    InvariantViolated,
    OracleBreaker,
    BreakerReset,
    InsuranceBelowFloor,
    LossSocialised,
    PoolBelowBacking,
    PoolCannotPay,
    HaltedTooLong
}

/// @notice The market's own invariants, checked after every state change.
enum Invariant {
    TokenConservation, // credits (margins + pool cash + insurance) move only with the tokens; balance >= credits
    OpenInterest, // long OI - short OI == net size
    PoolCash, // pool cash never negative
    NoNegativeMargin // the touched account's margin is never negative after a call
}

/// @notice Governance-set risk parameters. Fractions are WAD (1e18 = 100%).
struct RiskParams {
    uint64 tradingFee; // fee on the notional of every trade
    uint64 insuranceFeeShare; // share of each fee that goes to the insurance sub-fund (the rest to LPs)
    uint64 liquidationPenalty; // penalty on the liquidated notional, taken from the remaining margin
    uint64 keeperRewardShare; // share of the penalty paid to the liquidator (the rest to insurance)
    uint64 maxFundingRate; // funding per second, as a fraction of notional, at full skew
    uint64 minBacking; // pool equity the pool must keep, as a fraction of the net notional it is exposed to
    uint128 skewScale; // net size (WAD) at which funding reaches maxFundingRate
    uint128 maxOpenInterest; // per side, in size (WAD)
}

/// @notice Governance-set safety parameters (the self-correcting layer). Fractions are WAD.
struct SafetyParams {
    uint128 insuranceFloor; // insurance below this after covering bad debt tightens the market to Cautious
    uint32 maxHaltDuration; // seconds Halted after which anyone may move the market to Settlement
    uint32 settlementWindow; // seconds after settlement during which underwater accounts are realised
    uint32 breakerCooldown; // seconds after a breaker trip before it may reset
    uint8 breakerValidReadings; // consecutive Valid new rounds needed to reset the breaker
    uint64 cautiousImMultiplier; // initial margin multiplier in Cautious (>= 1)
    uint64 cautiousOiFactor; // open-interest cap multiplier in Cautious (<= 1)
    uint64 warningBand; // MarginWarning below maintenance * (1 + warningBand)
}

/// @notice Written once, when the market enters Settlement.
struct SettlementSnapshot {
    uint256 price; // the last good price
    int256 fundingIndex;
    uint256 longOpenInterest;
    uint256 shortOpenInterest;
    uint256 insurance;
    int256 poolEquity;
    uint256 assets; // credits the market held: margins + pool cash + insurance
    uint256 idleMargin; // margin of accounts with no position (paid in full, never pro-rata)
    int256 traderEquity; // aggregate equity of accounts with a position
    uint256 poolShareSupply;
    uint256 settledAt;
    uint256 claimsOpenAt; // settledAt + the settlement window at the snapshot: fixed, whatever governance does later
    // Fixed at finalisation, after the realisation window:
    uint256 deficit; // sum of the negative equities realised in the window
    uint256 traderRatio; // WAD: what each unit of positive trader equity is paid
    uint256 lpAssets; // what the LP shares share
    bool finalised;
}

/// @notice One trader margin account. Amounts are in collateral units, sizes in WAD units of the underlying.
struct MarginAccount {
    int256 margin; // deposited collateral plus realised PnL and funding, minus fees
    int256 size; // signed position: > 0 long, < 0 short
    int256 openNotional; // signed cost basis: the value of `size` at the prices it was opened at
    int256 fundingIndex; // the cumulative funding index at the last settlement
}

/// @notice Market-wide aggregates, each kept in O(1).
struct Aggregates {
    uint256 longOpenInterest;
    uint256 shortOpenInterest;
    int256 netSize;
    int256 netOpenNotional; // sum of every account's openNotional
    int256 sizeTimesIndex; // sum of size * fundingIndex over accounts (funding owed in O(1))
    uint256 totalMargin;
    int256 poolCash;
    uint256 insurance;
    int256 fundingIndex;
    uint256 lastFundingTime;
    uint256 idleMargin; // margin of accounts with no position
    int256 longOpenNotional; // the long side's part of netOpenNotional
    int256 longSizeTimesIndex; // the long side's part of sizeTimesIndex
}

/// @title IMarket
/// @notice One isolated perpetual market: one underlying, one collateral token, trader margin accounts,
///         an LP pool (see ILiquidityPool) as counterparty, an insurance sub-fund, and a safety mode.
/// @dev Every mutating entry point runs its effects in an external self-call and then checks the market's
///      invariants; a broken invariant rolls the action back *and* halts the market in the same
///      transaction (`InvariantViolated`). User errors revert with their own custom errors.
interface IMarket {
    /* EVENTS */

    event Deposited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event PositionModified(
        address indexed account,
        int256 sizeDelta,
        uint256 price,
        int256 realisedPnl,
        uint256 fee,
        int256 newSize
    );
    event FundingSettled(address indexed account, int256 owed);
    /// @notice `account`'s unrealised loss `loss` moved from its margin into the pool's cash (`settleLoss`).
    event LossSettled(address indexed account, uint256 loss);
    /// @notice A close or reduce realised profit while all the winners' claims exceeded the market's room in its
    ///         profit window: `paid` (its pro-rata share) was credited (and is the `realisedPnl` of its
    ///         PositionModified), the rest stayed in the pool.
    event ProfitCapped(address indexed account, int256 realisedPnl, int256 paid);
    event Liquidated(
        address indexed account,
        address indexed liquidator,
        int256 size,
        uint256 price,
        uint256 keeperReward,
        uint256 penaltyToInsurance
    );
    event BadDebt(address indexed account, uint256 deficit, uint256 coveredByInsurance, uint256 socialised);
    event InsuranceFunded(address indexed from, uint256 amount);
    event PoolDeposited(uint256 assets);
    event PoolWithdrawn(address indexed receiver, uint256 assets);
    event RiskParamsUpdated(RiskParams params);
    event PoolSet(address pool);
    event ModeChanged(Mode indexed from, Mode indexed to, Cause cause);
    /// @notice An invariant failed after an action's effects: the action was rolled back and the market halted.
    event InvariantViolated(Invariant indexed invariant, int256 expected, int256 actual, bytes4 action);
    /// @notice A risk-adding action saw a non-Valid reading: the market halted itself (the trip is committed).
    event BreakerTripped(OracleClass class, Mode resumeMode);
    /// @notice An account's equity is within the warning band above maintenance.
    event MarginWarning(address indexed account, int256 equity, uint256 maintenanceRequired);
    event GuardianSet(address guardian);
    event SafetyParamsUpdated(SafetyParams params);
    /// @notice The market entered Settlement; the whole snapshot is readable through `settlement()`.
    event Settled(uint256 price, uint256 assets, int256 poolEquity, int256 traderEquity);
    event AccountRealised(address indexed account, int256 equity);
    event SettlementFinalised(uint256 deficit, uint256 traderRatio, uint256 lpAssets);
    event Claimed(address indexed account, uint256 amount);
    event PoolClaimed(address indexed receiver, uint256 shares, uint256 assets);
    /// @notice A next-price order: it executes at primary round `round` (the one after the newest when committed).
    event OrderCommitted(address indexed account, int256 sizeDelta, uint256 priceLimit, uint80 round);
    /// @notice `executor` executed `account`'s order at its round (the trade is the PositionModified beside it).
    event OrderExecuted(address indexed account, address indexed executor, uint80 round);
    /// @notice An order that cannot execute was removed; `reason` is the selector of the error that stopped it.
    event OrderCancelled(address indexed account, uint80 round, bytes4 reason);
    event ImmediacyFeeSet(uint256 fee);

    /* ERRORS */

    error MarketZeroAmount();
    error MarketZeroSize();
    error MarketBadParams();
    error MarketNotAllowed(Action action, Mode mode);
    error MarketOracleNotValid(OracleClass class);
    error MarketPriceLimit(uint256 price, uint256 limit);
    /// @dev A risk-increasing trade read a Valid round older than TradePricing.MAX_TRADE_AGE.
    error MarketTradePriceTooOld(uint256 age, uint256 maxAge);
    /// @notice The account already has an order (it executes at `round`, or is cancelled).
    error MarketOrderPending(uint80 round);
    error MarketNoOrder();
    /// @notice The guard has not accepted the order's round yet: the order stays; execute it once it is published.
    error MarketOrderNotReady(uint80 round, uint80 lastRound);
    /// @notice Reason codes of `OrderCancelled` (never reverted with): the order's round was skipped or refused by the
    ///         guard, or published before the execution's block (MarketOrders.EXECUTION_WINDOW); the order was older
    ///         than MarketOrders.EXPIRY; a reducing order would now open, add or flip (its position shrank or went).
    error MarketOrderLapsed();
    error MarketOrderExpired();
    error MarketOrderWouldIncrease();
    error MarketInsufficientMargin(int256 equity, uint256 required);
    error MarketInsufficientFreeMargin(uint256 requested, uint256 available);
    error MarketOpenInterestCap(uint256 openInterest, uint256 cap);
    error MarketInsufficientBacking(int256 equity, uint256 required);
    error MarketAccountInsolvent(int256 marginAfter);
    /// @notice `settleLoss` on an account with no unrealised loss at the price.
    error MarketNoLossToSettle(int256 unrealisedPnl);
    error MarketPoolCannotPay(uint256 owed, int256 poolCash);
    error MarketNoPosition();
    error MarketNotLiquidatable(int256 equity, uint256 maintenance);
    error MarketOnlyPool();
    error MarketOnlySelf();
    error MarketPoolAlreadySet();
    error MarketPoolNotSet();
    error MarketBalanceUnreadable();
    error MarketOnlyGuardian();
    error MarketNotTighter(Mode from, Mode to);
    error MarketStepTooLarge();
    error MarketNotSettleable();
    /// @notice Settlement is entered only through `settle()`, and nothing leaves it.
    error MarketModeNotSettable(Mode from, Mode to);
    /// @notice A Settlement-only call (realise, claim, the pool's claim) outside Settlement.
    error MarketNotInSettlement(Mode mode);
    error MarketRealiseWindowClosed(uint256 closedAt);
    error MarketAlreadyRealised();
    /// @notice Governance changes parameters only while the market is open (users locked in a halt could not leave).
    error MarketChangeWhileHalted(Mode mode);
    error MarketSettlementPending(uint256 finalisesAt);
    error MarketAlreadyClaimed();
    /// @notice A claim would take the total paid in Settlement past what the market held at the snapshot.
    error MarketSettlementExhausted(uint256 paid, uint256 assets);
    error MarketTimelockTooShort(uint256 delay, uint256 exitWindow);
    /// @notice Ownership goes only to a timelock (one answering getMinDelay), and is never renounced.
    error MarketOwnerNotTimelock(address newOwner);
    /// @dev Like MarketInvariantBroken, raised only inside the self-call; the outer frame commits the breaker trip.
    error MarketBreakerTripped(OracleClass class);
    /// @dev Only ever raised by the market's own invariant check, inside the self-call; the outer frame turns it
    ///      into a trip. It never escapes the market.
    error MarketInvariantBroken(Invariant invariant, int256 expected, int256 actual);

    /* TRADERS */

    /// @notice Adds `amount` collateral to the caller's margin (pulls it with transferFrom).
    function deposit(uint256 amount) external;

    /// @notice Withdraws `amount` of free margin: what is left must cover the initial margin of the position.
    function withdraw(uint256 amount) external;

    /// @notice Changes the caller's position by `sizeDelta`, at once, paying the trading fee plus `immediacyFee` (the
    ///         price of trading at a round already published; `commitOrder` trades at the next round for the trading
    ///         fee alone). It executes at the worse, for the trader, of the accepted round and the guard's stable price
    ///         (TradePricing.executionPrice: buying at the higher, selling at the lower), so a level that stood only
    ///         moments cannot be traded on its favourable side; the margin and pool checks run at the accepted round.
    ///         A trade that increases risk (opens, adds, or flips) needs a round at most TradePricing.MAX_TRADE_AGE
    ///         old (`MarketTradePriceTooOld`).
    /// @param priceLimit The worst acceptable price: a maximum when buying, a minimum when selling; 0 for none.
    function modifyPosition(int256 sizeDelta, uint256 priceLimit) external;

    /// @notice Closes the caller's whole position, at once, as modifyPosition (the trading fee plus `immediacyFee`).
    function closePosition(uint256 priceLimit) external;

    /// @notice Commits a next-price order: a change of the caller's position by `sizeDelta`, executed by anyone
    ///         (`executeOrder`) at the primary round published after this call, and at no other. Executed, it is the
    ///         same trade as `modifyPosition` (every rule applies, at that round's price) at the trading fee alone;
    ///         atomic trades also pay `immediacyFee`. It is cancelled, the margin untouched, if it cannot execute
    ///         at its round (limit, margin, mode, caps), if the guard skips or refuses that round, if nobody
    ///         executes it in that round's block (MarketOrders.EXECUTION_WINDOW), or after MarketOrders.EXPIRY.
    ///         One order per account; it cannot be withdrawn before it executes or lapses.
    /// @param priceLimit The worst acceptable price, as for modifyPosition.
    function commitOrder(int256 sizeDelta, uint256 priceLimit) external;

    /// @notice Executes `account`'s order if the guard's accepted round is its round, or cancels it if it can no
    ///         longer execute (`OrderCancelled`). Reverts `MarketOrderNotReady` (order kept) before its round.
    ///         Permissionless.
    function executeOrder(address account) external;

    /// @notice The premium (WAD fraction of notional) atomic trades pay on top of the trading fee for executing at a
    ///         round already published. Orders pay the trading fee alone.
    function immediacyFee() external view returns (uint256);

    /// @notice Sets `immediacyFee` (at most MarketOrders.MAX_IMMEDIACY_FEE); only the owner.
    function setImmediacyFee(uint256 fee) external;

    /// @notice Moves `account`'s unrealised loss at the trusted price from its margin into the pool's cash and resets
    ///         its cost basis to that price (mark to market, as Drift settles PnL): its equity, position and health do
    ///         not change. Losers' losses are not cash until they close, while winners are paid in cash: after a move,
    ///         this is how anyone turns them into the cash a winner's close needs (`MarketPoolCannotPay`).
    ///         Permissionless; in the modes that allow reducing; reverts `MarketNoLossToSettle` without a loss and
    ///         `MarketAccountInsolvent` when the loss exceeds the margin (that account is for the liquidators).
    function settleLoss(address account) external;

    /// @notice Liquidates `account` if its equity is below maintenance. Permissionless.
    /// @return reward The keeper reward paid to the caller.
    function liquidate(address account) external returns (uint256 reward);

    /// @notice Adds collateral to the market's insurance sub-fund. Permissionless.
    function fundInsurance(uint256 amount) external;

    /// @notice Accrues funding and reads the oracle (accepting a new Valid round). Permissionless. Returns the class of
    ///         the reading (Stale in Settlement, where prices are frozen and nothing is read).
    function refresh() external returns (OracleClass class);

    /* POOL HOOKS (called by the market's LiquidityPool only) */

    /// @notice Credits `assets` (pulled from the pool) to the pool's cash.
    /// @return accepted False when an invariant broke and the market halted itself; nothing was taken.
    function onPoolDeposit(uint256 assets) external returns (bool accepted);

    /// @notice Pays `assets` of pool cash to `receiver`, if the pool stays backed.
    /// @return accepted False when an invariant broke and the market halted itself; nothing was paid.
    function onPoolWithdraw(address receiver, uint256 assets) external returns (bool accepted);

    /* SAFETY AND GOVERNANCE */

    /// @notice Moves the market to a stricter mode at once (up to Halted). Only the guardian; never looser.
    function escalate(Mode to) external;

    /// @notice Sets the mode, looser or stricter (not Settlement), clearing the halt causes. Only the timelock.
    function setMode(Mode to) external;

    /// @notice Enters Settlement: the timelock at any time, anyone once the market has been Halted until `exitOpensAt()`.
    function settle() external;

    /// @notice In Settlement, during the settlement window: records an underwater account's negative equity at the
    ///         snapshot price as deficit, so that the claim ratio fixed after the window accounts for it.
    ///         Permissionless; the keeper calls it for every underwater account. An account nobody realises stays
    ///         netted against the winners (see README, Known limitations).
    function realise(address account) external;

    /// @notice In Settlement, after the realisation window: pays the caller's claim (pull).
    function claim() external returns (uint256 amount);

    /// @notice The pool's settlement claim for `shares` of the snapshot supply; only the pool.
    function onPoolClaim(address receiver, uint256 shares) external returns (uint256 assets);

    /* VIEWS */

    function guardian() external view returns (address);
    /// @notice What has been paid out in Settlement so far.
    function settlementPaid() external view returns (uint256);
    /// @notice Whether `account` has claimed, or been realised, in Settlement.
    function claimed(address account) external view returns (bool);
    function safetyParams() external view returns (SafetyParams memory);
    function settlement() external view returns (SettlementSnapshot memory);
    /// @notice Why the market is Halted, as a bit set: breaker 1, invariant 2, insolvency 4, guardian 8.
    function haltFlags() external view returns (uint8);
    /// @notice The time the market last entered Halted (0 if it never did).
    function haltedAt() external view returns (uint256);
    /// @notice While Halted, the time from which anyone may settle: haltedAt + max(maxHaltDuration, the owner timelock's
    ///         delay + 1 day), so that governance can always lift a halt before the permissionless exit. 0 otherwise.
    function exitOpensAt() external view returns (uint256);

    function collateral() external view returns (address);
    function oracle() external view returns (IOracleGuard);
    function pool() external view returns (address);
    function mode() external view returns (Mode);
    function riskParams() external view returns (RiskParams memory);
    function accountOf(address account) external view returns (MarginAccount memory);
    function aggregates() external view returns (Aggregates memory);
    /// @notice The realised profit the market paid all winners together in its current profit window (zero once it is
    ///         over), and when that window began. All closes in a MarketAccounting.PROFIT_WINDOW share one room of
    ///         MarketAccounting.MAX_PROFIT_SHARE of the pool's equity not counting what it owes the winners; when the
    ///         winners' claims exceed it, each close is paid the same fraction of its profit.
    function profitWindow() external view returns (uint256 paid, uint256 start);

    /// @notice The pool's equity: cash + funding owed to it - traders' net unrealised PnL, at the last good price.
    function poolEquity() external view returns (int256);

    /// @notice The insurance sub-fund: it goes to the LPs at settlement, so LP deposits buy into it (ILiquidityPool).
    function insurance() external view returns (uint256);

    /// @notice An account's equity, margin requirements and notional at the last good price, funding included.
    function accountHealth(address account)
        external
        view
        returns (int256 equity, uint256 initialRequired, uint256 maintenanceRequired, uint256 notional);

    /// @notice Whether the current mode allows `action` (the permission table; margin and price rules aside).
    function allows(Action action) external view returns (bool);

    /// @notice How much pool cash LPs could take out now and leave the pool backed (0 when the mode forbids it).
    function poolWithdrawable() external view returns (uint256);

    /// @notice The pool's figures as an LP action in this block would find them after its `refresh()`: the equity at
    ///         the price the guard would accept now (a pending Valid round included) with funding accrued at it,
    ///         whether an LP deposit would be taken, and how much an LP exit could take (both conservatively in the
    ///         mode that refresh would leave: a tightening is foreseen, a breaker reset is not; both need a Valid
    ///         reading).
    function poolQuote() external view returns (int256 equity, bool depositOpen, uint256 withdrawable);

    /// @notice The funding rate per second (WAD, positive when longs pay) implied by the current skew.
    function fundingRate() external view returns (int256);

    /// @notice The cumulative funding index as of now.
    function currentFundingIndex() external view returns (int256);
}
