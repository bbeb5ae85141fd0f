// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILiquidityPool} from "./interfaces/ILiquidityPool.sol";
import {Action, IMarket, Mode} from "./interfaces/IMarket.sol";
import {IOracleGuard, OracleClass} from "./interfaces/IOracleGuard.sol";
import {SignedMath as S} from "./libraries/SignedMath.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";

/// @title LiquidityPool
/// @notice ERC-4626 LP shares of one market. See ILiquidityPool.
/// @dev Inflation-attack safe twice over: `totalAssets` comes from the market's internal accounting (a donation
///      moves nothing) and OpenZeppelin's virtual shares (decimals offset 6) make rounding theft unprofitable.
contract LiquidityPool is ILiquidityPool, ERC4626, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    IMarket public immutable market;
    /// @inheritdoc ILiquidityPool
    uint256 public immutable outflowWindow;
    /// @inheritdoc ILiquidityPool
    uint256 public immutable maxOutflow;
    /// @dev size (WAD) * price (WAD) / _valueDivisor = value in collateral units, as in the market.
    int256 internal immutable _valueDivisor;

    // Outflow limiter state: the window's start, the equity it is based on (without young capital), the assets
    // that came in and went out in it, and the room carried in from the previous window's young net inflow; with
    // the sums of each inflow and each outflow times its offset into the window, in seconds. Packed in pairs by
    // when they are written together (a deposit writes one slot, an exit one, a new window four).
    uint128 internal _windowStart;
    uint128 internal _windowBase;
    uint128 internal _windowIn;
    uint128 internal _windowInAge;
    uint128 internal _windowOut;
    uint128 internal _windowOutAge;
    uint256 internal _windowCarry;

    /// @dev Each holder's young shares (minted less than the holding period ago) and the time they all free up.
    struct Lock {
        uint128 shares;
        uint64 until;
    }

    mapping(address holder => Lock) internal _locks;

    // The market's quote, read once per entry point right after its refresh (transient: cleared when the entry
    // point ends), so that one action reads the feeds once for its previews, limits and window.
    bool internal transient _quoted;
    int256 internal transient _quotedEquity;
    bool internal transient _quotedOpen;
    uint256 internal transient _quotedWithdrawable;
    uint256 internal transient _quotedInsurance;
    int256 internal transient _quotedLpGap;

    constructor(
        IMarket market_,
        string memory name_,
        string memory symbol_,
        uint256 outflowWindow_,
        uint256 maxOutflow_
    ) ERC20(name_, symbol_) ERC4626(IERC20(market_.collateral())) {
        if (outflowWindow_ == 0 || maxOutflow_ == 0 || maxOutflow_ > 1e18) {
            revert PoolBadParams();
        }
        market = market_;
        (outflowWindow, maxOutflow) = (outflowWindow_, maxOutflow_);
        _valueDivisor = int256(10 ** (36 - uint256(decimals() - _decimalsOffset())));
        // The market pulls deposited assets from the pool inside its guarded frame.
        IERC20(market_.collateral()).forceApprove(address(market_), type(uint256).max);
    }

    /// @dev What an exit is paid from: the pool's equity, floored at zero (an insolvent pool's shares are worth nothing
    ///      until settlement), with the traders' PnL valued at the worse, for the pool, of the last good price and the
    ///      guard's LP price (`IOracleGuard.lpPrice`), which follows each round over as long as its move took to build.
    ///      So capital that was in the pool around a round for a fraction of that time leaves with at most that
    ///      fraction of what the round paid the pool, whichever of its holder's shares it redeems. As every entry point
    ///      finds it after refreshing the market: so the previews, the conversions and the max* views describe what an
    ///      action in the same transaction does, even with a round pending.
    function totalAssets() public view override(ERC4626, IERC4626) returns (uint256) {
        (int256 equity,,, int256 gap) = _quote();
        equity += gap < 0 ? gap : int256(0);
        return equity > 0 ? uint256(equity) : 0;
    }

    /// @dev The market's quote and the LP-price gap: pool equity with the traders' PnL at the LP price, less pool
    ///      equity at the last good price (0 in Settlement, whose claims are fixed).
    function _quote() internal view returns (int256 equity, bool open, uint256 withdrawable, int256 gap) {
        if (_quoted) return (_quotedEquity, _quotedOpen, _quotedWithdrawable, _quotedLpGap);
        (equity, open, withdrawable) = market.poolQuote();
        gap = _lpGap(market.oracle().peek().lastGoodPrice);
    }

    function _lpGap(uint256 mark) internal view returns (int256) {
        if (market.mode() == Mode.Settlement) return 0;
        (uint256 lp,) = market.oracle().lpPrice();
        int256 net = market.aggregates().netSize;
        return S.ceilDiv(net * int256(mark), _valueDivisor) - S.ceilDiv(net * int256(lp), _valueDivisor);
    }

    /// @dev Every entry point refreshes the market first (funding, a pending oracle round), so that the share price
    ///      it quotes is current, then holds the market's quote for the rest of the call.
    ///      Right after the refresh, the quote is the market's plain views plus the class of the reading it saw.
    modifier refreshed() {
        bool valid = market.refresh() == OracleClass.Valid;
        _quotedEquity = market.poolEquity();
        _quotedOpen = valid && market.allows(Action.LpDeposit);
        _quotedWithdrawable = valid ? market.poolWithdrawable() : 0;
        _quotedInsurance = market.insurance();
        (uint256 mark,) = market.oracle().lastGoodPrice();
        _quotedLpGap = _lpGap(mark);
        _quoted = true;
        _;
        _quoted = false;
    }

    /// @dev A deposit buys its shares at the equity plus the insurance sub-fund, which goes to the shares at
    ///      settlement: so no deposit right before a settlement takes the fund from the LPs who were there. The
    ///      entrant's premium stays with the pool's LPs (its own share included) until then. The first deposit
    ///      pays no premium: its shares are all there is.
    function previewDeposit(uint256 assets) public view override(ERC4626, IERC4626) returns (uint256) {
        return
            Math.mulDiv(
                assets, totalSupply() + 10 ** _decimalsOffset(), _entryAssets() + 1, Math.Rounding.Floor
            );
    }

    function previewMint(uint256 shares) public view override(ERC4626, IERC4626) returns (uint256) {
        return
            Math.mulDiv(
                shares, _entryAssets() + 1, totalSupply() + 10 ** _decimalsOffset(), Math.Rounding.Ceil
            );
    }

    /// @inheritdoc ILiquidityPool
    function entryAssets() external view returns (uint256) {
        return _entryAssets();
    }

    /// @dev Entries pay the worse, for the entrant, of the two prices (see totalAssets): so capital cannot avoid a
    ///      round's loss by leaving before it and coming back after it, either.
    function _entryAssets() internal view returns (uint256) {
        if (totalSupply() == 0) return totalAssets();
        (int256 equity,,, int256 gap) = _quote();
        equity += gap > 0 ? gap : int256(0);
        return (equity > 0 ? uint256(equity) : 0) + (_quoted ? _quotedInsurance : market.insurance());
    }

    function maxDeposit(address) public view override(ERC4626, IERC4626) returns (uint256) {
        return _depositOpen() ? type(uint256).max : 0;
    }

    function maxMint(address) public view override(ERC4626, IERC4626) returns (uint256) {
        return _depositOpen() ? type(uint256).max : 0;
    }

    /// @dev The market would take a deposit (mode, a Valid reading) and the shares outstanding have equity behind
    ///      them (see _enter).
    function _depositOpen() internal view returns (bool) {
        (int256 equity, bool open,,) = _quote();
        return open && (equity > 0 || totalSupply() == 0);
    }

    function maxWithdraw(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        return Math.min(_convertToAssets(_freeShares(owner), Math.Rounding.Floor), _withdrawable());
    }

    function maxRedeem(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        return Math.min(_freeShares(owner), _convertToShares(_withdrawable(), Math.Rounding.Floor));
    }

    /// @inheritdoc ILiquidityPool
    function minHoldingPeriod() public view returns (uint256) {
        return market.oracle().params().maxAge;
    }

    /// @inheritdoc ILiquidityPool
    function lockedShares(address holder) public view returns (uint256 shares, uint256 until) {
        Lock memory lock = _locks[holder];
        return lock.until > block.timestamp ? (uint256(lock.shares), uint256(lock.until)) : (0, 0);
    }

    function _freeShares(address holder) internal view returns (uint256) {
        (uint256 locked,) = lockedShares(holder);
        uint256 balance = balanceOf(holder);
        return balance > locked ? balance - locked : 0;
    }

    /// @dev Every share movement passes here. Minted shares are locked for the holding period, together with the
    ///      receiver's shares still young (the free ones stay free: a top-up cannot relock them, and a large old
    ///      balance cannot carry a new deposit out early). Young shares cannot be moved, so no deposit hides in a
    ///      fresh account; exits take only free shares (`maxRedeem`/`maxWithdraw`), so none leaves before it has
    ///      carried the book for a whole heartbeat. Settlement claims are not locked: they open a settlement window
    ///      after the last deposit. A shortfall in the balance itself is left to ERC20's own error.
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0)) {
            if (to != address(0)) {
                (uint256 young,) = lockedShares(to);
                _locks[to] = Lock(
                    SafeCast.toUint128(young + value), SafeCast.toUint64(block.timestamp + minHoldingPeriod())
                );
            }
        } else if (to != address(0)) {
            (uint256 locked, uint256 until) = lockedShares(from);
            uint256 balance = balanceOf(from);
            if (locked != 0 && balance >= value && balance - value < locked) {
                revert PoolSharesLocked(from, locked, until);
            }
        }
        super._update(from, to, value);
    }

    /// @inheritdoc ILiquidityPool
    function outflowAvailable() public view returns (uint256) {
        (uint256 base, uint256 carry, uint256 inflow, uint256 outflow) = block.timestamp
            >= _windowStart + outflowWindow
            ? _nextWindow()
            : (uint256(_windowBase), _windowCarry, uint256(_windowIn), uint256(_windowOut));
        uint256 room = Math.mulDiv(base, maxOutflow, 1e18) + carry + inflow;
        return room > outflow ? room - outflow : 0;
    }

    /// @dev The window that starts now. A flow of the window just ended is young in proportion to how late in the
    ///      window it came (the last block: wholly; the first second: not at all), aging further for every second
    ///      the new window starts late. Young inflows net of young outflows (capital that came in late and stayed)
    ///      are left out of the new base and carried as room of their own, so that capital can leave again without
    ///      consuming the room the older capital's share earns, and a late flash deposit-and-exit carries nothing.
    ///      The base is the pool's equity at the mark (floored at zero), not the exit valuation: the limiter bounds
    ///      what may leave per window of what the pool holds, whatever price a share leaves at.
    function _nextWindow() internal view returns (uint256 base, uint256 carry, uint256, uint256) {
        (int256 quoted,,,) = _quote();
        uint256 equity = quoted > 0 ? uint256(quoted) : 0;
        uint256 aged = (block.timestamp - _windowStart - outflowWindow) * _windowIn + _windowOutAge;
        carry = Math.min(_windowInAge > aged ? (_windowInAge - aged) / outflowWindow : 0, equity);
        return (equity - carry, carry, 0, 0);
    }

    /// @inheritdoc ILiquidityPool
    function claimSettlement(uint256 shares, address receiver)
        external
        nonReentrant
        returns (uint256 assets)
    {
        if (shares == 0) revert PoolZeroShares();
        _burn(_msgSender(), shares);
        assets = market.onPoolClaim(receiver, shares);
        emit SettlementClaimed(_msgSender(), receiver, shares, assets);
    }

    function _withdrawable() internal view returns (uint256) {
        (,, uint256 withdrawable,) = _quote();
        return Math.min(withdrawable, outflowAvailable());
    }

    /// @dev Starts a new limiter window when the last one has run out (see _nextWindow).
    function _rollWindow() internal {
        if (block.timestamp < _windowStart + outflowWindow) return;
        (uint256 base, uint256 carry,,) = _nextWindow();
        (_windowStart, _windowBase) = (uint128(block.timestamp), SafeCast.toUint128(base));
        (_windowIn, _windowInAge, _windowOut, _windowOutAge, _windowCarry) = (0, 0, 0, 0, carry);
    }

    // Each entry point is `refreshed`, then follows ERC-4626's checks and rounding.

    function deposit(uint256 assets, address receiver)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        refreshed
        returns (uint256 shares)
    {
        uint256 maxAssets = maxDeposit(receiver);
        if (assets > maxAssets) revert ERC4626ExceededMaxDeposit(receiver, assets, maxAssets);
        shares = previewDeposit(assets);
        if (!_enter(_msgSender(), receiver, assets, shares)) return 0;
    }

    function mint(uint256 shares, address receiver)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        refreshed
        returns (uint256 assets)
    {
        uint256 maxShares = maxMint(receiver);
        if (shares > maxShares) revert ERC4626ExceededMaxMint(receiver, shares, maxShares);
        assets = previewMint(shares);
        if (!_enter(_msgSender(), receiver, assets, shares)) return 0;
    }

    function withdraw(uint256 assets, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        refreshed
        returns (uint256 shares)
    {
        uint256 maxAssets = maxWithdraw(owner);
        if (assets > maxAssets) revert ERC4626ExceededMaxWithdraw(owner, assets, maxAssets);
        shares = previewWithdraw(assets);
        if (!_exit(_msgSender(), receiver, owner, assets, shares)) return 0;
    }

    function redeem(uint256 shares, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        refreshed
        returns (uint256 assets)
    {
        uint256 maxShares = maxRedeem(owner);
        if (shares > maxShares) revert ERC4626ExceededMaxRedeem(owner, shares, maxShares);
        assets = previewRedeem(shares);
        if (!_exit(_msgSender(), receiver, owner, assets, shares)) return 0;
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return 6;
    }

    function _enter(address caller, address receiver, uint256 assets, uint256 shares)
        internal
        returns (bool)
    {
        if (shares == 0) revert PoolZeroShares();
        (int256 equity,,,) = _quote();
        // With shares outstanding and no equity behind them, a new deposit would be diluted into the deficit.
        if (totalSupply() != 0 && equity <= 0) revert PoolInsolvent(equity);
        _rollWindow(); // fix: a new window's base is the equity before this deposit, not double-counting it
        IERC20(asset()).safeTransferFrom(caller, address(this), assets);
        if (!market.onPoolDeposit(assets)) {
            IERC20(asset()).safeTransfer(caller, assets);
            emit ActionRefusedByMarket(caller, assets, shares);
            return false;
        }
        // Inflows make room for outflows in the same window (and the next, see _nextWindow), so a deposit that
        // leaves again soon nets to zero and cannot use up the honest LPs' allowance.
        (_windowIn, _windowInAge) =
        (
            SafeCast.toUint128(_windowIn + assets),
            SafeCast.toUint128(_windowInAge + assets * (block.timestamp - _windowStart))
        );
        _mint(receiver, shares);
        emit Deposit(caller, receiver, assets, shares);
        return true;
    }

    function _exit(address caller, address receiver, address owner, uint256 assets, uint256 shares)
        internal
        returns (bool)
    {
        if (shares == 0 || assets == 0) revert PoolZeroShares();
        _rollWindow();
        uint256 room = outflowAvailable();
        if (assets > room) revert PoolOutflowLimit(assets, room);
        // Allowance is checked before and spent after the market pays, so a refused exit costs the owner nothing.
        if (caller != owner && allowance(owner, caller) < shares) {
            revert ERC20InsufficientAllowance(caller, allowance(owner, caller), shares);
        }
        if (!market.onPoolWithdraw(receiver, assets)) {
            emit ActionRefusedByMarket(caller, assets, shares);
            return false;
        }
        if (caller != owner) _spendAllowance(owner, caller, shares);
        (_windowOut, _windowOutAge) =
        (
            SafeCast.toUint128(_windowOut + assets),
            SafeCast.toUint128(_windowOutAge + assets * (block.timestamp - _windowStart))
        );
        _burn(owner, shares);
        emit Withdraw(caller, receiver, owner, assets, shares);
        return true;
    }
}
