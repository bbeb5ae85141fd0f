// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMarket} from "./IMarket.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

/// @title ILiquidityPool
/// @notice ERC-4626 shares over one market's LP pool. The pool holds no tokens between calls: the market keeps
///         the cash and the pool's `totalAssets` is the market's pool equity (cash + funding owed - traders' net
///         unrealised PnL), so a donation to either contract cannot move the share price. The traders' PnL in it is
///         valued at the worse, for the LPs, of the last good price and the guard's LP price (`IOracleGuard.lpPrice`),
///         so capital in the pool for part of the time a round's move built over takes only that part of it.
interface ILiquidityPool is IERC4626 {
    /// @notice The market halted itself during an LP action (a broken invariant): nothing was minted or burned
    ///         and any assets taken were returned. The ERC-4626 call returns 0.
    event ActionRefusedByMarket(address indexed caller, uint256 assets, uint256 shares);

    /// @notice An LP took their settlement claim.
    event SettlementClaimed(address indexed owner, address indexed receiver, uint256 shares, uint256 assets);

    error PoolZeroShares();
    error PoolInsolvent(int256 equity);
    error PoolBadParams();
    /// @notice The transfer would take `holder`'s balance below its young shares, locked until `until`.
    error PoolSharesLocked(address holder, uint256 lockedShares, uint256 until);
    /// @notice The withdrawal would take the window's net outflow past its cap.
    error PoolOutflowLimit(uint256 requested, uint256 available);

    /// @notice The market this pool is the counterparty of.
    function market() external view returns (IMarket);

    /// @notice The length of the outflow limiter's window, in seconds.
    function outflowWindow() external view returns (uint256);

    /// @notice Net outflow allowed per window, as a WAD fraction of the pool's equity at the window's start
    ///         (in the spirit of ERC-7265). Deposits in the window add to the room.
    function maxOutflow() external view returns (uint256);

    /// @notice Assets LPs may still take out in the current window.
    function outflowAvailable() external view returns (uint256);

    /// @notice How long minted shares stay locked, neither redeemable nor transferable (settlement claims are not
    ///         locked): the oracle guard's `maxAge`, the feed's heartbeat, so a deposit cannot be in for one oracle
    ///         round and out after it without carrying the book for as long as a round accrues over.
    function minHoldingPeriod() external view returns (uint256);

    /// @notice `holder`'s young shares and when they free up ((0, 0) when none). A new deposit relocks the young
    ///         shares with it, never the free ones; `maxRedeem`/`maxWithdraw` count only the free shares.
    function lockedShares(address holder) external view returns (uint256 shares, uint256 until);

    /// @notice What a deposit buys into: the pool's equity with the traders' PnL at the better, for the LPs already
    ///         in, of the last good price and the LP price, plus the market's insurance sub-fund, which goes to the
    ///         shares at settlement (just `totalAssets` while no shares exist). `previewDeposit`/`previewMint` price at
    ///         it; exits price at `totalAssets`.
    function entryAssets() external view returns (uint256);

    /// @notice In Settlement: burns `shares` and pays their fixed share of what the LPs are owed (pull).
    function claimSettlement(uint256 shares, address receiver) external returns (uint256 assets);
}
