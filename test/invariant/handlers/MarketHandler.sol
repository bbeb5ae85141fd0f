// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LiquidityPool} from "../../../src/LiquidityPool.sol";
import {Market} from "../../../src/Market.sol";
import {OracleGuard} from "../../../src/OracleGuard.sol";
import {ILiquidityPool} from "../../../src/interfaces/ILiquidityPool.sol";
import {
    Action,
    Aggregates,
    IMarket,
    Invariant,
    MarginAccount,
    Mode,
    RiskParams
} from "../../../src/interfaces/IMarket.sol";
import {OracleClass, PriceReading} from "../../../src/interfaces/IOracleGuard.sol";
import {SignedMath as S} from "../../../src/libraries/SignedMath.sol";
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
///         action bounds its inputs, predicts its outcome with MarketModel (the exact revert data, a trip, or the
///         exact state after success), runs the call, and then *justifies* what happened: a commit must match
///         the predicted state field by field, a revert must carry exactly the predicted error, and anything
///         else fails the run. The market's reverts are caught here (fail_on_revert = true), never swallowed.
/// @dev Actors: three traders, one actor that never trades (deposits and withdraws only), two LPs, a keeper, an
///      insurer and a donor. Every feed move and every warp ends with `market.refresh()` (a keeper poke), so no
///      Valid round is ever pending when an action runs and the price an action will use is the last good one.
contract MarketHandler is Test {
    using MarketModel for MarketModel.State;

    /// @dev Calls that would trip the market through a *known* src bug (see the regression tests in
    ///      test/integration/KnownBugs.t.sol) are skipped and counted instead of run, so that the suite keeps
    ///      exploring everything else. Set to false to watch the suite find them.
    bool public constant AVOID_KNOWN_BUGS = true;

    int256 internal constant PRICE_FLOOR = 1000e8; // the handler's price envelope (feed answers, 8 decimals)
    int256 internal constant PRICE_CEIL = 4000e8;
    int256 internal constant MAX_STEP_BPS = 900; // inside the guard's 10% jump band
    int256 internal constant GLITCH_BPS = 300; // outside the guard's 2% divergence band
    uint256 internal constant SHARE_UNIT = 1e12; // one LP share (6 + 6 decimals)

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

    /* GHOSTS */

    mapping(address account => int256) public ghostSize; // every trader's size, as the model predicted it
    uint256 public ghostDonatedToMarket;
    uint256 public ghostDonatedToPool;
    uint256 public ghostPassiveDeposited;
    uint256 public ghostPassiveWithdrawn;
    uint256 public ghostDonationMovedPrice; // donations after which totalAssets or the share price moved
    uint256 public ghostInvariantViolatedEvents; // InvariantViolated events seen in any call
    uint256 public ghostPredictedTrips; // trips the model predicted and that are not a known bug
    uint256 public ghostKnownBugSkips; // calls skipped because they would trip through a known bug
    uint256 public ghostBadDebt;
    uint256 public ghostSocialised;
    uint256 public ghostKeeperRewards;
    /// @dev The lowest pool equity + insurance seen after any action (not an invariant: see
    ///      invariant_valueConservation), and how many actions ended with it below zero.
    int256 public ghostMinPoolEquityPlusInsurance = type(int256).max;
    uint256 public ghostPoolUnderwaterObservations;

    /// @dev Outcome counters, "action: outcome" → count, for the end-of-run summary.
    mapping(bytes32 key => uint256) public outcomeCount;
    string[] internal _outcomeKeys;
    mapping(bytes4 selector => string) internal _errorName;

    struct Prediction {
        bytes err; // the exact revert data expected; empty when the call should commit
        MarketModel.Trip trip; // when it commits: the trip the market's own check will report, if any
        MarketModel.State post; // when it commits without a trip: the exact state after it
        string knownBug; // non-empty: the trip is one of the known src bugs
        uint256 reward; // liquidation: the keeper reward
        uint256 deficit; // liquidation: the bad debt recognised
        uint256 socialised; // liquidation: the part of it the LPs carry
        uint256 shares; // LP actions: shares minted or burned
        uint256 assets; // LP actions: assets paid in or out
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
        for (uint256 i; i < 3; ++i) {
            _approve(_traders[i]);
        }
        _approve(_lps[0]);
        _approve(_lps[1]);
        _approve(passive);
        _approve(insurer);
        _nameErrors();
    }

    /* ================================================================================================== */
    /*                                               ACTIONS                                              */
    /* ================================================================================================== */

    /// @notice A trader adds margin (0 allowed: MarketZeroAmount).
    function deposit(uint256 actorSeed, uint256 amountSeed) external {
        address who = _trader(actorSeed);
        uint256 amount = amountSeed % 16 == 0 ? 0 : _bound(amountSeed, 1, 200_000e6);
        usd.mint(who, amount);
        Prediction memory p = _predictDeposit(who, amount);
        if (_skipKnownBug(p)) return;
        (bool ok, bytes memory ret) = _exec(who, address(market), abi.encodeCall(IMarket.deposit, (amount)));
        _justify("deposit", who, p, ok, ret);
    }

    /// @notice A trader withdraws: sometimes exactly its free margin, sometimes a random amount above or below.
    function withdraw(uint256 actorSeed, uint256 amountSeed) external {
        address who = _trader(actorSeed);
        uint256 amount = _withdrawAmount(who, amountSeed);
        Prediction memory p = _predictWithdraw(who, amount);
        if (_skipKnownBug(p)) return;
        (bool ok, bytes memory ret) = _exec(who, address(market), abi.encodeCall(IMarket.withdraw, (amount)));
        _justify("withdraw", who, p, ok, ret);
        if (ok && p.err.length == 0 && !p.trip.tripped) _assertInitialMargin("withdraw", who);
    }

    /// @notice Opens, increases, reduces or flips a position, sized around what the account can afford, with
    ///         no price limit, a limit that holds, or one that does not.
    function modifyPosition(uint256 actorSeed, int256 sizeSeed, uint256 limitSeed) external {
        address who = _trader(actorSeed);
        int256 delta = _sizeDelta(who, sizeSeed);
        uint256 limit = _priceLimit(delta, limitSeed);
        Prediction memory p = _predictModify(who, delta, limit);
        if (_skipKnownBug(p)) return;
        (bool ok, bytes memory ret) =
            _exec(who, address(market), abi.encodeCall(IMarket.modifyPosition, (delta, limit)));
        _justify("modifyPosition", who, p, ok, ret);
        if (ok && p.err.length == 0 && !p.trip.tripped && _increases(who, delta)) {
            _assertBacked("modifyPosition");
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
        Prediction memory p = _predictModify(who, delta, 0);
        if (_skipKnownBug(p)) return;
        (bool ok, bytes memory ret) =
            _exec(who, address(market), abi.encodeCall(IMarket.modifyPosition, (delta, 0)));
        _justify("openLeveraged", who, p, ok, ret);
        if (ok && p.err.length == 0 && !p.trip.tripped && _increases(who, delta)) {
            _assertBacked("openLeveraged");
            _assertInitialMargin("openLeveraged", who);
        }
    }

    /// @notice Closes the whole position (MarketZeroSize when there is none).
    function closePosition(uint256 actorSeed, uint256 limitSeed) external {
        address who = _traderWithPosition(actorSeed);
        int256 delta = -market.accountOf(who).size;
        uint256 limit = delta == 0 ? 0 : _priceLimit(delta, limitSeed);
        Prediction memory p = _predictModify(who, delta, limit);
        if (_skipKnownBug(p)) return;
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
        Prediction memory p = _predictLiquidate(target);
        if (_skipKnownBug(p)) return;
        uint256 keeperBefore = usd.balanceOf(keeper);
        (bool ok, bytes memory ret) =
            _exec(keeper, address(market), abi.encodeCall(IMarket.liquidate, (target)));
        _justify("liquidate", target, p, ok, ret);
        if (ok && p.err.length == 0 && !p.trip.tripped) {
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
        if (ok && p.err.length == 0 && !p.trip.tripped) {
            assertEq(abi.decode(ret, (uint256)), p.shares, "lpDeposit: returned shares");
            assertEq(pool.balanceOf(who) - sharesBefore, p.shares, "lpDeposit: shares minted");
            assertEq(walletBefore - usd.balanceOf(who), assets, "lpDeposit: assets taken");
        }
    }

    /// @notice An LP redeems: a random part of what it may take now, or its whole balance (which may exceed
    ///         maxRedeem: ERC4626ExceededMaxRedeem).
    function lpRedeem(uint256 lpSeed, uint256 sharesSeed) external {
        address who = pool.balanceOf(_lps[lpSeed % 2]) == 0 ? _lps[(lpSeed % 2 + 1) % 2] : _lps[lpSeed % 2];
        uint256 balance = pool.balanceOf(who);
        uint256 shares = sharesSeed % 4 == 0 ? balance : _bound(sharesSeed, 0, pool.maxRedeem(who));
        Prediction memory p = _predictLpRedeem(who, shares);
        uint256 walletBefore = usd.balanceOf(who);
        (bool ok, bytes memory ret) =
            _exec(who, address(pool), abi.encodeCall(ERC4626.redeem, (shares, who, who)));
        _justify("lpRedeem", address(0), p, ok, ret);
        if (ok && p.err.length == 0 && !p.trip.tripped) {
            assertEq(abi.decode(ret, (uint256)), p.assets, "lpRedeem: returned assets");
            assertEq(balance - pool.balanceOf(who), shares, "lpRedeem: shares burned");
            assertEq(usd.balanceOf(who) - walletBefore, p.assets, "lpRedeem: assets paid");
            _assertBacked("lpRedeem");
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
            MarketModel.State memory s = _load(address(0), 0, false); // fundInsurance accrues nothing
            s.insurance += amount;
            s.balance += amount;
            p.trip = s.check(0);
            p.post = s;
        }
        (bool ok, bytes memory ret) =
            _exec(insurer, address(market), abi.encodeCall(IMarket.fundInsurance, (amount)));
        _justify("fundInsurance", address(0), p, ok, ret);
    }

    /// @notice A new round on both feeds, inside the jump band of the last good price and inside the handler's
    ///         envelope, some seconds to an hour later. One move in eight is a glitch: the secondary disagrees by
    ///         3%, the reading is Diverged and every price-trusting action must revert with MarketOracleNotValid
    ///         until the next move.
    function movePrice(int256 bpsSeed, uint256 dtSeed, uint256 glitchSeed) external {
        // Three moves in four are small (up to 3%), the rest up to the edge of the jump band.
        int256 maxBps = uint256(bpsSeed) % 4 == 0 ? MAX_STEP_BPS : MAX_STEP_BPS / 3;
        _movePrice(
            _bound(bpsSeed, -maxBps, maxBps), _bound(dtSeed, 60, 1800), glitchSeed % 8 == 0, glitchSeed
        );
    }

    /// @notice A move of 3% to 9% against a trader's position (the keeper's and the waterfall's business), a
    ///         minute to ten minutes later; never a glitch.
    function movePriceAgainst(uint256 actorSeed, uint256 bpsSeed, uint256 dtSeed) external {
        int256 size = market.accountOf(_traderWithPosition(actorSeed)).size;
        int256 bps = int256(_bound(bpsSeed, 300, uint256(MAX_STEP_BPS)));
        _movePrice(size > 0 ? -bps : bps, _bound(dtSeed, 60, 600), false, bpsSeed);
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
        _poke();
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
        _poke();
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

    /// @notice The actor that never trades withdraws: anything up to its margin must be paid, one unit more is
    ///         MarketInsufficientFreeMargin.
    function passiveWithdraw(uint256 amountSeed) external {
        uint256 margin = uint256(market.accountOf(passive).margin);
        uint256 amount = amountSeed % 8 == 0 ? margin + 1 : _bound(amountSeed, 0, margin);
        Prediction memory p = _predictWithdraw(passive, amount);
        if (amount != 0 && amount <= margin) assertEq(p.err.length, 0, "passiveWithdraw: must be accepted");
        uint256 walletBefore = usd.balanceOf(passive);
        (bool ok, bytes memory ret) =
            _exec(passive, address(market), abi.encodeCall(IMarket.withdraw, (amount)));
        _justify("passiveWithdraw", passive, p, ok, ret);
        if (ok) {
            assertEq(usd.balanceOf(passive) - walletBefore, amount, "passiveWithdraw: paid");
            ghostPassiveWithdrawn += amount;
        }
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
        if (!_allows(Action.Deposit)) return _expectNotAllowed(Action.Deposit);
        (, uint256 price) = _oracle();
        MarketModel.State memory s = _load(who, price, true);
        s.settleFunding();
        s.credit(int256(amount));
        s.balance += amount;
        return _commit(s, s.margin);
    }

    function _predictWithdraw(address who, uint256 amount) internal view returns (Prediction memory p) {
        if (amount == 0) return _expect(abi.encodeWithSelector(IMarket.MarketZeroAmount.selector));
        int256 size = market.accountOf(who).size;
        // An account with no exposure can always take its margin out, even from a halted market.
        if ((size != 0 || market.mode() != Mode.Halted) && !_allows(Action.Withdraw)) {
            return _expectNotAllowed(Action.Withdraw);
        }
        (OracleClass cls, uint256 price) = _oracle();
        if (size != 0 && cls != OracleClass.Valid) return _expectOracle(cls);
        MarketModel.State memory s = _load(who, price, true);
        s.settleFunding();
        if (int256(amount) > s.margin) {
            return _expect(
                abi.encodeWithSelector(
                    IMarket.MarketInsufficientFreeMargin.selector, amount, MarketModel.pos(s.margin)
                )
            );
        }
        s.credit(-int256(amount));
        if (s.size != 0) {
            (uint256 im,) = guard.marginRatios();
            uint256 required = M.mulWadUp(s.notional(s.size, price), im);
            int256 equity = s.equity(price);
            if (equity < int256(required)) {
                return
                    _expect(
                        abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, equity, required)
                    );
            }
        }
        s.balance -= amount;
        return _commit(s, s.margin);
    }

    function _predictModify(address who, int256 delta, uint256 limit)
        internal
        view
        returns (Prediction memory p)
    {
        if (delta == 0) return _expect(abi.encodeWithSelector(IMarket.MarketZeroSize.selector));
        int256 size = market.accountOf(who).size;
        bool increasing = size == 0 || (size > 0) == (delta > 0) || S.abs(delta) > S.abs(size);
        Action action = increasing ? Action.Increase : Action.Reduce;
        if (!_allows(action)) return _expectNotAllowed(action);
        (OracleClass cls, uint256 price) = _oracle();
        if (cls != OracleClass.Valid) return _expectOracle(cls);
        if (limit != 0 && (delta > 0 ? price > limit : price < limit)) {
            return _expect(abi.encodeWithSelector(IMarket.MarketPriceLimit.selector, price, limit));
        }
        MarketModel.State memory s = _load(who, price, true);
        s.settleFunding();
        (int256 realised, bool cashShort) = s.trade(delta, price);
        if (cashShort) {
            return _expect(
                abi.encodeWithSelector(
                    IMarket.MarketPoolCannotPay.selector, uint256(realised), s.poolCash + realised
                )
            );
        }
        RiskParams memory r = market.riskParams();
        s.chargeFee(S.abs(delta), price, r.tradingFee, r.insuranceFeeShare);
        if (increasing) {
            if (s.longOI > r.maxOpenInterest) {
                return _expect(
                    abi.encodeWithSelector(
                        IMarket.MarketOpenInterestCap.selector, s.longOI, r.maxOpenInterest
                    )
                );
            }
            if (s.shortOI > r.maxOpenInterest) {
                return _expect(
                    abi.encodeWithSelector(
                        IMarket.MarketOpenInterestCap.selector, s.shortOI, r.maxOpenInterest
                    )
                );
            }
            uint256 backing = s.requiredBacking(price, r.minBacking);
            int256 poolEquity = s.poolEquity(price);
            if (poolEquity < int256(backing)) {
                return _expect(
                    abi.encodeWithSelector(IMarket.MarketInsufficientBacking.selector, poolEquity, backing)
                );
            }
            (uint256 im,) = guard.marginRatios();
            uint256 required = M.mulWadUp(s.notional(s.size, price), im);
            int256 equity = s.equity(price);
            if (equity < int256(required)) {
                return
                    _expect(
                        abi.encodeWithSelector(IMarket.MarketInsufficientMargin.selector, equity, required)
                    );
            }
        } else if (s.margin < 0) {
            return _expect(abi.encodeWithSelector(IMarket.MarketAccountInsolvent.selector, s.margin));
        }
        return _commit(s, s.margin);
    }

    /// @dev The loss waterfall: remaining margin pays the penalty (keeper share, then insurance); a deficit is
    ///      covered by insurance first and socialised to the pool for the rest, in the same call.
    function _predictLiquidate(address target) internal view returns (Prediction memory p) {
        if (!_allows(Action.Liquidate)) return _expectNotAllowed(Action.Liquidate);
        (OracleClass cls, uint256 price) = _oracle();
        if (cls != OracleClass.Valid) return _expectOracle(cls);
        MarketModel.State memory s = _load(target, price, true);
        if (s.size == 0) return _expect(abi.encodeWithSelector(IMarket.MarketNoPosition.selector));
        s.settleFunding();
        uint256 notional = s.notional(s.size, price);
        (, uint256 mm) = guard.marginRatios();
        int256 equity = s.equity(price);
        uint256 maintenance = M.mulWadUp(notional, mm);
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
        // After closing at the reading, the margin is exactly the equity that failed maintenance.
        assertEq(s.margin, equity, "model: margin after the close is the equity");
        return _waterfall(s, notional);
    }

    /// @dev Remaining margin pays the penalty (keeper share first, the rest to insurance, both capped by the
    ///      margin); a deficit is covered by insurance first and socialised to the pool for the rest.
    function _waterfall(MarketModel.State memory s, uint256 notional)
        internal
        view
        returns (Prediction memory p)
    {
        RiskParams memory r = market.riskParams();
        int256 margin = s.margin;
        uint256 reward;
        if (margin > 0) {
            uint256 penalty = M.mulWadUp(notional, r.liquidationPenalty);
            uint256 keeperPart = M.mulWad(penalty, r.keeperRewardShare);
            reward = M.min(keeperPart, uint256(margin));
            uint256 toInsurance = M.min(penalty - keeperPart, uint256(margin) - reward);
            s.credit(-int256(reward + toInsurance));
            s.insurance += toInsurance;
        } else if (margin < 0) {
            uint256 deficit = uint256(-margin);
            uint256 covered = M.min(deficit, s.insurance);
            s.insurance -= covered;
            s.poolCash -= int256(deficit - covered);
            s.credit(int256(deficit));
            p = _commit(s, s.margin); // balance unchanged: nothing is paid out
            (p.deficit, p.socialised) = (deficit, deficit - covered);
            return p;
        }
        s.balance -= reward;
        p = _commit(s, s.margin);
        p.reward = reward;
    }

    function _predictLpDeposit(address who, uint256 assets) internal view returns (Prediction memory p) {
        if (!_allows(Action.LpDeposit)) {
            return _expect(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxDeposit.selector, who, assets, 0));
        }
        (OracleClass cls, uint256 price) = _oracle();
        MarketModel.State memory s = _load(address(0), price, true); // the pool refreshes the market first
        int256 equity = s.poolEquity(price);
        uint256 supply = pool.totalSupply();
        uint256 shares = Math.mulDiv(assets, supply + 1e6, MarketModel.pos(equity) + 1, Math.Rounding.Floor);
        if (shares == 0) return _expect(abi.encodeWithSelector(ILiquidityPool.PoolZeroShares.selector));
        if (supply != 0 && equity <= 0) {
            return _expect(abi.encodeWithSelector(ILiquidityPool.PoolInsolvent.selector, equity));
        }
        if (cls != OracleClass.Valid) return _expectOracle(cls);
        s.poolCash += int256(assets);
        s.balance += assets;
        p = _commit(s, 0);
        (p.shares, p.assets) = (shares, assets);
    }

    function _predictLpRedeem(address who, uint256 shares) internal view returns (Prediction memory p) {
        (OracleClass cls, uint256 price) = _oracle();
        MarketModel.State memory s = _load(address(0), price, true); // the pool refreshes the market first
        RiskParams memory r = market.riskParams();
        uint256 totalAssets = MarketModel.pos(s.poolEquity(price));
        uint256 supply = pool.totalSupply();
        // poolWithdrawable: what LPs could take and leave the pool backed, at most the cash; 0 when not allowed.
        uint256 withdrawable;
        if (_allows(Action.LpWithdraw)) {
            int256 spare = s.poolEquity(price) - int256(s.requiredBacking(price, r.minBacking));
            withdrawable = MarketModel.pos(spare < s.poolCash ? spare : s.poolCash);
        }
        uint256 maxShares = M.min(
            pool.balanceOf(who), Math.mulDiv(withdrawable, supply + 1e6, totalAssets + 1, Math.Rounding.Floor)
        );
        if (shares > maxShares) {
            return _expect(
                abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, who, shares, maxShares)
            );
        }
        uint256 assets = Math.mulDiv(shares, totalAssets + 1, supply + 1e6, Math.Rounding.Floor);
        if (shares == 0 || assets == 0) {
            return _expect(abi.encodeWithSelector(ILiquidityPool.PoolZeroShares.selector));
        }
        if (!_allows(Action.LpWithdraw)) return _expectNotAllowed(Action.LpWithdraw);
        if (cls != OracleClass.Valid) return _expectOracle(cls);
        if (int256(assets) > s.poolCash) {
            return _expect(abi.encodeWithSelector(IMarket.MarketPoolCannotPay.selector, assets, s.poolCash));
        }
        s.poolCash -= int256(assets);
        uint256 backing = s.requiredBacking(price, r.minBacking);
        int256 equity = s.poolEquity(price);
        if (equity < int256(backing)) {
            return
                _expect(abi.encodeWithSelector(IMarket.MarketInsufficientBacking.selector, equity, backing));
        }
        s.balance -= assets;
        p = _commit(s, 0);
        (p.shares, p.assets) = (shares, assets);
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

    /// @dev Holds the outcome of a call against its prediction; anything unexplained fails the run.
    function _justify(string memory label, address who, Prediction memory p, bool ok, bytes memory ret)
        internal
    {
        (uint256 trips, Invariant inv, int256 expected, int256 actual) = _tripsIn(vm.getRecordedLogs());
        ghostInvariantViolatedEvents += trips;
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
            return;
        }
        if (!ok) {
            emit log_named_bytes("revert", ret);
            _fail(string.concat(label, ": unexplained revert ", _nameOf(ret)));
        }
        if (p.trip.tripped) {
            // Predicted, not a known bug: the run goes on and invariant_modeStaysNormal reports it.
            ++ghostPredictedTrips;
            assertEq(trips, 1, string.concat(label, ": predicted trip not reported"));
            assertEq(uint8(inv), uint8(p.trip.invariant), string.concat(label, ": tripped invariant"));
            assertEq(expected, p.trip.expected, string.concat(label, ": trip expected value"));
            assertEq(actual, p.trip.actual, string.concat(label, ": trip actual value"));
            _count(label, "TRIPPED");
            return;
        }
        if (trips != 0 || market.mode() != Mode.Normal) {
            emit log_named_uint("invariant", uint8(inv));
            emit log_named_int("expected", expected);
            emit log_named_int("actual", actual);
            _fail(string.concat(label, ": the market tripped and the model did not predict it"));
        }
        _assertState(label, who, p.post);
        _count(label, "ok");
    }

    /// @dev After a committed call the chain equals the model, field by field.
    function _assertState(string memory label, address who, MarketModel.State memory s) internal {
        MarginAccount memory a = market.accountOf(who);
        Aggregates memory g = market.aggregates();
        if (who != address(0)) {
            assertEq(a.margin, s.margin, string.concat(label, ": margin"));
            assertEq(a.size, s.size, string.concat(label, ": size"));
            assertEq(a.openNotional, s.openNotional, string.concat(label, ": openNotional"));
            assertEq(a.fundingIndex, s.accountIndex, string.concat(label, ": account funding index"));
            ghostSize[who] = s.size;
        }
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
        assertEq(usd.balanceOf(address(market)), s.balance, string.concat(label, ": market balance"));
    }

    /// @dev The backing rule, re-read from chain after an increase or an LP exit committed: the pool is backed.
    function _assertBacked(string memory label) internal view {
        (uint256 price,) = guard.lastGoodPrice();
        uint256 required = M.mulWadUp(
            uint256(S.ceilDiv(int256(S.abs(market.aggregates().netSize)) * int256(price), divisor)),
            market.riskParams().minBacking
        );
        if (market.poolEquity() < int256(required)) {
            _fail(string.concat(label, ": committed and left the pool under-backed"));
        }
    }

    /// @dev The initial-margin rule, re-read from chain after an increase or a withdrawal with a position
    ///      committed: the account's equity covers the initial margin of what it holds.
    function _assertInitialMargin(string memory label, address who) internal view {
        if (market.accountOf(who).size == 0) return;
        (int256 equity, uint256 initialRequired,,) = market.accountHealth(who);
        assertGe(
            equity, int256(initialRequired), string.concat(label, ": committed below the initial margin")
        );
    }

    /// @dev A known-bug trip is skipped (not run) and counted. A trip is a known bug when the call's own funding
    ///      settlement pushed the touched margin below zero on an account that is not liquidatable (BUG-1), or
    ///      pushed pool cash below zero paying the minority side's funding (BUG-2).
    function _skipKnownBug(Prediction memory p) internal returns (bool) {
        if (!AVOID_KNOWN_BUGS || p.err.length != 0 || !p.trip.tripped || bytes(p.knownBug).length == 0) {
            return false;
        }
        ++ghostKnownBugSkips;
        _count("knownBugSkipped", p.knownBug);
        return true;
    }

    function _commit(MarketModel.State memory s, int256 touchedMargin)
        internal
        pure
        returns (Prediction memory p)
    {
        p.trip = s.check(touchedMargin);
        p.post = s;
        if (p.trip.tripped) {
            if (s.marginAfterFunding < 0) {
                p.knownBug = "BUG-1 funding drove a solvent account's margin negative";
            } else if (s.poolCashAfterFunding < 0) {
                p.knownBug = "BUG-2 pool cash could not pay funding";
            }
        }
    }

    function _expect(bytes memory err) internal pure returns (Prediction memory p) {
        p.err = err;
    }

    function _expectOracle(OracleClass cls) internal pure returns (Prediction memory) {
        return _expect(abi.encodeWithSelector(IMarket.MarketOracleNotValid.selector, cls));
    }

    function _expectNotAllowed(Action action) internal view returns (Prediction memory) {
        return _expect(abi.encodeWithSelector(IMarket.MarketNotAllowed.selector, action, market.mode()));
    }

    /// @dev The permission table (DESIGN §2.2) as the model knows it.
    function _allows(Action action) internal view returns (bool) {
        Mode m = market.mode();
        if (m <= Mode.Cautious) return true;
        if (m == Mode.ReduceOnly) return action != Action.Increase && action != Action.LpDeposit;
        if (m == Mode.Halted) return action == Action.Deposit;
        return false;
    }

    /* ================================================================================================== */
    /*                                               HELPERS                                              */
    /* ================================================================================================== */

    /// @dev The reading class an action will get and the price it will use. No Valid round is ever pending
    ///      (every feed move and warp is followed by a refresh), so a Valid reading is the last good price.
    function _oracle() internal view returns (OracleClass cls, uint256 price) {
        PriceReading memory r = guard.peek();
        (price,) = guard.lastGoodPrice();
        if (r.class == OracleClass.Valid) assertEq(r.price, price, "handler: a Valid round is pending");
        return (r.class, price);
    }

    /// @dev The model state of `who` and the aggregates, with funding accrued to now when the call accrues it.
    function _load(address who, uint256 price, bool accrue)
        internal
        view
        returns (MarketModel.State memory s)
    {
        MarginAccount memory a = market.accountOf(who);
        Aggregates memory g = market.aggregates();
        (s.margin, s.size, s.openNotional, s.accountIndex) =
        (a.margin, a.size, a.openNotional, a.fundingIndex);
        (s.longOI, s.shortOI, s.netSize, s.netOpenNotional, s.sizeTimesIndex) =
        (g.longOpenInterest, g.shortOpenInterest, g.netSize, g.netOpenNotional, g.sizeTimesIndex);
        (s.totalMargin, s.poolCash, s.insurance, s.fundingIndex, s.lastFundingTime) =
        (g.totalMargin, g.poolCash, g.insurance, g.fundingIndex, g.lastFundingTime);
        s.balance = usd.balanceOf(address(market));
        s.divisor = divisor;
        s.marginAfterFunding = s.margin;
        s.poolCashAfterFunding = s.poolCash;
        if (accrue) {
            RiskParams memory r = market.riskParams();
            s.accrue(price, block.timestamp, r.maxFundingRate, r.skewScale);
        }
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

    /// @dev Whether a committed change of `delta` was an increase: |size| grew on the same side or flipped.
    function _increases(address who, int256 delta) internal view returns (bool) {
        int256 after_ = market.accountOf(who).size;
        int256 before = after_ - delta;
        return before == 0 || (before > 0) == (delta > 0) || S.abs(delta) > S.abs(before);
    }

    /// @dev The extra size (WAD) the account's equity carries at the initial margin, ignoring fees: an estimate
    ///         to centre inputs on, never a prediction.
    function _affordable(address who) internal view returns (uint256) {
        (int256 equity, uint256 initialRequired,,) = market.accountHealth(who);
        (uint256 im,) = guard.marginRatios();
        int256 free = equity - int256(initialRequired);
        return free > 0 ? uint256(free) * 1e48 / (_lastGood() * im) : 0;
    }

    function _priceLimit(int256 delta, uint256 seed) internal view returns (uint256) {
        (uint256 price,) = guard.lastGoodPrice();
        uint256 mode_ = seed % 4;
        if (mode_ == 1) return delta > 0 ? price + 1 : price - 1; // holds
        if (mode_ == 2) return delta > 0 ? price - 1 : price + 1; // does not hold: MarketPriceLimit
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

    /// @dev The keeper pokes the market: accrues funding and accepts a Valid new round.
    function _poke() internal {
        vm.recordLogs();
        market.refresh();
        (uint256 trips,,,) = _tripsIn(vm.getRecordedLogs());
        assertEq(trips, 0, "refresh tripped the market");
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

    function _tripsIn(Vm.Log[] memory logs)
        internal
        view
        returns (uint256 n, Invariant inv, int256 expected, int256 actual)
    {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(market) && logs[i].topics[0] == IMarket.InvariantViolated.selector)
            {
                ++n;
                inv = Invariant(uint8(uint256(logs[i].topics[1])));
                (expected, actual,) = abi.decode(logs[i].data, (int256, int256, bytes4));
            }
        }
    }

    function _fail(string memory message) internal pure {
        assertTrue(false, message);
    }

    /// @dev Counts an outcome; every action ends here, so it also observes the pool's solvency.
    function _count(string memory label, string memory outcome) internal {
        int256 cover = market.poolEquity() + int256(market.aggregates().insurance);
        if (cover < ghostMinPoolEquityPlusInsurance) ghostMinPoolEquityPlusInsurance = cover;
        if (cover < 0) ++ghostPoolUnderwaterObservations;
        string memory key = string.concat(label, ": ", outcome);
        bytes32 h = keccak256(bytes(key));
        if (outcomeCount[h]++ == 0) _outcomeKeys.push(key);
    }

    function _nameOf(bytes memory err) internal view returns (string memory) {
        if (err.length < 4) return "(empty revert)";
        string memory n = _errorName[bytes4(err)];
        return bytes(n).length == 0 ? vm.toString(err) : n;
    }

    function _nameErrors() internal {
        _errorName[IMarket.MarketZeroAmount.selector] = "MarketZeroAmount";
        _errorName[IMarket.MarketZeroSize.selector] = "MarketZeroSize";
        _errorName[IMarket.MarketNotAllowed.selector] = "MarketNotAllowed";
        _errorName[IMarket.MarketOracleNotValid.selector] = "MarketOracleNotValid";
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
        _errorName[ILiquidityPool.PoolZeroShares.selector] = "PoolZeroShares";
        _errorName[ILiquidityPool.PoolInsolvent.selector] = "PoolInsolvent";
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
        lines = new string[](_outcomeKeys.length + 1);
        for (uint256 i; i < _outcomeKeys.length; ++i) {
            lines[i] = string.concat(
                _outcomeKeys[i], "  x", vm.toString(outcomeCount[keccak256(bytes(_outcomeKeys[i]))])
            );
        }
        lines[_outcomeKeys.length] = string.concat(
            "min pool equity + insurance: ",
            vm.toString(ghostMinPoolEquityPlusInsurance),
            ", actions ending with it below zero: ",
            vm.toString(ghostPoolUnderwaterObservations)
        );
    }
}
