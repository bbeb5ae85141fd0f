// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// @notice How a price reading was classified. Only `Valid` readings move the last good price.
enum OracleClass {
    Valid,
    Stale, // older than maxAge, unreadable, or a round id below the last accepted one
    NonPositive, // answer <= 0
    AtBounds, // pinned at the aggregator's min or max answer
    Diverged, // primary and secondary disagree beyond the divergence band
    TooVolatile, // beyond the jump band, not persistent, and unconfirmed or beyond maxConfirmedJump
    SequencerDown, // the L2 sequencer reports down
    GracePeriod // the L2 sequencer came back up less than the grace period ago
}

/// @notice Oracle guard parameters. Fractions are WAD (1e18 = 100%).
struct OracleParams {
    uint32 maxAge; // seconds: a primary reading older than this is Stale (match it to the feed's heartbeat)
    uint32 secondaryMaxAge; // seconds: a secondary reading older than this is ignored, not trusted
    uint32 sequencerGracePeriod; // seconds after the sequencer comes back up during which readings are refused
    uint32 jumpResetAfter; // seconds (>= maxAge) an unconfirmed level beyond the jump band must persist on new rounds
    uint32 liquidationHorizon; // seconds the volatility is scaled to (how long a liquidation may take)
    uint64 divergenceBand; // max |primary - secondary| / secondary
    uint64 jumpBand; // max |price - lastGood| / lastGood for one reading
    uint64 maxConfirmedJump; // (>= jumpBand) the largest such move a fresh secondary's confirmation alone accepts
    uint64 ewmaLambda; // weight the old variance keeps per liquidationHorizon of elapsed time, in (0, 1)
    uint64 imFloor; // initial margin ratio floor
    uint64 mmFloor; // maintenance margin ratio floor (below imFloor)
    uint64 kIM; // initial margin = max(imFloor, kIM * sigma)
    uint64 kMM; // maintenance margin target = max(mmFloor, kMM * sigma)
    uint64 mmMaxStep; // the most the maintenance ratio may rise per liquidationHorizon of feed time (and per reading)
}

/// @notice A level beyond the jump band that new primary rounds have shown without being accepted: no fresh secondary
///         confirmed it, or the move was beyond `maxConfirmedJump`.
///         All its rounds lie within one jump band of each other: [low, high]. Cleared by any accepted round.
struct PendingLevel {
    uint128 low; // the lowest price (WAD) among its rounds
    uint128 high; // the highest
    uint64 since; // updatedAt of its first round
    uint80 round; // the last round that joined it (0: no pending level)
}

/// @notice The guard's answer to one reading.
struct PriceReading {
    OracleClass class;
    uint256 price; // the reading normalised to WAD (0 when the answer is not positive)
    uint256 lastGoodPrice; // the last Valid price, WAD, after this reading
    uint80 roundId; // the primary round read (0 when unreadable or the sequencer voids it)
}

/// @title IOracleGuard
/// @notice Reads a primary and an optional secondary Chainlink-style feed and an optional L2 sequencer-uptime
///         feed, classifies every reading, keeps the last good price and an EWMA of squared log-returns
///         (realised volatility), and derives the margin ratios from it.
/// @dev A reading is only ever accepted once per primary round, so poking the guard repeatedly cannot move
///      the volatility estimate.
interface IOracleGuard {
    /// @notice A Valid reading of a new round was accepted.
    event PriceAccepted(
        uint80 indexed roundId,
        uint256 price,
        uint256 variance,
        uint256 initialMargin,
        uint256 maintenanceMargin
    );
    /// @notice A reading was not Valid; nothing changed but this record.
    event ReadingRejected(OracleClass indexed class, uint80 roundId, uint256 price);
    /// @notice Governance changed the parameters.
    event OracleParamsUpdated(OracleParams params);

    error OracleGuardBadFeed(address feed);
    error OracleGuardBadDecimals(address feed, uint8 decimals);
    error OracleGuardBadParams();
    error OracleGuardStepTooLarge();
    error OracleGuardInitialReadingInvalid(OracleClass class);
    /// @dev A feed call failed for want of gas: the caller starved the guard, which must not look like Stale.
    error OracleGuardOutOfGas();

    /// @notice Reads the feeds, classifies the reading, and accepts it if Valid and new. Permissionless.
    function update() external returns (PriceReading memory reading);

    /// @notice What `update` would return, without accepting anything.
    function peek() external view returns (PriceReading memory reading);

    /// @notice The last Valid price (WAD) and the time of its round.
    function lastGoodPrice() external view returns (uint256 price, uint256 updatedAt);

    /// @notice The stable price (WAD) now, and the time of the last good round (as `lastGoodPrice`), which is what a
    ///         trade needs from the guard. The stable price follows the last good price by at most
    ///         TradePricing.STABLE_RATE_BPS_PER_MINUTE of the higher of the two per minute of block time since each
    ///         round was accepted, so a level that stood only moments has barely moved it. Trades execute at the worse,
    ///         for the trader, of it and the accepted round (TradePricing.executionPrice); nothing else uses it.
    function stablePrice() external view returns (uint256 price, uint256 updatedAt);

    /// @notice The LP price (WAD) now, and the time it reaches the last good price. LP shares are valued at the worse,
    ///         for the LP, of it and the last good price (exits at the lower pool equity, entries at the higher;
    ///         LiquidityPool). It follows each accepted round linearly over as long as the round's move took to build
    ///         (the feed time since the round accepted before it), and, while still on its way to the previous one,
    ///         never reaches it sooner than it was to reach that one: so capital that is in the pool for a fraction f of that time around a round takes
    ///         at most f of the round's move, however it was timed, and a burst of quick rounds after a slow one
    ///         cannot hurry it.
    function lpPrice() external view returns (uint256 price, uint256 reachesLastGoodAt);

    /// @notice Current initial and maintenance margin ratios (WAD), derived from realised volatility.
    function marginRatios() external view returns (uint256 initialMargin, uint256 maintenanceMargin);

    /// @notice The EWMA variance of log-returns per second (WAD).
    function variance() external view returns (uint256);

    /// @notice The round id of the last accepted reading.
    function lastRoundId() external view returns (uint80);

    /// @notice The feed whose rounds the guard accepts.
    function primary() external view returns (AggregatorV3Interface);

    /// @notice The current parameters.
    function params() external view returns (OracleParams memory);

    /// @notice The level beyond the jump band being watched, unconfirmed or confirmed but beyond `maxConfirmedJump`
    ///         (`round` 0: none). A new round at this level is accepted once it is at least `jumpResetAfter` after
    ///         `since`.
    function pendingLevel() external view returns (PendingLevel memory);
}
