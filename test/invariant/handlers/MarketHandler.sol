// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LiquidityPool} from "../../../src/LiquidityPool.sol";
import {Market} from "../../../src/Market.sol";
import {OracleGuard} from "../../../src/OracleGuard.sol";
import {ILiquidityPool} from "../../../src/interfaces/ILiquidityPool.sol";
import {
    Action,
    Aggregates,
    Cause,
    IMarket,
    Invariant,
    MarginAccount,
    Mode
} from "../../../src/interfaces/IMarket.sol";
import {OracleClass, PriceReading} from "../../../src/interfaces/IOracleGuard.sol";
import {MarketAccounting} from "../../../src/libraries/MarketAccounting.sol";
import {SignedMath as S} from "../../../src/libraries/SignedMath.sol";
import {TradePricing} from "../../../src/libraries/TradePricing.sol";
import {MockAggregator} from "../../mocks/MockAggregator.sol";
import {MockERC20} from "../../mocks/MockERC20.sol";
import {MarketModel} from "./MarketModel.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @title MarketHandler
/// @notice Drives one market through its whole public surface with a few actors, the Liquity-v2 way: every
///         action bounds its inputs, predicts its outcome with MarketModel (the exact revert data, a breaker trip,
///         an invariant trip, or the exact state after success, mode transitions included), runs the call, and
///         then *justifies* what happened: a commit must match the predicted state field by field and emit exactly
///         the predicted ModeChanged events, a revert must carry exactly the predicted error, and anything else
///         fails the run. The market's reverts are caught here (fail_on_revert = true), never swallowed.
/// @dev Actors: three traders, one actor that never trades (deposits and withdraws only), two LPs, a keeper, an
///      insurer and a donor. Every feed move and every warp ends with `market.refresh()` (a keeper poke, itself
///      predicted: funding, the breaker's reset, self-correction), so no Valid round is ever pending when an action
///      runs and the price an action will use is the last good one. Independently of the model, every ModeChanged
///      event is checked against the rule "the mode only tightens, except a breaker reset back to the mode it
///      tripped from" (`ghostIllegalModeChanges`).
contract MarketHandler is Test {
    using MarketModel for MarketModel.State;

    int256 internal constant PRICE_FLOOR = 1000e8; // the handler's price envelope (feed answers, 8 decimals)
    int256 internal constant PRICE_CEIL = 4000e8;
    int256 internal constant MAX_STEP_BPS = 900; // inside the guard's 10% jump band
    int256 internal constant GLITCH_BPS = 300; // outside the guard's 2% divergence band
    uint256 internal constant SHARE_UNIT = 1e12; // one LP share (6 + 6 decimals)
    uint256 internal constant VIRTUAL_SHARES = 1e6; // OpenZeppelin ERC-4626 with decimals offset 6
    // LiquidityPool's outflow limiter state (`forge inspect LiquidityPool storageLayout`); read, never written.
    // The limiter's packed slots: (start, base), (in, inAge), (out, outAge), carry; the first of each pair low.
    uint256 internal constant POOL_WINDOW_START_SLOT = 5;

    Market internal immutable market;
    LiquidityPool internal immutable pool;
    OracleGuard internal immutable guard;
    MockERC20 internal immutable usd;
    MockAggregator internal immutable feed;
    MockAggregator internal immutable feed2;
    int256 internal immutable divisor;

    address[] internal _traders;
    address[] internal _lps;
    address public immutable passive;
    address public immutable keeper;
    address public immutable insurer;
    address public immutable donor;
    address public immutable guardian;

    /* GHOSTS */

    mapping(address account => int256) public ghostSize; // every trader's size, as the model predicted it
    uint256 public ghostDonatedToMarket;
    uint256 public ghostDonatedToPool;
    uint256 public ghostPassiveDeposited;
    uint256 public ghostPassiveWithdrawn;
    uint256 public ghostDonationMovedPrice; // donations after which totalAssets or the share price moved
    uint256 public ghostInvariantViolatedEvents; // InvariantViolated events seen in any call
    uint256 public ghostPredictedTrips; // invariant trips the model predicted (each one a src bug)
    /// @dev Read from the logs alone, independent of the model: ModeChanged events that loosen the mode other than
    ///      by a breaker reset to the mode the last BreakerTripped event named (with no halt cause left), or that
    ///      tighten for a cause honest operation does not have (an invariant, the guardian, governance).
    uint256 public ghostIllegalModeChanges;
    Mode public ghostModeFromLogs; // the `to` of the last ModeChanged event
    Mode public ghostResumeModeFromLogs; // the resumeMode of the last BreakerTripped event
    uint256 public ghostBreakerTrips;
    uint256 public ghostBreakerResets;
    uint256 public ghostBadDebt;
    uint256 public ghostSocialised;
    uint256 public ghostKeeperRewards;
    uint256[5] public ghostActionsInMode; // handler actions that ended in each mode
    uint256[5] public ghostExitsInMode; // never-trader withdrawals that paid, by the mode they ran in
    /// @dev The lowest pool equity + insurance seen after any action, and how many actions ended with it below 0.
    int256 public ghostMinPoolEquityPlusInsurance = type(int256).max;
    uint256 public ghostPoolUnderwaterObservations;
    /// @dev The breaker's reset bookkeeping, which the market does not expose: the model's, updated on every commit.
    MarketModel.Breaker internal _breaker;

    /// @dev Outcome counters, "action: outcome" → count, for the end-of-run summary.
    mapping(bytes32 key => uint256) public outcomeCount;
    string[] internal _outcomeKeys;
    mapping(bytes4 selector => string) internal _errorName;

    /// @notice The pool's outflow limiter window (LiquidityPool's internal state, in its storage order).
    struct Limiter {
        uint256 start;
        uint256 base;
        uint256 inflow;
        uint256 outflow;
        uint256 carry;
        uint256 inAge;
        uint256 outAge;
    }

    struct Prediction {
        bytes err; // the exact revert data expected; empty when the call should commit
        bool breaker; // commits as a breaker trip: only the safety state changes (and, for the pool, its refresh)
        OracleClass breakerClass;
        Mode breakerFrom;
        MarketModel.Trip trip; // when it commits: the trip the market's own check will report, if any
        MarketModel.State post; // when it commits without a trip: the exact state after it
        uint256 reward; // liquidation: the keeper reward
        uint256 deficit; // liquidation: the bad debt recognised
        uint256 socialised; // liquidation: the part of it the LPs carry
        uint256 shares; // LP actions: shares minted or burned
        uint256 assets; // LP actions: assets paid in or out
        Limiter limiter; // LP actions: the outflow window after the call
        string note; // coverage: an extra outcome worth counting (a deferred receivable, a kinder price, ...)
    }

    /// @dev What a call's logs say about the market's safety.
    struct Observed {
        uint256 trips;
        Invariant inv;
        int256 expected;
        int256 actual;
        MarketModel.Transition[8] changes;
        uint256 nChanges;
        uint256 breakerEvents;
        OracleClass breakerClass;
        Mode breakerResume;
        uint256 refusals; // ActionRefusedByMarket from the pool
    }

    constructor(
        Market market_,
        LiquidityPool pool_,
        OracleGuard guard_,
        MockERC20 usd_,
        MockAggregator feed_,
        MockAggregator feed2_
    ) {
        (market, pool, guard, usd, feed, feed2) = (market_, pool_, guard_, usd_, feed_, feed2_);
        divisor = int256(10 ** (36 - uint256(usd_.decimals())));
        _traders.push(makeAddr("trader0"));
        _traders.push(makeAddr("trader1"));
        _traders.push(makeAddr("trader2"));
        _lps.push(makeAddr("lp0"));
        _lps.push(makeAddr("lp1"));
        passive = makeAddr("neverTrades");
        keeper = makeAddr("keeper");
        insurer = makeAddr("insurer");
        donor = makeAddr("donor");
        guardian = makeAddr("guardian");
        for (uint256 i; i < 3; ++i) {
            _approve(_traders[i]);
        }
        _approve(_lps[0]);
        _approve(_lps[1]);
        _approve(passive);
        _approve(insurer);
        _nameErrors();
        ghostModeFromLogs = market_.mode();
    }

    /* ================================================================================================== */
    /*                                               ACTIONS                                              */
    /* ================================================================================================== */

    /// @notice A trader adds margin (0 allowed: MarketZeroAmount); one top-up in eight is tiny (up to 1,000 units,
    ///         smaller than the funding an account can owe: MarketAccountInsolvent).
    function deposit(uint256 actorSeed, uint256 amountSeed) external {
        address who = _trader(actorSeed);
        uint256 amount = amountSeed % 16 == 0
            ? 0
            : (amountSeed % 8 == 1 ? _bound(amountSeed, 1, 1000) : _bound(amountSeed, 1, 200_000e6));
        usd.mint(who, amount);
        Prediction memory p = _predictDeposit(who, amount);
        (bool ok, bytes memory ret) = _exec(who, address(market), abi.encodeCall(IMarket.deposit, (amount)));
        _justify("deposit", who, p, ok, ret);
    }

    /// @notice A trader withdraws: sometimes exactly its free margin, sometimes a random amount above or below.
    function withdraw(uint256 actorSeed, uint256 amountSeed) external {
        address who = _trader(actorSeed);
        uint256 amount = _withdrawAmount(who, amountSeed);
        Prediction memory p = _predictWithdraw(who, amount);
        (bool ok, bytes memory ret) = _exec(who, address(market), abi.encodeCall(IMarket.withdraw, (amount)));
        _justify("withdraw", who, p, ok, ret);
        if (_committedAction(p, ok)) _assertInitialMargin("withdraw", who);
    }

    /// @notice Opens, increases, reduces or flips a position, sized around what the account can afford, with
    ///         no price limit, a limit that holds, or one that does not.
    function modifyPosition(uint256 actorSeed, int256 sizeSeed, uint256 limitSeed) external {
        address who = _trader(actorSeed);
        int256 delta = _sizeDelta(who, sizeSeed);
        uint256 limit = _priceLimit(delta, limitSeed);
        int256 sizeBefore = market.accountOf(who).size;
        Prediction memory p = _predictModify(who, delta, limit);
        (bool ok, bytes memory ret) =
            _exec(who, address(market), abi.encodeCall(IMarket.modifyPosition, (delta, limit)));
        _justify("modifyPosition", who, p, ok, ret);
        if (_committedAction(p, ok) && _isIncrease(sizeBefore, delta)) {
            _assertBacked("modifyPosition", false);
            _assertInitialMargin("modifyPosition", who);
        }
    }

    /// @notice Opens or adds close to the most the account can afford (90% to 100% of it, either side): the
    ///         positions the keeper and the loss waterfall are for.
    function openLeveraged(uint256 actorSeed, uint256 fractionSeed, bool short) external {
        address who = _trader(actorSeed);
        int256 affordable = int256(_affordable(who));
        int256 delta = affordable * int256(_bound(fractionSeed, 90, 100)) / 100;
        if (short) delta = -delta;
        int256 sizeBefore = market.accountOf(who).size;
        Prediction memory p = _predictModify(who, delta, 0);
        (bool ok, bytes memory ret) =
            _exec(who, address(market), abi.encodeCall(IMarket.modifyPosition, (delta, 0)));
        _justify("openLeveraged", who, p, ok, ret);
        if (_committedAction(p, ok) && _isIncrease(sizeBefore, delta)) {
            _assertBacked("openLeveraged", false);
            _assertInitialMargin("openLeveraged", who);
        }
    }

    /// @notice Closes the whole position (MarketZeroSize when there is none).
    function closePosition(uint256 actorSeed, uint256 limitSeed) external {
        address who = _traderWithPosition(actorSeed);
        int256 delta = -market.accountOf(who).size;
        uint256 limit = delta == 0 ? 0 : _priceLimit(delta, limitSeed);
        Prediction memory p = _predictModify(who, delta, limit);
        (bool ok, bytes memory ret) =
            _exec(who, address(market), abi.encodeCall(IMarket.closePosition, (limit)));
        _justify("closePosition", who, p, ok, ret);
    }

    /// @notice The keeper liquidates a trader (or the never-trading actor: MarketNoPosition).
    function liquidate(uint256 targetSeed) external {
        // Half the time the keeper works like a bot (the first account that looks liquidatable), otherwise it
        // tries someone with a position, or the never-trading actor.
        address target = targetSeed % 8 == 7
            ? passive
            : (targetSeed % 2 == 0 ? _liquidatableTrader(targetSeed) : _traderWithPosition(targetSeed));
        _liquidate(target);
    }

    function _liquidate(address target) internal {
        Prediction memory p = _predictLiquidate(target);
        uint256 keeperBefore = usd.balanceOf(keeper);
        (bool ok, bytes memory ret) =
            _exec(keeper, address(market), abi.encodeCall(IMarket.liquidate, (target)));
        _justify("liquidate", target, p, ok, ret);
        if (_committedAction(p, ok)) {
            assertEq(abi.decode(ret, (uint256)), p.reward, "liquidate: returned reward");
            assertEq(usd.balanceOf(keeper) - keeperBefore, p.reward, "liquidate: keeper paid");
            assertEq(market.accountOf(target).size, 0, "liquidate: the whole position is closed");
            ghostKeeperRewards += p.reward;
            ghostBadDebt += p.deficit;
            ghostSocialised += p.socialised;
            _count(
                "liquidate",
                p.deficit == 0
                    ? "ok, penalty paid"
                    : (p.socialised == 0 ? "ok, bad debt covered" : "ok, bad debt socialised")
            );
        }
    }

    /// @notice An LP deposits (0 allowed: PoolZeroShares).
    function lpDeposit(uint256 lpSeed, uint256 amountSeed) external {
        address who = _lps[lpSeed % 2];
        uint256 assets = amountSeed % 16 == 0 ? 0 : _bound(amountSeed, 1, 1_000_000e6);
        usd.mint(who, assets);
        Prediction memory p = _predictLpDeposit(who, assets);
        uint256 sharesBefore = pool.balanceOf(who);
        uint256 walletBefore = usd.balanceOf(who);
        (bool ok, bytes memory ret) =
            _exec(who, address(pool), abi.encodeCall(ERC4626.deposit, (assets, who)));
        _justify("lpDeposit", address(0), p, ok, ret);
        if (_committedAction(p, ok)) {
            assertEq(abi.decode(ret, (uint256)), p.shares, "lpDeposit: returned shares");
            assertEq(pool.balanceOf(who) - sharesBefore, p.shares, "lpDeposit: shares minted");
            assertEq(walletBefore - usd.balanceOf(who), assets, "lpDeposit: assets taken");
            _assertLimiter("lpDeposit", p.limiter);
        }
    }

    /// @notice An LP redeems: its whole balance (which may exceed maxRedeem: ERC4626ExceededMaxRedeem), exactly
    ///         maxRedeem (LPs leaving as fast as the backing, the cash reserve and the limiter let them), or a random
    ///         part of it. A non-Valid reading trips the breaker: the pool returns 0.
    function lpRedeem(uint256 lpSeed, uint256 sharesSeed) external {
        address who = pool.balanceOf(_lps[lpSeed % 2]) == 0 ? _lps[(lpSeed % 2 + 1) % 2] : _lps[lpSeed % 2];
        uint256 balance = pool.balanceOf(who);
        uint256 shares = sharesSeed % 4 == 0
            ? balance
            : (sharesSeed % 4 == 1 ? pool.maxRedeem(who) : _bound(sharesSeed, 0, pool.maxRedeem(who)));
        Prediction memory p = _predictLpRedeem(who, shares);
        uint256 walletBefore = usd.balanceOf(who);
        (bool ok, bytes memory ret) =
            _exec(who, address(pool), abi.encodeCall(ERC4626.redeem, (shares, who, who)));
        Observed memory o = _justify("lpRedeem", address(0), p, ok, ret);
        if (ok && p.err.length == 0 && !p.trip.tripped) {
            _assertLimiter("lpRedeem", p.limiter);
            if (p.breaker) {
                // The market refused and halted itself: the pool returns 0, burns nothing, pays nothing.
                assertEq(abi.decode(ret, (uint256)), 0, "lpRedeem: refused, returns 0");
                assertEq(o.refusals, 1, "lpRedeem: ActionRefusedByMarket");
                assertEq(pool.balanceOf(who), balance, "lpRedeem: refused, no shares burned");
                assertEq(usd.balanceOf(who), walletBefore, "lpRedeem: refused, nothing paid");
                return;
            }
            assertEq(abi.decode(ret, (uint256)), p.assets, "lpRedeem: returned assets");
            assertEq(balance - pool.balanceOf(who), shares, "lpRedeem: shares burned");
            assertEq(usd.balanceOf(who) - walletBefore, p.assets, "lpRedeem: assets paid");
            _assertBacked("lpRedeem", true);
        }
    }

    /// @notice Anyone tops up the insurance sub-fund (0 allowed: MarketZeroAmount).
    function fundInsurance(uint256 amountSeed) external {
        uint256 amount = amountSeed % 16 == 0 ? 0 : _bound(amountSeed, 1, 50_000e6);
        usd.mint(insurer, amount);
        Prediction memory p;
        if (amount == 0) {
            p.err = abi.encodeWithSelector(IMarket.MarketZeroAmount.selector);
        } else {
            MarketModel.State memory s = _load(address(0)); // insurance is allowed in every mode and accrues nothing
            int256 before = s.credits();
            s.insurance += amount;
            s.balance += amount;
            p = _commit(s, before, int256(amount), false, 0);
        }
        (bool ok, bytes memory ret) =
            _exec(insurer, address(market), abi.encodeCall(IMarket.fundInsurance, (amount)));
        _justify("fundInsurance", address(0), p, ok, ret);
    }

    /// @notice A new round on both feeds, inside the jump band of the last good price and inside the handler's
    ///         envelope, some seconds to half an hour later. One move in eight is a glitch: the secondary disagrees
    ///         by 3% and the reading is Diverged until the next move (risk-adding actions trip the breaker,
    ///         reductions and LP deposits revert, liquidations use the kinder price). One in eight is a rally of 3%
    ///         to 9% in the traders' net favour, against the pool (its backing and solvency are what give).
    function movePrice(int256 bpsSeed, uint256 dtSeed, uint256 glitchSeed) external {
        // Three moves in four are small (up to 3%), the rest up to the edge of the jump band.
        int256 maxBps = uint256(bpsSeed) % 4 == 0 ? MAX_STEP_BPS : MAX_STEP_BPS / 3;
        int256 bps = _bound(bpsSeed, -maxBps, maxBps);
        if (glitchSeed % 8 == 1) {
            bps = int256(_bound(uint256(bpsSeed), 300, uint256(MAX_STEP_BPS)));
            if (market.aggregates().netSize < 0) bps = -bps;
        }
        _movePrice(bps, _bound(dtSeed, 60, 1800), glitchSeed % 8 == 0, glitchSeed);
    }

    /// @notice A move of 3% to 9% against a trader's position (the keeper's and the waterfall's business), a
    ///         minute to ten minutes later; never a glitch. One crash in four is followed by an oracle outage: the
    ///         feeds go silent past their maximum age (Stale) and the keeper's bot liquidates the trader during it,
    ///         at the side of (reading, last good) kinder to the account.
    function movePriceAgainst(uint256 actorSeed, uint256 bpsSeed, uint256 dtSeed) external {
        address who = _traderWithPosition(actorSeed);
        int256 size = market.accountOf(who).size;
        int256 bps = int256(_bound(bpsSeed, 300, uint256(MAX_STEP_BPS)));
        _movePrice(size > 0 ? -bps : bps, _bound(dtSeed, 60, 600), false, bpsSeed);
        if (dtSeed % 4 == 0) {
            vm.warp(block.timestamp + guard.params().maxAge + _bound(dtSeed >> 8, 1, 600));
            _poke("outage");
            assertEq(uint8(guard.peek().class), uint8(OracleClass.Stale), "outage: feeds not stale");
            _count("movePriceAgainst", "then an oracle outage");
            _liquidate(who);
        }
    }

    function _movePrice(int256 bps, uint256 dt, bool glitch, uint256 seed) internal {
        vm.warp(block.timestamp + dt);
        (uint256 last,) = guard.lastGoodPrice();
        int256 answer = int256(last / 1e10) * (10_000 + bps) / 10_000;
        answer = answer < PRICE_FLOOR ? PRICE_FLOOR : (answer > PRICE_CEIL ? PRICE_CEIL : answer);
        int256 secondaryBps = glitch ? GLITCH_BPS : _bound(int256(seed >> 8), -100, 100);
        int256 answer2 = answer * (10_000 + secondaryBps) / 10_000;
        feed.setAnswer(answer);
        feed2.setAnswer(answer2);
        _poke("movePrice");
        (uint256 now_,) = guard.lastGoodPrice();
        if (glitch) {
            assertEq(uint8(guard.peek().class), uint8(OracleClass.Diverged), "movePrice: glitch not Diverged");
            assertEq(now_, last, "movePrice: a Diverged reading moved the price");
            _count("movePrice", "Diverged");
        } else {
            assertEq(uint8(guard.peek().class), uint8(OracleClass.Valid), "movePrice: move not Valid");
            assertEq(now_, uint256(answer) * 1e10, "movePrice: last good price");
            _count("movePrice", "Valid");
        }
    }

    /// @notice Time passes (funding accrues): mostly minutes, one in four up to three hours, after which the feeds
    ///         are stale until the next move.
    function warp(uint256 dtSeed) external {
        vm.warp(
            block.timestamp + (dtSeed % 4 == 0 ? _bound(dtSeed, 1, 3 hours) : _bound(dtSeed, 1, 20 minutes))
        );
        _poke("warp");
        _count("warp", uint8(guard.peek().class) == uint8(OracleClass.Stale) ? "feeds stale" : "ok");
    }

    /// @notice The actor that never trades deposits.
    function passiveDeposit(uint256 amountSeed) external {
        uint256 amount = _bound(amountSeed, 1, 100_000e6);
        usd.mint(passive, amount);
        Prediction memory p = _predictDeposit(passive, amount);
        assertEq(p.err.length, 0, "passiveDeposit: a deposit of a never-trading account must be accepted");
        (bool ok, bytes memory ret) =
            _exec(passive, address(market), abi.encodeCall(IMarket.deposit, (amount)));
        _justify("passiveDeposit", passive, p, ok, ret);
        ghostPassiveDeposited += amount;
    }

    /// @notice The actor that never trades withdraws, in whatever mode the market is in: anything up to its margin
    ///         must be paid, one unit more is MarketInsufficientFreeMargin.
    function passiveWithdraw(uint256 amountSeed) external {
        uint256 margin = uint256(market.accountOf(passive).margin);
        uint256 amount = amountSeed % 8 == 0 ? margin + 1 : _bound(amountSeed, 0, margin);
        Mode mode = market.mode();
        Prediction memory p = _predictWithdraw(passive, amount);
        if (amount != 0 && amount <= margin) assertEq(p.err.length, 0, "passiveWithdraw: must be accepted");
        uint256 walletBefore = usd.balanceOf(passive);
        (bool ok, bytes memory ret) =
            _exec(passive, address(market), abi.encodeCall(IMarket.withdraw, (amount)));
        _justify("passiveWithdraw", passive, p, ok, ret);
        if (ok) {
            assertEq(usd.balanceOf(passive) - walletBefore, amount, "passiveWithdraw: paid");
            ghostPassiveWithdrawn += amount;
            ++ghostExitsInMode[uint8(mode)];
        }
    }

    /// @notice The guardian tightens the market, rarely (one call in eight acts): to Cautious or to ReduceOnly, the
    ///         modes nothing else in honest operation reaches for long (Cautious needs bad debt that insurance covers
    ///         and leaves below its floor). Never to Halted: only the timelock lifts a guardian halt, and this suite
    ///         has no timelock. A target no stricter than the mode is refused (MarketNotTighter).
    function guardianTighten(uint256 seed) external {
        if (seed % 8 != 0) return;
        Mode to = (seed >> 8) % 2 == 0 ? Mode.Cautious : Mode.ReduceOnly;
        MarketModel.State memory s = _load(address(0));
        Prediction memory p;
        if (to <= s.mode) {
            p.err = abi.encodeWithSelector(IMarket.MarketNotTighter.selector, s.mode, to);
        } else {
            s.tighten(to, 0, Cause.Guardian);
            p.post = s;
        }
        (bool ok, bytes memory ret) = _exec(guardian, address(market), abi.encodeCall(IMarket.escalate, (to)));
        _justify("guardianTighten", address(0), p, ok, ret);
    }

    /// @notice Tokens sent straight to the market or the pool: nothing the protocol reports may move.
    function donate(bool toPool, uint256 amountSeed) external {
        uint256 amount = _bound(amountSeed, 1, 100_000e6);
        uint256 assetsBefore = pool.totalAssets();
        uint256 priceBefore = pool.convertToAssets(SHARE_UNIT);
        int256 equityBefore = market.poolEquity();
        usd.mint(donor, amount);
        vm.prank(donor);
        usd.transfer(toPool ? address(pool) : address(market), amount);
        if (toPool) ghostDonatedToPool += amount;
        else ghostDonatedToMarket += amount;
        if (
            pool.totalAssets() != assetsBefore || pool.convertToAssets(SHARE_UNIT) != priceBefore
                || market.poolEquity() != equityBefore
        ) ++ghostDonationMovedPrice;
        _count("donate", toPool ? "to pool" : "to market");
    }

    /* ================================================================================================== */
    /*                                             PREDICTIONS                                            */
    /* ================================================================================================== */

    function _predictDeposit(address who, uint256 amount) internal view returns (Prediction memory p) {
        if (amount == 0) return _expect(abi.encodeWithSelector(IMarket.MarketZeroAmount.selector));
        MarketModel.State memory s = _load(who);
        if (!MarketModel.allows(s.mode, Action.Deposit)) return _expectNotAllowed(Action.Deposit, s.mode);
        (,, uint256 lastGood,) = _reading();
        int256 before = s.credits();
        s.accrue(lastGood);
        (bool deferred,) = s.settleFunding(false); // a receivable the pool cannot pay yet is deferred
        s.credit(int256(amount));
        s.balance += amount;
        // Funding owed beyond the margin is not papered over by a small top-up.
        if (s.margin < 0) {
            return _expect(abi.encodeWithSelector(IMarket.MarketAccountInsolvent.selector, s.margin));
        }
        p = _commit(s, before, int256(amount), false, s.margin);
        if (deferred) p.note = "(funding receivable deferred)";
    }

    function _predictWithdraw(address who, uint256 amount) internal view returns (Prediction memory p) {
        if (amount == 0) return _expect(abi.encodeWithSelector(IMarket.MarketZeroAmount.selector));
        MarketModel.State memory s = _load(who);
        // An account with no exposure can always take its margin out, even from a halted market.
        if ((s.size != 0 || s.mode != Mode.Halted) && !MarketModel.allows(s.mode, Action.Withdraw)) {
            return _expectNotAllowed(Action.Withdraw, s.mode);
        }
        (OracleClass cls,, uint256 lastGood, uint80 round) = _reading();
        // Withdrawing against a position adds risk: a bad new round trips the breaker once the withdrawal's own
        // checks pass at the last good price; any other non-Valid reading refuses it.
        bool trip = s.size != 0 && cls != OracleClass.Valid;
        if (trip && !_badNewRound(cls, round)) return _expectOracle(cls);
        int256 before = s.credits();
        s.accrue(lastGood);
        (bool deferred,) = s.settleFunding(false);
        if (int256(amount) > s.margin) {
            return _expect(
                abi.encodeWithSelector(
                    IMarket.MarketInsufficientFreeMargin.selector, amount, MarketModel.pos(s.margin)
                )
            );
        }
        s.credit(-int256(amount));
        if (s.size != 0) {
            uint256 required = s.initialRequired(lastGood);
            int256 equity = s.equity(lastGood);
            if (equity > s.margin) equity = s.margin; // unrealised profit never leaves
            if (equity < int256(required)) {
                return
                    _expect(
                        abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, equity, required)
                    );
            }
        }
        if (trip) return _expectBreaker(_load(who), cls);
        s.balance -= amount;
        if (s.size != 0) s.selfCorrect(lastGood); // margin without exposure needs no price
        p = _commit(s, before, -int256(amount), false, s.margin);
        if (deferred) p.note = "(funding receivable deferred)";
    }

    function _predictModify(address who, int256 delta, uint256 limit)
        internal
        view
        returns (Prediction memory p)
    {
        if (delta == 0) return _expect(abi.encodeWithSelector(IMarket.MarketZeroSize.selector));
        MarketModel.State memory s = _load(who);
        // Sizes no cap could admit are refused first.
        if (S.abs(delta) > 2 * uint256(s.p.risk.maxOpenInterest)) {
            return _expect(
                abi.encodeWithSelector(
                    IMarket.MarketOpenInterestCap.selector, S.abs(delta), uint256(s.p.risk.maxOpenInterest)
                )
            );
        }
        bool increasing = _isIncrease(s.size, delta);
        Action action = increasing ? Action.Increase : Action.Reduce;
        if (!MarketModel.allows(s.mode, action)) return _expectNotAllowed(action, s.mode);
        (OracleClass cls,, uint256 price, uint80 round) = _reading();
        // An increase adds risk: a bad new round trips the breaker once the increase's own checks pass at the last
        // good price. Any other non-Valid reading, or a reduction on one, just reverts.
        bool trip = cls != OracleClass.Valid;
        if (trip && !(increasing && _badNewRound(cls, round))) return _expectOracle(cls);
        if (increasing && !trip) {
            // An increase needs a round at most MAX_TRADE_AGE old (a Valid reading is the last good round).
            (, uint256 at) = guard.lastGoodPrice();
            uint256 age = block.timestamp - at;
            if (age > TradePricing.MAX_TRADE_AGE) {
                return _expect(
                    abi.encodeWithSelector(
                        IMarket.MarketTradePriceTooOld.selector, age, TradePricing.MAX_TRADE_AGE
                    )
                );
            }
        }
        // The trade executes at the worse side of the mark and the guard's stable price (TradePricing); the
        // checks stay at the mark.
        (uint256 stable,) = guard.stablePrice();
        uint256 exec = delta > 0 ? M.max(price, stable) : M.min(price, stable);
        if (limit != 0 && (delta > 0 ? exec > limit : exec < limit)) {
            return _expect(abi.encodeWithSelector(IMarket.MarketPriceLimit.selector, exec, limit));
        }
        p = _predictTrade(s, delta, price, exec, increasing);
        if (trip && p.err.length == 0) return _expectBreaker(_load(who), cls);
    }

    /// @dev A trade past the permission, oracle and price-limit checks: funding (which must settle), the trade, the
    ///      fee, the increase's limits, the margin, then self-correction.
    function _predictTrade(
        MarketModel.State memory s,
        int256 delta,
        uint256 price,
        uint256 exec,
        bool increasing
    ) internal pure returns (Prediction memory) {
        int256 before = s.credits();
        s.accrue(price);
        // A reduce settles what it owes before its receivable: the loss it realises pays the funding it is owed.
        int256 o = s.owed();
        bool receivableLast = !increasing && o < 0;
        if (!receivableLast) {
            (, uint256 cannotPay) = s.settleFunding(true);
            if (cannotPay != 0) {
                return
                    _expect(
                        abi.encodeWithSelector(IMarket.MarketPoolCannotPay.selector, cannotPay, s.poolCash)
                    );
            }
        }
        (int256 realised,) = s.trade(delta, exec);
        if (realised > 0) realised = s.capProfit(realised, price);
        // Only what the capped close is paid must be in the pool's cash.
        if (s.poolCash < 0) {
            return _expect(
                abi.encodeWithSelector(
                    IMarket.MarketPoolCannotPay.selector, uint256(realised), s.poolCash + realised
                )
            );
        }
        if (receivableLast && s.settleAfterClose(o) != 0) {
            return _expect(
                abi.encodeWithSelector(IMarket.MarketPoolCannotPay.selector, uint256(-o), s.poolCash - o)
            );
        }
        s.chargeFee(S.abs(delta), exec);
        if (increasing) {
            bytes memory err = _increaseRefusal(s, delta > 0, price);
            if (err.length != 0) return _expect(err);
        }
        // No trade may leave the margin negative: such an account is for the liquidators.
        if (s.margin < 0) {
            return _expect(abi.encodeWithSelector(IMarket.MarketAccountInsolvent.selector, s.margin));
        }
        s.selfCorrect(price);
        return _commit(s, before, 0, true, s.margin);
    }

    /// @dev What an increase must respect after the trade and the fee, in the market's order: the open-interest cap
    ///      (lowered in Cautious) of the side it adds to, the pool's backing, the initial margin (raised in Cautious).
    function _increaseRefusal(MarketModel.State memory s, bool long, uint256 price)
        internal
        pure
        returns (bytes memory)
    {
        uint256 cap = s.oiCap();
        uint256 oi = long ? s.longOI : s.shortOI;
        if (oi > cap) return abi.encodeWithSelector(IMarket.MarketOpenInterestCap.selector, oi, cap);
        uint256 backing = s.requiredBacking(price);
        int256 poolEquity = s.poolEquity(price);
        if (poolEquity < int256(backing)) {
            return abi.encodeWithSelector(IMarket.MarketInsufficientBacking.selector, poolEquity, backing);
        }
        uint256 required = s.initialRequired(price);
        int256 equity = s.equity(price);
        if (equity < int256(required)) {
            return abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, equity, required);
        }
        return "";
    }

    /// @dev The liquidation: on a Valid reading at the price; on Stale/AtBounds/Diverged at the side of (reading, last
    ///      good) kinder to the account; refused otherwise. Funding settles after the close, then the waterfall.
    function _predictLiquidate(address target) internal view returns (Prediction memory p) {
        MarketModel.State memory s = _load(target);
        if (!s.allowsLiquidation()) return _expectNotAllowed(Action.Liquidate, s.mode);
        if (s.size == 0) return _expect(abi.encodeWithSelector(IMarket.MarketNoPosition.selector));
        (OracleClass cls, uint256 reading, uint256 lastGood,) = _reading();
        uint256 price = reading;
        if (cls != OracleClass.Valid) {
            if (cls == OracleClass.SequencerDown || cls == OracleClass.GracePeriod) {
                return _expectOracle(cls);
            }
            price = reading == 0 ? lastGood : s.size > 0 ? M.max(reading, lastGood) : M.min(reading, lastGood);
        }
        int256 before = s.credits();
        s.accrue(lastGood);
        int256 owed = s.owed();
        uint256 notional = s.notional(s.size, price);
        int256 equity = s.equity(price) - owed;
        uint256 maintenance = M.mulWadUp(notional, s.p.mm);
        if (equity >= int256(maintenance)) {
            return
                _expect(abi.encodeWithSelector(IMarket.MarketNotLiquidatable.selector, equity, maintenance));
        }
        (int256 realised, bool cashShort) = s.trade(-s.size, price);
        if (cashShort) {
            return _expect(
                abi.encodeWithSelector(
                    IMarket.MarketPoolCannotPay.selector, uint256(realised), s.poolCash + realised
                )
            );
        }
        if (s.settleAfterClose(owed) != 0) {
            return _expect(
                abi.encodeWithSelector(
                    IMarket.MarketPoolCannotPay.selector, uint256(-owed), s.poolCash - owed
                )
            );
        }
        // After the close and the funding, the margin is exactly the equity that failed maintenance.
        assertEq(s.margin, equity, "model: margin after the close is the equity");
        p = _waterfall(s, before, notional, price);
        if (cls != OracleClass.Valid) {
            p.note = string.concat("(", _className(cls), " reading, kinder price)");
        }
    }

    /// @dev Remaining margin pays the penalty (keeper share first, the rest to insurance, both capped by the
    ///      margin); a deficit is covered by insurance first and socialised to the pool for the rest, tightening the
    ///      market (insurance below its floor → Cautious, a socialised loss → ReduceOnly); then self-correction.
    function _waterfall(MarketModel.State memory s, int256 before, uint256 notional, uint256 price)
        internal
        pure
        returns (Prediction memory p)
    {
        int256 margin = s.margin;
        uint256 reward;
        uint256 deficit;
        uint256 covered;
        if (margin > 0) {
            uint256 penalty = M.mulWadUp(notional, s.p.risk.liquidationPenalty);
            uint256 keeperPart = M.mulWad(penalty, s.p.risk.keeperRewardShare);
            reward = M.min(keeperPart, uint256(margin));
            uint256 toInsurance = M.min(penalty - keeperPart, uint256(margin) - reward);
            s.credit(-int256(reward + toInsurance));
            s.insurance += toInsurance;
        } else if (margin < 0) {
            deficit = uint256(-margin);
            covered = M.min(deficit, s.insurance);
            s.insurance -= covered;
            s.poolCash -= int256(deficit - covered);
            s.credit(int256(deficit));
            if (covered != 0 && s.insurance < s.p.safety.insuranceFloor) {
                s.tighten(Mode.Cautious, 0, Cause.InsuranceBelowFloor);
            }
            if (deficit > covered) s.tighten(Mode.ReduceOnly, 0, Cause.LossSocialised);
        }
        s.balance -= reward;
        s.selfCorrect(price);
        p = _commit(s, before, -int256(reward), true, s.margin);
        (p.reward, p.deficit, p.socialised) = (reward, deficit, deficit - covered);
    }

    /// @dev LiquidityPool.deposit: refresh, maxDeposit (the mode, a Valid reading, equity behind the shares: the
    ///      market's quote after the refresh), shares at the post-refresh price, the limiter's window, the market.
    function _predictLpDeposit(address who, uint256 assets) internal view returns (Prediction memory p) {
        MarketModel.State memory s = _load(address(0));
        (OracleClass cls,, uint256 lastGood, uint80 round) = _reading();
        s.refresh(cls, lastGood, round);
        int256 equity = s.poolEquity(lastGood);
        int256 gap = _lpGap(s, lastGood);
        uint256 totalAssets = MarketModel.pos(equity + (gap < 0 ? gap : int256(0)));
        if (
            assets > 0
                && !(MarketModel.allows(s.mode, Action.LpDeposit)
                    && cls == OracleClass.Valid
                    && (equity > 0 || pool.totalSupply() == 0))
        ) return _expect(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxDeposit.selector, who, assets, 0));
        // Entries pay the higher of the two equities (mark, LP price) and price in the insurance sub-fund (it goes to
        // the shares at settlement) once shares exist.
        uint256 entry = pool.totalSupply() == 0
            ? totalAssets
            : MarketModel.pos(equity + (gap > 0 ? gap : int256(0))) + s.insurance;
        uint256 shares =
            Math.mulDiv(assets, pool.totalSupply() + VIRTUAL_SHARES, entry + 1, Math.Rounding.Floor);
        if (shares == 0) return _expect(abi.encodeWithSelector(ILiquidityPool.PoolZeroShares.selector));
        int256 before = s.credits();
        s.poolCash += int256(assets);
        s.balance += assets;
        s.selfCorrect(lastGood);
        p = _commit(s, before, int256(assets), false, 0);
        p.limiter = _loadLimiter();
        _roll(p.limiter, MarketModel.pos(equity)); // the limiter's base: the equity at the mark
        p.limiter.inflow += assets;
        p.limiter.inAge += assets * (block.timestamp - p.limiter.start);
        (p.shares, p.assets) = (shares, assets);
    }

    /// @dev LiquidityPool.redeem: refresh, maxRedeem (backing, the cash reserve and the limiter), the assets, the
    ///      window, then the market: a non-Valid reading trips the breaker (the pool returns 0), otherwise the pool
    ///      must stay backed in equity and in cash.
    function _predictLpRedeem(address who, uint256 shares) internal view returns (Prediction memory p) {
        MarketModel.State memory s = _load(address(0));
        (OracleClass cls,, uint256 lastGood, uint80 round) = _reading();
        s.refresh(cls, lastGood, round);
        uint256 totalAssets = _exitAssets(s, lastGood);
        Limiter memory l = _loadLimiter();
        (uint256 maxShares, string memory binding) =
            _maxRedeem(s, who, cls, lastGood, _roomAtMark(l, s, lastGood));
        if (shares > maxShares) {
            p = _expect(
                abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, who, shares, maxShares)
            );
            if (maxShares < pool.balanceOf(who)) p.note = string.concat("(max bound by ", binding, ")");
            return p;
        }
        uint256 assets =
            Math.mulDiv(shares, totalAssets + 1, pool.totalSupply() + VIRTUAL_SHARES, Math.Rounding.Floor);
        if (shares == 0 || assets == 0) {
            return _expect(abi.encodeWithSelector(ILiquidityPool.PoolZeroShares.selector));
        }
        uint256 room = _rollAtMark(l, s, lastGood);
        if (assets > room) {
            return _expect(abi.encodeWithSelector(ILiquidityPool.PoolOutflowLimit.selector, assets, room));
        }
        p = _predictPoolWithdraw(s, cls, lastGood, round, assets);
        if (p.err.length == 0) {
            if (!p.breaker) {
                (l.outflow, l.outAge) = (l.outflow + assets, l.outAge + assets * (block.timestamp - l.start));
            }
            (p.shares, p.limiter) = (shares, l); // a breaker trip commits the refresh and the window's roll
        }
    }

    /// @dev LiquidityPool's LP-price gap: the pool's equity with the traders' PnL at the guard's LP price (read from
    ///      the guard: an accepted round leaves it where it stood in the same block) less its equity at the mark; 0 in
    ///      Settlement. Exits take the lower of the two, entries the higher.
    function _lpGap(MarketModel.State memory s, uint256 mark) internal view returns (int256) {
        if (s.mode == Mode.Settlement) return 0;
        (uint256 lp,) = guard.lpPrice();
        return s.poolEquity(lp) - s.poolEquity(mark);
    }

    /// @dev LiquidityPool.totalAssets after the refresh: the lower of the equities at the mark and at the LP price.
    function _exitAssets(MarketModel.State memory s, uint256 lastGood) internal view returns (uint256) {
        int256 gap = _lpGap(s, lastGood);
        return MarketModel.pos(s.poolEquity(lastGood) + (gap < 0 ? gap : int256(0)));
    }

    /// @dev LiquidityPool.convertToShares(assets) (floor) at the exit price.
    function _exitShares(MarketModel.State memory s, uint256 lastGood, uint256 assets)
        internal
        view
        returns (uint256)
    {
        return Math.mulDiv(
            assets, pool.totalSupply() + VIRTUAL_SHARES, _exitAssets(s, lastGood) + 1, Math.Rounding.Floor
        );
    }

    /// @dev The limiter's room as an exit would find it (its base: the equity at the mark), `l` left as it is.
    function _roomAtMark(Limiter memory l, MarketModel.State memory s, uint256 lastGood)
        internal
        view
        returns (uint256)
    {
        return _room(l, MarketModel.pos(s.poolEquity(lastGood)));
    }

    /// @dev Rolls the limiter's window as an exit would (its base: the equity at the mark) and returns its room.
    function _rollAtMark(Limiter memory l, MarketModel.State memory s, uint256 lastGood)
        internal
        view
        returns (uint256)
    {
        _roll(l, MarketModel.pos(s.poolEquity(lastGood)));
        return _room(l, MarketModel.pos(s.poolEquity(lastGood)));
    }

    /// @dev LiquidityPool.maxRedeem: the owner's shares, capped by what the market lets LPs take (poolWithdrawable:
    ///      what leaves the pool backed in equity and in cash; 0 when the mode forbids it) and by the limiter's room.
    ///      `binding` names the rule that bounds it (coverage).
    function _maxRedeem(
        MarketModel.State memory s,
        address who,
        OracleClass cls,
        uint256 lastGood,
        uint256 room
    ) internal view returns (uint256 maxShares, string memory binding) {
        int256 equity = s.poolEquity(lastGood);
        uint256 withdrawable;
        binding = cls == OracleClass.Valid ? "the mode" : "the oracle";
        if (MarketModel.allows(s.mode, Action.LpWithdraw) && cls == OracleClass.Valid) {
            int256 required = int256(s.requiredBacking(lastGood));
            int256 spare = equity - required;
            uint256 owed = s.cashOwed(lastGood);
            int256 cash = s.poolCash - required - int256(owed);
            int256 capped = equity - int256(MarketAccounting.profitCapFloor(owed, s.profitPaid));
            withdrawable = MarketModel.pos(spare < cash ? spare : cash);
            binding = cash < spare ? "the cash reserve" : "the backing";
            if (capped < int256(withdrawable)) {
                (withdrawable, binding) = (MarketModel.pos(capped), "the profit cap");
            }
        }
        if (room < withdrawable) (withdrawable, binding) = (room, "the outflow limiter");
        uint256 shares = _exitShares(s, lastGood, withdrawable);
        // Shares minted within the holding period are not redeemable.
        (uint256 locked,) = pool.lockedShares(who);
        uint256 free = pool.balanceOf(who) > locked ? pool.balanceOf(who) - locked : 0;
        if (free < shares && free < pool.balanceOf(who)) binding = "the holding period";
        maxShares = M.min(free, shares);
    }

    /// @dev Market.onPoolWithdraw, after the pool's own checks.
    function _predictPoolWithdraw(
        MarketModel.State memory s,
        OracleClass cls,
        uint256 lastGood,
        uint80 round,
        uint256 assets
    ) internal view returns (Prediction memory p) {
        if (!MarketModel.allows(s.mode, Action.LpWithdraw)) {
            return _expectNotAllowed(Action.LpWithdraw, s.mode);
        }
        bool trip = cls != OracleClass.Valid;
        if (trip && !_badNewRound(cls, round)) return _expectOracle(cls);
        int256 before = s.credits();
        if (int256(assets) > s.poolCash) {
            return _expect(abi.encodeWithSelector(IMarket.MarketPoolCannotPay.selector, assets, s.poolCash));
        }
        // Pool equity moves one for one with its cash.
        int256 cashAfter = s.poolCash - int256(assets);
        uint256 backing = s.requiredBacking(lastGood);
        int256 equityAfter = s.poolEquity(lastGood) - int256(assets);
        if (equityAfter < int256(backing)) {
            return
                _expect(
                    abi.encodeWithSelector(IMarket.MarketInsufficientBacking.selector, equityAfter, backing)
                );
        }
        // The backing LPs leave behind must be cash, plus what the pool owes in cash: the winners' profits and
        // funding are paid in cash.
        uint256 reserve = backing + s.cashOwed(lastGood);
        if (cashAfter < int256(reserve)) {
            return
                _expect(
                    abi.encodeWithSelector(IMarket.MarketInsufficientBacking.selector, cashAfter, reserve)
                );
        }
        // And the equity that keeps what the winners are owed payable in full under the profit cap.
        uint256 floor = MarketAccounting.profitCapFloor(s.cashOwed(lastGood), s.profitPaid);
        if (equityAfter < int256(floor)) {
            return
                _expect(
                    abi.encodeWithSelector(IMarket.MarketInsufficientBacking.selector, equityAfter, floor)
                );
        }
        // A bad new round, and the withdrawal would otherwise have gone through: the trip commits (after the refresh).
        if (trip) return _expectBreaker(s, cls);
        s.poolCash = cashAfter;
        s.balance -= assets;
        s.selfCorrect(lastGood);
        p = _commit(s, before, -int256(assets), false, 0);
        p.assets = assets;
    }

    /* ================================================================================================== */
    /*                                            JUSTIFICATION                                           */
    /* ================================================================================================== */

    /// @dev Runs one call as `who` with the logs recorded.
    function _exec(address who, address target, bytes memory data)
        internal
        returns (bool ok, bytes memory ret)
    {
        vm.recordLogs();
        vm.prank(who);
        (ok, ret) = target.call(data);
    }

    /// @dev Whether a call committed as the plain action the model predicted (no breaker trip, no invariant trip).
    function _committedAction(Prediction memory p, bool ok) internal pure returns (bool) {
        return ok && p.err.length == 0 && !p.trip.tripped && !p.breaker;
    }

    /// @dev Holds the outcome of a call against its prediction; anything unexplained fails the run.
    function _justify(string memory label, address who, Prediction memory p, bool ok, bytes memory ret)
        internal
        returns (Observed memory o)
    {
        o = _observe(vm.getRecordedLogs());
        if (bytes(p.note).length != 0) _tally(string.concat(label, ": ", p.note));
        if (p.err.length != 0) {
            if (ok) _fail(string.concat(label, ": committed, but the model expected ", _nameOf(p.err)));
            if (keccak256(ret) != keccak256(p.err)) {
                emit log_named_bytes("expected revert", p.err);
                emit log_named_bytes("actual revert  ", ret);
                _fail(
                    string.concat(
                        label, ": reverted with ", _nameOf(ret), ", the model expected ", _nameOf(p.err)
                    )
                );
            }
            _count(label, _nameOf(ret));
            return o;
        }
        if (!ok) {
            emit log_named_bytes("revert", ret);
            _fail(string.concat(label, ": unexplained revert ", _nameOf(ret)));
        }
        if (p.trip.tripped) {
            // Predicted, so the model says src broke its own invariant: invariant_modeOnlyTightens reports it.
            ++ghostPredictedTrips;
            assertEq(o.trips, 1, string.concat(label, ": predicted trip not reported"));
            assertEq(uint8(o.inv), uint8(p.trip.invariant), string.concat(label, ": tripped invariant"));
            assertEq(o.expected, p.trip.expected, string.concat(label, ": trip expected value"));
            assertEq(o.actual, p.trip.actual, string.concat(label, ": trip actual value"));
            _count(label, "TRIPPED");
            return o;
        }
        if (o.trips != 0) {
            emit log_named_uint("invariant", uint8(o.inv));
            emit log_named_int("expected", o.expected);
            emit log_named_int("actual", o.actual);
            _fail(
                string.concat(
                    label, ": the market tripped its invariant check and the model did not predict it"
                )
            );
        }
        if (p.breaker) {
            assertEq(o.breakerEvents, 1, string.concat(label, ": BreakerTripped not emitted"));
            assertEq(
                uint8(o.breakerClass), uint8(p.breakerClass), string.concat(label, ": BreakerTripped class")
            );
            assertEq(
                uint8(o.breakerResume),
                uint8(p.breakerFrom),
                string.concat(label, ": BreakerTripped resumeMode")
            );
        } else {
            assertEq(
                o.breakerEvents,
                0,
                string.concat(label, ": the breaker tripped and the model did not predict it")
            );
        }
        _assertTransitions(label, p.post, o);
        _assertState(label, who, p.post);
        _breaker = p.post.breaker;
        _count(label, p.breaker ? string.concat("BREAKER TRIPPED (", _className(p.breakerClass), ")") : "ok");
    }

    /// @dev The keeper pokes the market after a feed move or a warp: the refresh is predicted and justified like any
    ///      action (funding, the breaker's reset, self-correction, the exact ModeChanged events).
    function _poke(string memory label) internal {
        MarketModel.State memory s = _load(address(0));
        PriceReading memory r = guard.peek(); // the reading refresh() will get (a new Valid round is accepted)
        uint80 round = guard.lastRoundId();
        if (r.class == OracleClass.Valid) {
            (uint80 latest,,,,) = feed.latestRoundData();
            if (latest > round) round = latest;
        }
        if (r.class != OracleClass.Valid) round = r.roundId;
        s.refresh(r.class, r.lastGoodPrice, round);
        Prediction memory p;
        p.post = s;
        vm.recordLogs();
        market.refresh();
        Observed memory o = _observe(vm.getRecordedLogs());
        string memory what = string.concat(label, ": refresh");
        assertEq(o.trips, 0, string.concat(what, " tripped the market"));
        assertEq(o.breakerEvents, 0, string.concat(what, " tripped the breaker"));
        _assertTransitions(what, s, o);
        _assertState(what, address(0), s);
        _breaker = s.breaker;
    }

    /// @dev The ModeChanged events are exactly the predicted transitions, in order.
    function _assertTransitions(string memory label, MarketModel.State memory s, Observed memory o) internal {
        if (o.nChanges != s.nChanges) {
            for (uint256 i; i < o.nChanges; ++i) {
                emit log_named_string(
                    "observed",
                    string.concat(
                        _modeName(o.changes[i].from),
                        " -> ",
                        _modeName(o.changes[i].to),
                        " (",
                        _causeName(o.changes[i].cause),
                        ")"
                    )
                );
            }
            for (uint256 i; i < s.nChanges; ++i) {
                emit log_named_string(
                    "predicted",
                    string.concat(
                        _modeName(s.changes[i].from),
                        " -> ",
                        _modeName(s.changes[i].to),
                        " (",
                        _causeName(s.changes[i].cause),
                        ")"
                    )
                );
            }
            _fail(string.concat(label, ": ModeChanged events differ from the model's transitions"));
        }
        for (uint256 i; i < s.nChanges; ++i) {
            assertEq(
                uint8(o.changes[i].from), uint8(s.changes[i].from), string.concat(label, ": transition from")
            );
            assertEq(uint8(o.changes[i].to), uint8(s.changes[i].to), string.concat(label, ": transition to"));
            assertEq(
                uint8(o.changes[i].cause),
                uint8(s.changes[i].cause),
                string.concat(label, ": transition cause")
            );
            if (s.changes[i].cause == Cause.BreakerReset) ++ghostBreakerResets;
            _tally(
                string.concat("mode: ", _causeName(s.changes[i].cause), " -> ", _modeName(s.changes[i].to))
            );
        }
    }

    /// @dev After a committed call the chain equals the model, field by field, safety state included.
    function _assertState(string memory label, address who, MarketModel.State memory s) internal {
        if (who != address(0)) {
            MarginAccount memory a = market.accountOf(who);
            assertEq(a.margin, s.margin, string.concat(label, ": margin"));
            assertEq(a.size, s.size, string.concat(label, ": size"));
            assertEq(a.openNotional, s.openNotional, string.concat(label, ": openNotional"));
            assertEq(a.fundingIndex, s.accountIndex, string.concat(label, ": account funding index"));
            ghostSize[who] = s.size;
        }
        Aggregates memory g = market.aggregates();
        assertEq(g.longOpenInterest, s.longOI, string.concat(label, ": longOpenInterest"));
        assertEq(g.shortOpenInterest, s.shortOI, string.concat(label, ": shortOpenInterest"));
        assertEq(g.netSize, s.netSize, string.concat(label, ": netSize"));
        assertEq(g.netOpenNotional, s.netOpenNotional, string.concat(label, ": netOpenNotional"));
        assertEq(g.sizeTimesIndex, s.sizeTimesIndex, string.concat(label, ": sizeTimesIndex"));
        assertEq(g.totalMargin, s.totalMargin, string.concat(label, ": totalMargin"));
        assertEq(g.poolCash, s.poolCash, string.concat(label, ": poolCash"));
        assertEq(g.insurance, s.insurance, string.concat(label, ": insurance"));
        assertEq(g.fundingIndex, s.fundingIndex, string.concat(label, ": fundingIndex"));
        assertEq(g.lastFundingTime, s.lastFundingTime, string.concat(label, ": lastFundingTime"));
        assertEq(g.idleMargin, s.idleMargin, string.concat(label, ": idleMargin"));
        assertEq(usd.balanceOf(address(market)), s.balance, string.concat(label, ": market balance"));
        assertEq(uint8(market.mode()), uint8(s.mode), string.concat(label, ": mode"));
        assertEq(market.haltFlags(), s.haltFlags, string.concat(label, ": haltFlags"));
        assertEq(market.haltedAt(), s.haltedAt, string.concat(label, ": haltedAt"));
    }

    /// @dev The pool's limiter window after an LP action, as the model advanced it.
    function _assertLimiter(string memory label, Limiter memory expected) internal view {
        Limiter memory l = _loadLimiter();
        assertEq(abi.encode(l), abi.encode(expected), string.concat(label, ": limiter window"));
    }

    /// @dev The backing rule, re-read from chain after an increase or an LP exit committed: the pool is backed,
    ///      and after an LP exit the backing is cash.
    function _assertBacked(string memory label, bool cashToo) internal view {
        (uint256 price,) = guard.lastGoodPrice();
        uint256 required = M.mulWadUp(
            uint256(S.ceilDiv(int256(S.abs(market.aggregates().netSize)) * int256(price), divisor)),
            market.riskParams().minBacking
        );
        if (market.poolEquity() < int256(required)) {
            _fail(string.concat(label, ": committed and left the pool under-backed"));
        }
        if (cashToo && market.aggregates().poolCash < int256(required + _load(address(0)).cashOwed(price))) {
            _fail(string.concat(label, ": committed and left the pool's backing short of cash"));
        }
    }

    /// @dev The initial-margin rule, re-read from chain after an increase or a withdrawal with a position
    ///      committed: the account's equity covers the initial margin of what it holds (raised from Cautious on).
    function _assertInitialMargin(string memory label, address who) internal view {
        if (market.accountOf(who).size == 0) return;
        (int256 equity,,, uint256 notional) = market.accountHealth(who);
        (uint256 im,) = guard.marginRatios();
        if (market.mode() >= Mode.Cautious) im = M.mulWad(im, market.safetyParams().cautiousImMultiplier);
        // accountHealth counts a deferred funding receivable, which the market's own check does not: >= holds.
        assertGe(
            equity,
            int256(M.mulWadUp(notional, im)),
            string.concat(label, ": committed below the initial margin")
        );
    }

    /// @dev Reads the safety events of a call. Independently of any prediction, every ModeChanged is held to "the
    ///      mode only tightens, for a cause honest operation has, except a breaker reset back to the mode the last
    ///      BreakerTripped named, with no halt cause left".
    function _observe(Vm.Log[] memory logs) internal returns (Observed memory o) {
        uint256 resets; // breaker resets not followed by a new halt in this call
        for (uint256 i; i < logs.length; ++i) {
            bytes32 topic = logs[i].topics[0];
            if (logs[i].emitter == address(pool) && topic == ILiquidityPool.ActionRefusedByMarket.selector) {
                ++o.refusals;
            }
            if (logs[i].emitter != address(market)) continue;
            if (topic == IMarket.InvariantViolated.selector) {
                ++o.trips;
                ++ghostInvariantViolatedEvents;
                o.inv = Invariant(uint8(uint256(logs[i].topics[1])));
                (o.expected, o.actual,) = abi.decode(logs[i].data, (int256, int256, bytes4));
            } else if (topic == IMarket.BreakerTripped.selector) {
                ++o.breakerEvents;
                ++ghostBreakerTrips;
                (o.breakerClass, o.breakerResume) = abi.decode(logs[i].data, (OracleClass, Mode));
                ghostResumeModeFromLogs = o.breakerResume;
            } else if (topic == IMarket.ModeChanged.selector) {
                MarketModel.Transition memory t = MarketModel.Transition(
                    Mode(uint8(uint256(logs[i].topics[1]))),
                    Mode(uint8(uint256(logs[i].topics[2]))),
                    abi.decode(logs[i].data, (Cause))
                );
                if (o.nChanges < o.changes.length) o.changes[o.nChanges] = t;
                ++o.nChanges;
                if (!_legal(t)) ++ghostIllegalModeChanges;
                if (t.cause == Cause.BreakerReset) ++resets;
                if (t.to == Mode.Halted) resets = 0; // a reset the same call re-halted (a new cause) is settled
                ghostModeFromLogs = t.to;
            }
        }
        // A reset leaves no halt cause behind, unless the same call halted the market again afterwards.
        if (resets != 0 && market.haltFlags() != 0) ++ghostIllegalModeChanges;
    }

    /// @dev One transition on its own (a reset's "no halt cause left" is checked over the whole call, above).
    function _legal(MarketModel.Transition memory t) internal view returns (bool) {
        if (t.cause == Cause.BreakerReset) return t.from == Mode.Halted && t.to == ghostResumeModeFromLogs;
        if (t.to <= t.from) return false;
        if (t.cause == Cause.OracleBreaker || t.cause == Cause.PoolCannotPay) return t.to == Mode.Halted;
        if (t.cause == Cause.InsuranceBelowFloor) return t.to == Mode.Cautious;
        if (t.cause == Cause.LossSocialised || t.cause == Cause.PoolBelowBacking) {
            return t.to == Mode.ReduceOnly;
        }
        if (t.cause == Cause.Guardian) return t.to < Mode.Halted; // this suite's guardian never halts
        return false; // an invariant, governance, the exit: none of them is honest operation here
    }

    function _commit(
        MarketModel.State memory s,
        int256 before,
        int256 tokensIn,
        bool positions,
        int256 touched
    ) internal pure returns (Prediction memory p) {
        p.trip = s.check(before, tokensIn, positions, touched);
        p.post = s;
    }

    /// @dev The call commits, but only as a breaker trip: the state is the one loaded (plus, for the pool, its
    ///      refresh), the market Halted from its current mode.
    function _expectBreaker(MarketModel.State memory s, OracleClass cls)
        internal
        view
        returns (Prediction memory p)
    {
        (p.breaker, p.breakerClass, p.breakerFrom) = (true, cls, s.mode);
        s.tripBreaker(guard.lastRoundId());
        p.post = s;
    }

    function _expect(bytes memory err) internal pure returns (Prediction memory p) {
        p.err = err;
    }

    function _expectOracle(OracleClass cls) internal pure returns (Prediction memory) {
        return _expect(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, cls));
    }

    function _expectNotAllowed(Action action, Mode mode) internal pure returns (Prediction memory) {
        return _expect(abi.encodeWithSelector(IMarket.MarketNotAllowed.selector, action, mode));
    }

    /* ================================================================================================== */
    /*                                               HELPERS                                              */
    /* ================================================================================================== */

    /// @dev The reading an action will get: its class, its price, the last good price after it and the guard's last
    ///      round after it. No Valid round is ever pending when an action runs (every feed move and warp is
    ///      followed by a refresh), so a Valid reading is the last good price.
    function _reading()
        internal
        view
        returns (OracleClass cls, uint256 price, uint256 lastGood, uint80 round)
    {
        PriceReading memory r = guard.peek();
        (lastGood,) = guard.lastGoodPrice();
        round = r.roundId;
        if (r.class == OracleClass.Valid) {
            assertEq(r.price, lastGood, "handler: a Valid round is pending");
            assertEq(guard.lastRoundId(), round, "handler: a Valid round is pending");
        }
        return (r.class, r.price, lastGood, round);
    }

    /// @dev A reading that is evidence of a bad price on a round the guard has not accepted.
    function _badNewRound(OracleClass cls, uint80 round) internal view returns (bool) {
        return MarketModel.isBad(cls) && round > guard.lastRoundId();
    }

    /// @dev The model state of `who`, the aggregates, the market's balance and safety state, and the parameters.
    function _load(address who) internal view returns (MarketModel.State memory s) {
        MarginAccount memory a = market.accountOf(who);
        Aggregates memory g = market.aggregates();
        (s.margin, s.size, s.openNotional, s.accountIndex) =
        (a.margin, a.size, a.openNotional, a.fundingIndex);
        (s.profitPaid, s.profitStart) = market.profitWindow();
        (s.longOI, s.shortOI, s.netSize, s.netOpenNotional, s.sizeTimesIndex) =
        (g.longOpenInterest, g.shortOpenInterest, g.netSize, g.netOpenNotional, g.sizeTimesIndex);
        (s.totalMargin, s.poolCash, s.insurance, s.fundingIndex, s.lastFundingTime, s.idleMargin) =
        (g.totalMargin, g.poolCash, g.insurance, g.fundingIndex, g.lastFundingTime, g.idleMargin);
        (s.longOpenNotional, s.longSizeTimesIndex) = (g.longOpenNotional, g.longSizeTimesIndex);
        s.balance = usd.balanceOf(address(market));
        (s.mode, s.haltFlags, s.haltedAt, s.breaker) =
        (market.mode(), market.haltFlags(), market.haltedAt(), _breaker);
        (s.p.risk, s.p.safety) = (market.riskParams(), market.safetyParams());
        (s.p.im, s.p.mm) = guard.marginRatios();
        (s.p.now_, s.p.divisor) = (block.timestamp, divisor);
    }

    /// @dev The pool's limiter window, read from its storage.
    function _loadLimiter() internal view returns (Limiter memory l) {
        uint256[4] memory w;
        for (uint256 i; i < 4; ++i) {
            w[i] = uint256(vm.load(address(pool), bytes32(POOL_WINDOW_START_SLOT + i)));
        }
        uint256 low = type(uint128).max;
        l = Limiter(w[0] & low, w[0] >> 128, w[1] & low, w[2] & low, w[3], w[1] >> 128, w[2] >> 128);
    }

    /// @dev LiquidityPool._rollWindow: a window that has run out restarts at the current equity; the inflows of the
    ///      old one that came late and stayed (young, by their offset into it and how late the new one starts) are
    ///      carried as room of their own instead of joining the base.
    function _roll(Limiter memory l, uint256 totalAssets) internal view {
        uint256 window = pool.outflowWindow();
        if (block.timestamp < l.start + window) return;
        uint256 aged = (block.timestamp - l.start - window) * l.inflow + l.outAge;
        uint256 carry = M.min(l.inAge > aged ? (l.inAge - aged) / window : 0, totalAssets);
        (l.start, l.base, l.carry) = (block.timestamp, totalAssets - carry, carry);
        (l.inflow, l.outflow, l.inAge, l.outAge) = (0, 0, 0, 0);
    }

    /// @dev LiquidityPool.outflowAvailable: maxOutflow of the window's base plus the carried room and the window's
    ///      inflows, less its outflows.
    function _room(Limiter memory l, uint256 totalAssets) internal view returns (uint256) {
        Limiter memory w = Limiter(l.start, l.base, l.inflow, l.outflow, l.carry, l.inAge, l.outAge);
        _roll(w, totalAssets);
        uint256 room = Math.mulDiv(w.base, pool.maxOutflow(), 1e18) + w.carry + w.inflow;
        return room > w.outflow ? room - w.outflow : 0;
    }

    /// @notice The limiter as the pool holds it (for the invariant): net outflow in the window and its cap
    ///         (maxOutflow of the base plus the room carried in).
    function limiterState() external view returns (uint256 start, uint256 cap, int256 net) {
        Limiter memory l = _loadLimiter();
        return (
            l.start,
            Math.mulDiv(l.base, pool.maxOutflow(), 1e18) + l.carry,
            int256(l.outflow) - int256(l.inflow)
        );
    }

    /// @dev A size change around what the account can afford at the initial margin: from -125% to +125% of
    ///      it (so that some fail), one in eight an exact close or flip-through, one in sixteen zero.
    function _sizeDelta(address who, int256 seed) internal view returns (int256 delta) {
        MarginAccount memory a = market.accountOf(who);
        uint256 u = uint256(seed);
        if (u % 16 == 0) return 0;
        if (u % 8 == 1 && a.size != 0) return u % 16 == 1 ? -a.size : -2 * a.size;
        int256 range = int256(_affordable(who) * 5 / 4 + 1e18);
        delta = _bound(seed, -range, range);
    }

    /// @dev Whether changing `size` by `delta` is an increase: opening, adding on the same side, or flipping.
    function _isIncrease(int256 size, int256 delta) internal pure returns (bool) {
        return size == 0 || (size > 0) == (delta > 0) || S.abs(delta) > S.abs(size);
    }

    /// @dev The extra size (WAD) the account's equity carries at the initial margin (raised from Cautious on),
    ///      ignoring fees: an estimate to centre inputs on, never a prediction.
    function _affordable(address who) internal view returns (uint256) {
        (int256 equity, uint256 initialRequired,,) = market.accountHealth(who);
        (uint256 im,) = guard.marginRatios();
        if (market.mode() >= Mode.Cautious) {
            uint256 k = market.safetyParams().cautiousImMultiplier;
            (im, initialRequired) = (M.mulWad(im, k), M.mulWad(initialRequired, k));
        }
        int256 free = equity - int256(initialRequired);
        return free > 0 ? uint256(free) * 1e48 / (_lastGood() * im) : 0;
    }

    function _priceLimit(int256 delta, uint256 seed) internal view returns (uint256) {
        uint256 price = _lastGood();
        uint256 kind = seed % 4;
        if (kind == 1) return delta > 0 ? price + 1 : price - 1; // holds
        if (kind == 2) return delta > 0 ? price - 1 : price + 1; // does not hold: MarketPriceLimit
        return 0;
    }

    /// @dev One in three: exactly the free margin (margin with funding settled, and what the initial margin
    ///      leaves); otherwise a random amount up to 110% of the margin.
    function _withdrawAmount(address who, uint256 seed) internal view returns (uint256) {
        MarginAccount memory a = market.accountOf(who);
        if (a.margin <= 0) return seed % 2;
        (int256 equity, uint256 initialRequired,,) = market.accountHealth(who);
        int256 settledMargin = equity - (S.floorDiv(a.size * int256(_lastGood()), divisor) - a.openNotional);
        if (seed % 3 == 0) {
            int256 free = equity - int256(initialRequired);
            int256 cap = free < settledMargin ? free : settledMargin;
            return cap > 0 ? uint256(cap) : 0;
        }
        return _bound(seed, 0, uint256(a.margin) * 11 / 10);
    }

    function _lastGood() internal view returns (uint256 price) {
        (price,) = guard.lastGoodPrice();
    }

    function _trader(uint256 seed) internal view returns (address) {
        return _traders[seed % _traders.length];
    }

    /// @dev The first trader from `seed` on that has a position (the seed's own when nobody has one).
    function _traderWithPosition(uint256 seed) internal view returns (address) {
        for (uint256 i; i < _traders.length; ++i) {
            address t = _traders[(seed % _traders.length + i) % _traders.length];
            if (market.accountOf(t).size != 0) return t;
        }
        return _trader(seed);
    }

    /// @dev The first trader from `seed` on that the views say is below maintenance (else one with a position).
    function _liquidatableTrader(uint256 seed) internal view returns (address) {
        for (uint256 i; i < _traders.length; ++i) {
            address t = _traders[(seed % _traders.length + i) % _traders.length];
            (int256 equity,, uint256 maintenance,) = market.accountHealth(t);
            if (market.accountOf(t).size != 0 && equity < int256(maintenance)) return t;
        }
        return _traderWithPosition(seed);
    }

    function _approve(address who) internal {
        vm.startPrank(who);
        usd.approve(address(market), type(uint256).max);
        usd.approve(address(pool), type(uint256).max);
        vm.stopPrank();
    }

    function _fail(string memory message) internal pure {
        assertTrue(false, message);
    }

    /// @dev Counts an outcome; every action ends here, so it also observes the pool's solvency and the mode.
    function _count(string memory label, string memory outcome) internal {
        int256 cover = market.poolEquity() + int256(market.aggregates().insurance);
        if (cover < ghostMinPoolEquityPlusInsurance) ghostMinPoolEquityPlusInsurance = cover;
        if (cover < 0) ++ghostPoolUnderwaterObservations;
        ++ghostActionsInMode[uint8(market.mode())];
        _tally(string.concat(label, ": ", outcome));
    }

    /// @dev Adds one to an outcome counter.
    function _tally(string memory key) internal {
        bytes32 h = keccak256(bytes(key));
        if (outcomeCount[h]++ == 0) _outcomeKeys.push(key);
    }

    function _nameOf(bytes memory err) internal view returns (string memory) {
        if (err.length < 4) return "(empty revert)";
        bytes4 selector = bytes4(err);
        string memory n = _errorName[selector];
        if (bytes(n).length == 0) return vm.toString(err);
        if (selector == IMarket.MarketOracleNotValid.selector && err.length == 36) {
            (, bytes memory args) = _split(err);
            return string.concat(n, " (", _className(abi.decode(args, (OracleClass))), ")");
        }
        if (selector == IMarket.MarketNotAllowed.selector && err.length == 68) {
            (, bytes memory args) = _split(err);
            (, Mode m) = abi.decode(args, (Action, Mode));
            return string.concat(n, " (", _modeName(m), ")");
        }
        return n;
    }

    function _split(bytes memory err) internal pure returns (bytes4 selector, bytes memory args) {
        selector = bytes4(err);
        args = new bytes(err.length - 4);
        for (uint256 i; i < args.length; ++i) {
            args[i] = err[i + 4];
        }
    }

    function _modeName(Mode m) internal pure returns (string memory) {
        return ["Normal", "Cautious", "ReduceOnly", "Halted", "Settlement"][uint8(m)];
    }

    function _className(OracleClass c) internal pure returns (string memory) {
        return [
            "Valid",
            "Stale",
            "NonPositive",
            "AtBounds",
            "Diverged",
            "TooVolatile",
            "SequencerDown",
            "GracePeriod"
        ][uint8(c)];
    }

    function _causeName(Cause c) internal pure returns (string memory) {
        return [
            "Governance",
            "Guardian",
            "InvariantViolated",
            "OracleBreaker",
            "BreakerReset",
            "InsuranceBelowFloor",
            "LossSocialised",
            "PoolBelowBacking",
            "PoolCannotPay",
            "HaltedTooLong"
        ][uint8(c)];
    }

    function _nameErrors() internal {
        _errorName[IMarket.MarketZeroAmount.selector] = "MarketZeroAmount";
        _errorName[IMarket.MarketZeroSize.selector] = "MarketZeroSize";
        _errorName[IMarket.MarketNotAllowed.selector] = "MarketNotAllowed";
        _errorName[IMarket.MarketOracleNotValid.selector] = "MarketOracleNotValid";
        _errorName[IMarket.MarketTradePriceTooOld.selector] = "MarketTradePriceTooOld";
        _errorName[IMarket.MarketPriceLimit.selector] = "MarketPriceLimit";
        _errorName[IMarket.MarketInsufficientMargin.selector] = "MarketInsufficientMargin";
        _errorName[IMarket.MarketInsufficientFreeMargin.selector] = "MarketInsufficientFreeMargin";
        _errorName[IMarket.MarketOpenInterestCap.selector] = "MarketOpenInterestCap";
        _errorName[IMarket.MarketInsufficientBacking.selector] = "MarketInsufficientBacking";
        _errorName[IMarket.MarketAccountInsolvent.selector] = "MarketAccountInsolvent";
        _errorName[IMarket.MarketPoolCannotPay.selector] = "MarketPoolCannotPay";
        _errorName[IMarket.MarketNoPosition.selector] = "MarketNoPosition";
        _errorName[IMarket.MarketNotLiquidatable.selector] = "MarketNotLiquidatable";
        _errorName[IMarket.MarketBalanceUnreadable.selector] = "MarketBalanceUnreadable";
        _errorName[IMarket.MarketInvariantBroken.selector] = "MarketInvariantBroken";
        _errorName[IMarket.MarketBreakerTripped.selector] = "MarketBreakerTripped";
        _errorName[IMarket.MarketNotTighter.selector] = "MarketNotTighter";
        _errorName[ILiquidityPool.PoolZeroShares.selector] = "PoolZeroShares";
        _errorName[ILiquidityPool.PoolInsolvent.selector] = "PoolInsolvent";
        _errorName[ILiquidityPool.PoolOutflowLimit.selector] = "PoolOutflowLimit";
        _errorName[ERC4626.ERC4626ExceededMaxDeposit.selector] = "ERC4626ExceededMaxDeposit";
        _errorName[ERC4626.ERC4626ExceededMaxRedeem.selector] = "ERC4626ExceededMaxRedeem";
        _errorName[ERC4626.ERC4626ExceededMaxWithdraw.selector] = "ERC4626ExceededMaxWithdraw";
        _errorName[ERC4626.ERC4626ExceededMaxMint.selector] = "ERC4626ExceededMaxMint";
    }

    /* ================================================================================================== */
    /*                                         VIEWS FOR INVARIANTS                                       */
    /* ================================================================================================== */

    function traders() external view returns (address[] memory) {
        return _traders;
    }

    function lps() external view returns (address[] memory) {
        return _lps;
    }

    /// @notice Every account the market has: the traders and the never-trading actor.
    function accounts() external view returns (address[] memory list) {
        list = new address[](_traders.length + 1);
        for (uint256 i; i < _traders.length; ++i) {
            list[i] = _traders[i];
        }
        list[_traders.length] = passive;
    }

    /// @notice "action: outcome  count" lines for the run summary.
    function summary() external view returns (string[] memory lines) {
        lines = new string[](_outcomeKeys.length + 3);
        for (uint256 i; i < _outcomeKeys.length; ++i) {
            lines[i] = string.concat(
                _outcomeKeys[i], "  x", vm.toString(outcomeCount[keccak256(bytes(_outcomeKeys[i]))])
            );
        }
        uint256 n = _outcomeKeys.length;
        lines[n] = string.concat(
            "min pool equity + insurance: ",
            vm.toString(ghostMinPoolEquityPlusInsurance),
            ", actions ending with it below zero: ",
            vm.toString(ghostPoolUnderwaterObservations)
        );
        lines[n + 1] = string.concat(
            "actions ending in Normal / Cautious / ReduceOnly / Halted: ",
            vm.toString(ghostActionsInMode[0]),
            " / ",
            vm.toString(ghostActionsInMode[1]),
            " / ",
            vm.toString(ghostActionsInMode[2]),
            " / ",
            vm.toString(ghostActionsInMode[3])
        );
        lines[n + 2] = string.concat(
            "never-trader exits paid in Normal / Cautious / ReduceOnly / Halted: ",
            vm.toString(ghostExitsInMode[0]),
            " / ",
            vm.toString(ghostExitsInMode[1]),
            " / ",
            vm.toString(ghostExitsInMode[2]),
            " / ",
            vm.toString(ghostExitsInMode[3]),
            "; breaker trips ",
            vm.toString(ghostBreakerTrips),
            ", resets ",
            vm.toString(ghostBreakerResets)
        );
    }
}
