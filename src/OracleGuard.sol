// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {
    IOracleGuard,
    OracleClass,
    OracleParams,
    PendingLevel,
    PriceReading
} from "./interfaces/IOracleGuard.sol";
import {MarketParams} from "./libraries/MarketParams.sol";
import {TradePricing} from "./libraries/TradePricing.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @title OracleGuard
/// @notice Classifies every reading of a market's price feeds and keeps the last good price, the realised
///         volatility and the margin ratios that follow it. One guard per market.
contract OracleGuard is IOracleGuard, Ownable2Step {
    uint256 internal constant WAD = 1e18;
    /// @notice The largest price (WAD) the guard reads as a price: an answer beyond it is AtBounds from the primary and
    ///         ignored from the secondary, so no answer, however huge, can make the guard's arithmetic revert.
    uint256 public constant MAX_PRICE = 1e36;
    /// @notice The most primary rounds nobody showed the guard that a pending level may span between two rounds it
    ///         saw (each is read back with getRoundData); beyond it the level restarts at the round seen.
    uint256 public constant MAX_SKIPPED_ROUNDS = 16;

    /* IMMUTABLES */

    AggregatorV3Interface public immutable primary;
    AggregatorV3Interface public immutable secondary; // address(0): no cross-check
    AggregatorV3Interface public immutable sequencerUptime; // address(0): not on an L2
    uint256 internal immutable _primaryScale;
    uint256 internal immutable _secondaryScale;
    /// @notice The primary aggregator's clamp: an answer at or beyond either is AtBounds (0, 0: no clamp).
    int256 public immutable minAnswer;
    int256 public immutable maxAnswer;

    /* STORAGE */

    OracleParams internal _params;
    uint256 internal _lastGoodPrice;
    uint80 public lastRoundId;
    /// @dev The pending level (see `pendingLevel`), its clock and round packed with lastRoundId, which every accepted
    ///      round writes anyway, so clearing it costs nothing on the common path.
    uint64 internal _pendingSince;
    uint80 internal _pendingRound;
    uint256 public variance;
    uint256 internal _initialMargin;
    uint256 internal _maintenanceMargin;
    uint128 internal _pendingLow;
    uint128 internal _pendingHigh;
    /// @dev The stable price (see `stablePrice`) as it stood at `_stableAt`, when the last round was accepted; from
    ///      there it follows `_lastGoodPrice` at TradePricing's rate. Packed with the accepted round's time, which
    ///      every accepted round writes and every trade reads with it (an accepted round is never in the future, so
    ///      its time fits 64 bits).
    uint128 internal _stablePrice;
    uint64 internal _stableAt;
    uint64 internal _lastGoodAt;
    /// @dev The LP price (see `lpPrice`) as it stood at `_lpStart`, when the last round was accepted; from there it
    ///      moves linearly to `_lastGoodPrice`, which it reaches at `_lpUntil`.
    uint128 internal _lpFrom;
    uint64 internal _lpStart;
    uint64 internal _lpUntil;

    constructor(
        AggregatorV3Interface primary_,
        AggregatorV3Interface secondary_,
        AggregatorV3Interface sequencerUptime_,
        int256 minAnswer_,
        int256 maxAnswer_,
        OracleParams memory params_,
        uint256 initialVariance,
        address owner_
    ) Ownable(owner_) {
        if (address(primary_) == address(0)) revert OracleGuardBadFeed(address(0));
        primary = primary_;
        secondary = secondary_;
        sequencerUptime = sequencerUptime_;
        _primaryScale = _scaleOf(primary_);
        _secondaryScale = address(secondary_) == address(0) ? 0 : _scaleOf(secondary_);
        if (maxAnswer_ != 0 && minAnswer_ >= maxAnswer_) revert OracleGuardBadParams();
        minAnswer = minAnswer_;
        maxAnswer = maxAnswer_;
        _setParams(params_);
        variance = initialVariance;

        // The first reading seeds the last good price; it must be Valid (the jump check has nothing to compare).
        (OracleClass class, uint256 price, uint80 roundId, uint256 updatedAt) = _classify();
        if (class != OracleClass.Valid) revert OracleGuardInitialReadingInvalid(class);
        _lastGoodPrice = price;
        _lastGoodAt = uint64(updatedAt);
        lastRoundId = roundId;
        (_stablePrice, _stableAt) = (uint128(price), uint64(block.timestamp));
        (_lpFrom, _lpStart, _lpUntil) = (uint128(price), uint64(block.timestamp), uint64(block.timestamp));
        _initialMargin = _initialFor(_sigma(initialVariance));
        _maintenanceMargin =
            M.min(M.max(params_.mmFloor, M.mulWad(params_.kMM, _sigma(initialVariance))), _initialMargin);
    }

    /* READING */

    /// @inheritdoc IOracleGuard
    function update() external returns (PriceReading memory reading) {
        (OracleClass class, uint256 price, uint80 roundId, uint256 updatedAt) = _classify();
        if (class == OracleClass.Valid) {
            if (roundId > lastRoundId) _accept(price, roundId, updatedAt);
        } else {
            if (class == OracleClass.TooVolatile && roundId > lastRoundId && roundId > _pendingRound) {
                _extendPending(price, roundId, updatedAt);
            }
            // A fresh secondary contradicting a new round is evidence against any level the primary was building.
            else if (class == OracleClass.Diverged && roundId > lastRoundId) {
                _pendingRound = 0;
            }
            emit ReadingRejected(class, roundId, price);
        }
        return PriceReading(class, price, _lastGoodPrice, roundId);
    }

    /// @inheritdoc IOracleGuard
    function peek() external view returns (PriceReading memory reading) {
        (OracleClass class, uint256 price, uint80 roundId,) = _classify();
        return PriceReading(class, price, class == OracleClass.Valid ? price : _lastGoodPrice, roundId);
    }

    /// @inheritdoc IOracleGuard
    function lastGoodPrice() external view returns (uint256 price, uint256 updatedAt) {
        return (_lastGoodPrice, _lastGoodAt);
    }

    /// @inheritdoc IOracleGuard
    function stablePrice() external view returns (uint256 price, uint256 updatedAt) {
        return (_stableNow(), _lastGoodAt);
    }

    /// @inheritdoc IOracleGuard
    function lpPrice() external view returns (uint256 price, uint256 reachesLastGoodAt) {
        return (_lpNow(), _lpUntil);
    }

    /// @inheritdoc IOracleGuard
    function marginRatios() external view returns (uint256 initialMargin, uint256 maintenanceMargin) {
        return (_initialMargin, _maintenanceMargin);
    }

    /// @inheritdoc IOracleGuard
    function params() external view returns (OracleParams memory) {
        return _params;
    }

    /// @inheritdoc IOracleGuard
    function pendingLevel() external view returns (PendingLevel memory) {
        return _pendingLevel();
    }

    /* GOVERNANCE */

    /// @notice Never: a guard without an owner could never have its parameters corrected. Ownership moves in two
    ///         steps (Ownable2Step), to the market's timelock in a deployed system.
    function renounceOwnership() public view override onlyOwner {
        revert OwnableInvalidOwner(address(0));
    }

    /// @notice Replaces the parameters; only the owner (the timelock in a deployed system).
    function setParams(OracleParams calldata params_) external onlyOwner {
        OracleParams memory o = _params;
        // Each change moves a parameter by a bounded step (MarketParams), so no single proposal can swing the margins.
        if (!MarketParams.oracleSteps(o, params_)) revert OracleGuardStepTooLarge();
        _setParams(params_);
        // New floors and multipliers apply at once (MM still moves by at most one step).
        uint256 sigma = _sigma(variance);
        uint256 im = _initialFor(sigma);
        uint256 target = M.max(params_.mmFloor, M.mulWad(params_.kMM, sigma));
        uint256 mm = _maintenanceMargin;
        mm = M.min(target > mm ? M.min(target, mm + params_.mmMaxStep) : target, im);
        (_initialMargin, _maintenanceMargin) = (im, mm);
    }

    /* INTERNAL */

    /// @dev Feeds are called with try/catch: a feed that reverts (with any data) is a Stale reading, never a
    ///      revert that a caller could mistake for one of its own.
    function _classify()
        internal
        view
        returns (OracleClass, uint256 price, uint80 roundId, uint256 updatedAt)
    {
        OracleParams memory p = _params;
        if (address(sequencerUptime) != address(0)) {
            (bool up,, int256 status, uint256 startedAt,) = _latest(sequencerUptime);
            // A feed that never reported a status change (startedAt 0) says nothing about the sequencer being up.
            if (!up || status != 0 || startedAt == 0) return (OracleClass.SequencerDown, 0, 0, 0);
            if (startedAt > block.timestamp || block.timestamp - startedAt < p.sequencerGracePeriod) {
                return (OracleClass.GracePeriod, 0, 0, 0);
            }
        }

        (bool ok, uint80 r, int256 answer,, uint256 u) = _latest(primary);
        if (!ok) return (OracleClass.Stale, 0, 0, 0);
        (roundId, updatedAt) = (r, u);
        if (answer <= 0) return (OracleClass.NonPositive, 0, roundId, updatedAt);
        if (uint256(answer) > MAX_PRICE / _primaryScale) {
            return (OracleClass.AtBounds, 0, roundId, updatedAt);
        }
        price = uint256(answer) * _primaryScale;
        if (updatedAt == 0 || updatedAt > block.timestamp || block.timestamp - updatedAt > p.maxAge) {
            return (OracleClass.Stale, price, roundId, updatedAt);
        }
        if (roundId < lastRoundId) return (OracleClass.Stale, price, roundId, updatedAt);
        // A newer round that is older in time than the last accepted one is out of order: not trusted.
        if (roundId > lastRoundId && updatedAt < _lastGoodAt) {
            return (OracleClass.Stale, price, roundId, updatedAt);
        }
        if (maxAnswer != 0 && (answer <= minAnswer || answer >= maxAnswer)) {
            return (OracleClass.AtBounds, price, roundId, updatedAt);
        }
        bool confirmed;
        if (address(secondary) != address(0)) {
            // The secondary only cross-checks: a secondary that is unreadable or stale is ignored, not trusted.
            (bool ok2,, int256 a2,, uint256 u2) = _latest(secondary);
            if (
                ok2 && a2 > 0 && uint256(a2) <= MAX_PRICE / _secondaryScale && u2 <= block.timestamp
                    && block.timestamp - u2 <= p.secondaryMaxAge
            ) {
                uint256 price2 = uint256(a2) * _secondaryScale;
                if (M.divWad(M.dist(price, price2), price2) > p.divergenceBand) {
                    return (OracleClass.Diverged, price, roundId, updatedAt);
                }
                confirmed = true;
            }
        }
        uint256 last = _lastGoodPrice;
        // A move beyond the jump band is accepted when an independent fresh secondary confirms it (and it is no
        // larger than any real market moves in one round: both feeds can be wrong together), or once the primary
        // has shown the level on new rounds for jumpResetAfter; time passing alone accepts nothing.
        if (
            last != 0 && _move(price, last) > p.jumpBand
                && !(confirmed && _move(price, last) <= p.maxConfirmedJump)
                && !_persisted(p, price, roundId, updatedAt)
        ) return (OracleClass.TooVolatile, price, roundId, updatedAt);
        return (OracleClass.Valid, price, roundId, updatedAt);
    }

    /// @dev |price - last| / last (WAD).
    function _move(uint256 price, uint256 last) internal pure returns (uint256) {
        return M.divWad(M.dist(price, last), last);
    }

    /// @dev Whether this new round completes the pending level: an earlier new round beyond the band began it, every
    ///      primary round since (the ones nobody showed the guard included) stayed within one jump band of the
    ///      others, and the first was published at least jumpResetAfter before this one.
    function _persisted(OracleParams memory p, uint256 price, uint80 roundId, uint256 updatedAt)
        internal
        view
        returns (bool)
    {
        PendingLevel memory q = _pendingLevel();
        if (q.round == 0 || roundId <= q.round || updatedAt < q.since) return false;
        (bool ok,,) = _joinLevel(p, q, price, roundId);
        return ok && updatedAt - q.since >= p.jumpResetAfter;
    }

    /// @dev Records a new round beyond the band: it joins the pending level if the level's range, with it and the
    ///      rounds in between, stays within one jump band; otherwise it starts a new level (the clock restarts).
    function _extendPending(uint256 price, uint80 roundId, uint256 updatedAt) internal {
        PendingLevel memory q = _pendingLevel();
        (bool ok, uint256 low, uint256 high) =
            q.round == 0 ? (false, 0, 0) : _joinLevel(_params, q, price, roundId);
        if (!ok) (low, high, q.since) = (price, price, uint64(updatedAt));
        (_pendingLow, _pendingHigh, _pendingSince, _pendingRound) =
        (uint128(low), uint128(high), q.since, roundId);
    }

    /// @dev The level's range with `price` and the primary rounds between its last round and `roundId` (read with
    ///      getRoundData, at most MAX_SKIPPED_ROUNDS of them); ok = false when that range is wider than one jump band
    ///      or a round in between cannot be read as a price — unreadable, not positive, or at the aggregator's
    ///      min/max clamp (AtBounds: the market may be anywhere beyond it) — the level did not hold, as far as the
    ///      guard can tell.
    function _joinLevel(OracleParams memory p, PendingLevel memory q, uint256 price, uint80 roundId)
        internal
        view
        returns (bool ok, uint256 low, uint256 high)
    {
        (low, high) = (M.min(q.low, price), M.max(q.high, price));
        if (roundId - q.round > MAX_SKIPPED_ROUNDS + 1) return (false, low, high);
        for (uint80 r = q.round + 1; r < roundId; ++r) {
            (bool readable, int256 answer) = _answerOf(r);
            if (
                !readable || answer <= 0 || uint256(answer) > MAX_PRICE / _primaryScale
                    || (maxAnswer != 0 && (answer <= minAnswer || answer >= maxAnswer))
            ) return (false, low, high);
            uint256 a = uint256(answer) * _primaryScale;
            (low, high) = (M.min(low, a), M.max(high, a));
        }
        ok = M.divWad(high - low, low) <= p.jumpBand;
    }

    /// @dev One primary round's answer, read like `_latest` so that nothing the feed does reverts here.
    function _answerOf(uint80 roundId) internal view returns (bool ok, int256 answer) {
        uint256 gasBefore = gasleft();
        (bool success, bytes memory ret) =
            address(primary).staticcall(abi.encodeCall(AggregatorV3Interface.getRoundData, (roundId)));
        if (!success) {
            _revertIfStarved(gasBefore);
            return (false, 0);
        }
        if (ret.length < 160) return (false, 0);
        (, answer) = abi.decode(ret, (uint256, int256));
        return (true, answer);
    }

    /// @dev Round 0 means no pending level, whatever the other fields still hold.
    function _pendingLevel() internal view returns (PendingLevel memory q) {
        if (_pendingRound != 0) q = PendingLevel(_pendingLow, _pendingHigh, _pendingSince, _pendingRound);
    }

    /// @dev One feed's latest round, read with a low-level staticcall so that nothing a feed does — revert with any
    ///      data, return too little or malformed data, have no code — reaches the caller as anything but `ok = false`.
    function _latest(AggregatorV3Interface feed)
        internal
        view
        returns (bool ok, uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt)
    {
        uint256 gasBefore = gasleft();
        (bool success, bytes memory ret) =
            address(feed).staticcall(abi.encodeCall(AggregatorV3Interface.latestRoundData, ()));
        if (!success) {
            _revertIfStarved(gasBefore);
            return (false, 0, 0, 0, 0);
        }
        if (ret.length < 160) return (false, 0, 0, 0, 0);
        uint256 round;
        (round, answer, startedAt, updatedAt) = abi.decode(ret, (uint256, int256, uint256, uint256));
        if (round > type(uint80).max) return (false, 0, 0, 0, 0);
        return (true, uint80(round), answer, startedAt, updatedAt);
    }

    /// @dev A feed call that failed with at most 1/64 of the gas it was given left over ran out of gas: the caller
    ///      starved this call (EIP-150), and that must revert rather than read as an anomaly that trips a breaker.
    function _revertIfStarved(uint256 gasBefore) internal view {
        if (gasleft() <= gasBefore / 64) revert OracleGuardOutOfGas();
    }

    /// @dev EWMA of squared log-returns per second, weighted by elapsed time: the old variance keeps
    ///      w = lambda^(dt / horizon) and the interval's rate r^2/dt the rest, so one move adds at most
    ///      r^2 |ln lambda| / horizon however short its interval. Then margins: IM moves at once; MM rises by at most
    ///      mmMaxStep * min(dt / horizon, 1), and only on a round that raised the variance (flat rounds never ratchet
    ///      it up).
    function _accept(uint256 price, uint80 roundId, uint256 updatedAt) internal {
        OracleParams memory p = _params;
        // The stable price so far followed the previous round; from now it follows this one.
        (_stablePrice, _stableAt) = (uint128(_stableNow()), uint64(block.timestamp));
        _lpSetOff(updatedAt - _lastGoodAt);
        if (updatedAt == _lastGoodAt) {
            // Another round in the same second: the price is accepted, but a return over zero time says nothing
            // about volatility (dividing by a clamped dt would spike the margins).
            (_lastGoodPrice, lastRoundId) = (price, roundId);
            _pendingRound = 0;
            emit PriceAccepted(roundId, price, variance, _initialMargin, _maintenanceMargin);
            return;
        }
        // Both prices are in (0, MAX_PRICE]: the ratio is positive unless it rounds to zero, which counts as the
        // smallest ratio rather than reverting in lnWad.
        int256 r = M.lnWad(int256(M.max(M.divWad(price, _lastGoodPrice), 1)));
        uint256 dt = updatedAt - _lastGoodAt;
        uint256 sample = uint256(r * r) / WAD / dt;
        uint256 w = _decay(p, dt);
        uint256 previous = variance;
        uint256 v = (w * previous + (WAD - w) * sample) / WAD;
        variance = v;

        uint256 sigma = _sigma(v);
        uint256 im = _initialFor(sigma);
        uint256 target = M.max(p.mmFloor, M.mulWad(p.kMM, sigma));
        uint256 mm = _maintenanceMargin;
        if (target <= mm) {
            mm = target;
        }
        // Rises by mmMaxStep per liquidationHorizon of feed time at most, however many rounds carry it: volatility
        // manufactured with many small rounds cannot walk MM up (and liquidate) faster than a real move would.
        else if (v > previous) {
            mm = M.min(target, mm + _mmRise(p, dt));
        }
        mm = M.min(mm, im);
        (_initialMargin, _maintenanceMargin) = (im, mm);
        (_lastGoodPrice, _lastGoodAt, lastRoundId) = (price, uint64(updatedAt), roundId);
        _pendingRound = 0;
        emit PriceAccepted(roundId, price, v, im, mm);
    }

    /// @dev The most MM may rise over dt seconds of feed time: mmMaxStep per liquidationHorizon, and per reading.
    function _mmRise(OracleParams memory p, uint256 dt) internal pure returns (uint256) {
        return M.min(p.mmMaxStep, p.mmMaxStep * dt / p.liquidationHorizon);
    }

    function _stableNow() internal view returns (uint256) {
        return TradePricing.stableAfter(_stablePrice, _lastGoodPrice, block.timestamp - _stableAt);
    }

    /// @dev The LP price sets off from where it stands toward the round being accepted, over as long as the round's
    ///      move took to build (`built`: feed time since the last accepted round), and, if it has not yet reached the
    ///      last round, no sooner than it was to reach that one.
    function _lpSetOff(uint256 built) internal {
        uint256 from = _lpNow();
        uint256 until = block.timestamp + built;
        if (from != _lastGoodPrice) until = M.max(until, _lpUntil);
        (_lpFrom, _lpStart, _lpUntil) = (uint128(from), uint64(block.timestamp), uint64(until));
    }

    /// @dev Linear from `_lpFrom` at `_lpStart` to the last good price at `_lpUntil` (which is later than
    ///      `_lpStart` whenever `block.timestamp` is before it).
    function _lpNow() internal view returns (uint256) {
        uint256 target = _lastGoodPrice;
        uint256 until = _lpUntil;
        if (block.timestamp >= until) return target;
        uint256 from = _lpFrom;
        uint256 span = until - _lpStart;
        uint256 gone = block.timestamp - _lpStart;
        return target >= from ? from + (target - from) * gone / span : from - (from - target) * gone / span;
    }

    /// @dev lambda^(dt / horizon) = exp(ln(lambda) * dt / horizon); 0 once the old variance is forgotten entirely.
    function _decay(OracleParams memory p, uint256 dt) internal pure returns (uint256) {
        return uint256(
            M.expWad(
                M.lnWad(int256(uint256(p.ewmaLambda))) * int256(dt) / int256(uint256(p.liquidationHorizon))
            )
        );
    }

    function _sigma(uint256 v) internal view returns (uint256) {
        return M.sqrtWad(v * _params.liquidationHorizon);
    }

    function _initialFor(uint256 sigma) internal view returns (uint256) {
        return M.min(M.max(_params.imFloor, M.mulWad(_params.kIM, sigma)), WAD);
    }

    function _setParams(OracleParams memory p) internal {
        if (
            p.maxAge == 0 || p.ewmaLambda == 0 || p.ewmaLambda >= WAD || p.mmFloor == 0
                || p.mmFloor >= p.imFloor || p.imFloor > WAD || p.kMM > p.kIM || p.jumpBand == 0
                || p.divergenceBand == 0 || p.liquidationHorizon == 0
                // A level must outlast at least one heartbeat to be accepted unconfirmed: never a single round.
                || p.jumpResetAfter < p.maxAge
                // At least the band (hence nonzero): below it, confirmation would accept nothing.
                || p.maxConfirmedJump < p.jumpBand
        ) revert OracleGuardBadParams();
        _params = p;
        emit OracleParamsUpdated(p);
    }

    function _scaleOf(AggregatorV3Interface feed) internal view returns (uint256) {
        uint8 d = feed.decimals();
        if (d == 0 || d > 18) revert OracleGuardBadDecimals(address(feed), d);
        return 10 ** (18 - d);
    }
}
