// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILiquidityPool} from "./interfaces/ILiquidityPool.sol";
import {Action, IMarket} from "./interfaces/IMarket.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
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

    // Outflow limiter state: net assets out of the pool in the current window, and the equity it started with.
    uint256 internal _windowStart;
    uint256 internal _windowBase;
    int256 internal _windowNet;

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
        // The market pulls deposited assets from the pool inside its guarded frame.
        IERC20(market_.collateral()).forceApprove(address(market_), type(uint256).max);
    }

    /// @dev The pool's equity, floored at zero (an insolvent pool's shares are worth nothing until settlement).
    function totalAssets() public view override(ERC4626, IERC4626) returns (uint256) {
        int256 equity = market.poolEquity();
        return equity > 0 ? uint256(equity) : 0;
    }

    function maxDeposit(address) public view override(ERC4626, IERC4626) returns (uint256) {
        return market.allows(Action.LpDeposit) ? type(uint256).max : 0;
    }

    function maxMint(address) public view override(ERC4626, IERC4626) returns (uint256) {
        return market.allows(Action.LpDeposit) ? type(uint256).max : 0;
    }

    function maxWithdraw(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        return Math.min(_convertToAssets(balanceOf(owner), Math.Rounding.Floor), _withdrawable());
    }

    function maxRedeem(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        return Math.min(balanceOf(owner), _convertToShares(_withdrawable(), Math.Rounding.Floor));
    }

    /// @inheritdoc ILiquidityPool
    function outflowAvailable() public view returns (uint256) {
        (uint256 base, int256 net) = block.timestamp >= _windowStart + outflowWindow
            ? (totalAssets(), int256(0))
            : (_windowBase, _windowNet);
        int256 room = int256(Math.mulDiv(base, maxOutflow, 1e18)) - net;
        return room > 0 ? uint256(room) : 0;
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
        return Math.min(market.poolWithdrawable(), outflowAvailable());
    }

    /// @dev Starts a new limiter window when the last one has run out, based on the equity at its start.
    function _rollWindow() internal {
        if (block.timestamp < _windowStart + outflowWindow) return;
        (_windowStart, _windowBase, _windowNet) = (block.timestamp, totalAssets(), 0);
    }

    // Each entry point refreshes the market first (funding, oracle round) so that the share price it
    // quotes is current, then follows ERC-4626's checks and rounding.

    function deposit(uint256 assets, address receiver)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256 shares)
    {
        market.refresh();
        uint256 maxAssets = maxDeposit(receiver);
        if (assets > maxAssets) revert ERC4626ExceededMaxDeposit(receiver, assets, maxAssets);
        shares = previewDeposit(assets);
        if (!_enter(_msgSender(), receiver, assets, shares)) return 0;
    }

    function mint(uint256 shares, address receiver)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256 assets)
    {
        market.refresh();
        uint256 maxShares = maxMint(receiver);
        if (shares > maxShares) revert ERC4626ExceededMaxMint(receiver, shares, maxShares);
        assets = previewMint(shares);
        if (!_enter(_msgSender(), receiver, assets, shares)) return 0;
    }

    function withdraw(uint256 assets, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256 shares)
    {
        market.refresh();
        uint256 maxAssets = maxWithdraw(owner);
        if (assets > maxAssets) revert ERC4626ExceededMaxWithdraw(owner, assets, maxAssets);
        shares = previewWithdraw(assets);
        if (!_exit(_msgSender(), receiver, owner, assets, shares)) return 0;
    }

    function redeem(uint256 shares, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256 assets)
    {
        market.refresh();
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
        int256 equity = market.poolEquity();
        // With shares outstanding and no equity behind them, a new deposit would be diluted into the deficit.
        if (totalSupply() != 0 && equity <= 0) revert PoolInsolvent(equity);
        _rollWindow(); // fix: a new window's base is the equity before this deposit, not double-counting it
        IERC20(asset()).safeTransferFrom(caller, address(this), assets);
        if (!market.onPoolDeposit(assets)) {
            IERC20(asset()).safeTransfer(caller, assets);
            emit ActionRefusedByMarket(caller, assets, shares);
            return false;
        }
        // Inflows make room for outflows in the same window, so a flash deposit-then-withdraw nets to zero and
        // cannot use up the honest LPs' allowance.
        _windowNet -= int256(assets);
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
        _windowNet += int256(assets);
        _burn(owner, shares);
        emit Withdraw(caller, receiver, owner, assets, shares);
        return true;
    }
}
