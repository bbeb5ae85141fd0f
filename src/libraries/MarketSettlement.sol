// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Aggregates, IMarket, MarginAccount, Mode, SettlementSnapshot} from "../interfaces/IMarket.sol";
import {MarketSafety, SafetyState} from "./MarketSafety.sol";
import {SignedMath as S} from "./SignedMath.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @notice A market's terminal state: the snapshot, what has been paid out, and who has claimed or been realised.
struct SettlementState {
    SettlementSnapshot snapshot;
    uint256 paid;
    mapping(address account => bool) claimed;
}

/// @title MarketSettlement
/// @notice The Settlement layer of a Market: the snapshot, the realisation window, the claim ratio and the pull
///         claims. External functions, delegatecalled from the market (they run on its storage and move its
///         tokens), so that they do not count toward the market's code size. The mode checks stay in the market.
library MarketSettlement {
    using SafeTransferLib for address;

    uint256 internal constant WAD = 1e18;

    /// @notice Enters Settlement if `settle()` may (MarketSafety.settleCause) and writes the snapshot, once, at `price`
    ///         and `poolEquity` (funding accrued to now). The claim window is fixed here: a later parameter change
    ///         cannot move the claims.
    function settle(
        SettlementState storage self,
        SafetyState storage safe,
        Aggregates storage agg,
        uint256 price,
        int256 poolEquity,
        uint256 shareSupply,
        address owner
    ) external {
        MarketSafety.setMode(safe, Mode.Settlement, MarketSafety.settleCause(safe, owner));
        uint256 window = safe.params.settlementWindow;
        SettlementSnapshot storage s = self.snapshot;
        uint256 assets;
        int256 traderEquity;
        assets = agg.totalMargin + agg.insurance + (agg.poolCash > 0 ? uint256(agg.poolCash) : 0);
        (s.price, s.fundingIndex, s.longOpenInterest, s.shortOpenInterest) =
        (price, agg.fundingIndex, agg.longOpenInterest, agg.shortOpenInterest);
        (s.insurance, s.poolEquity, s.assets, s.idleMargin) =
        (agg.insurance, poolEquity, assets, agg.idleMargin);
        // assets = (traders' equity + idle margin) + pool equity + insurance; traders' figure is the remainder,
        // which rounds up against the per-account sum, so the ratio below is conservative.
        traderEquity = int256(assets) - int256(agg.idleMargin) - poolEquity - int256(agg.insurance);
        s.traderEquity = traderEquity;
        s.poolShareSupply = shareSupply;
        (s.settledAt, s.claimsOpenAt) = (block.timestamp, block.timestamp + window);
        emit IMarket.Settled(price, assets, poolEquity, traderEquity);
    }

    /// @notice Records an underwater account's negative equity at the snapshot as deficit, during the window.
    function realise(
        SettlementState storage self,
        mapping(address => MarginAccount) storage accounts,
        address account,
        int256 valueDivisor
    ) external {
        SettlementSnapshot storage s = self.snapshot;
        if (block.timestamp >= s.claimsOpenAt) revert IMarket.MarketRealiseWindowClosed(s.claimsOpenAt);
        MarginAccount storage a = accounts[account];
        if (a.size == 0) revert IMarket.MarketNoPosition();
        if (self.claimed[account]) revert IMarket.MarketAlreadyRealised();
        int256 equity = _settledEquity(s, a, valueDivisor);
        if (equity >= 0) revert IMarket.MarketNotLiquidatable(equity, 0);
        s.deficit += uint256(-equity);
        self.claimed[account] = true;
        emit IMarket.AccountRealised(account, equity);
    }

    /// @notice Pays `account`'s claim: idle margin in full at once, positive equity at the claim ratio.
    function claim(
        SettlementState storage self,
        mapping(address => MarginAccount) storage accounts,
        Aggregates storage agg,
        address collateral,
        address account,
        int256 valueDivisor
    ) external returns (uint256 amount) {
        if (self.claimed[account]) revert IMarket.MarketAlreadyClaimed();
        MarginAccount storage a = accounts[account];
        if (a.size == 0) {
            // Margin without exposure is paid in full at once: it never shares a loss.
            int256 margin = a.margin;
            amount = margin > 0 ? uint256(margin) : 0;
            (agg.totalMargin, agg.idleMargin) = (agg.totalMargin - amount, agg.idleMargin - amount);
            a.margin = 0;
        } else {
            SettlementSnapshot storage s = _finalised(self);
            int256 equity = _settledEquity(s, a, valueDivisor);
            amount = equity > 0 ? M.mulWad(uint256(equity), s.traderRatio) : 0;
        }
        self.claimed[account] = true;
        _pay(self, agg, collateral, account, amount);
        emit IMarket.Claimed(account, amount);
    }

    /// @notice The LP pool's claim for `shares` of the snapshot supply.
    function poolClaim(
        SettlementState storage self,
        Aggregates storage agg,
        address collateral,
        address receiver,
        uint256 shares
    ) external returns (uint256 assets) {
        SettlementSnapshot storage s = _finalised(self);
        assets = M.mulDiv(s.lpAssets, shares, s.poolShareSupply);
        _pay(self, agg, collateral, receiver, assets);
        emit IMarket.PoolClaimed(receiver, shares, assets);
    }

    /// @dev Fixes the claim ratio once, after the realisation window: positive trader equity is senior to LPs;
    ///      if the market cannot pay it in full, traders share what there is pro rata and LPs get nothing.
    function _finalised(SettlementState storage self) private returns (SettlementSnapshot storage s) {
        s = self.snapshot;
        if (s.finalised) return s;
        if (block.timestamp < s.claimsOpenAt) revert IMarket.MarketSettlementPending(s.claimsOpenAt);
        uint256 available = s.assets - s.idleMargin;
        int256 owed = s.traderEquity + int256(s.deficit);
        uint256 needed = owed > 0 ? uint256(owed) : 0;
        if (available >= needed) (s.traderRatio, s.lpAssets) = (WAD, available - needed);
        else (s.traderRatio, s.lpAssets) = (M.divWad(available, needed), 0);
        s.finalised = true;
        emit IMarket.SettlementFinalised(s.deficit, s.traderRatio, s.lpAssets);
    }

    function _settledEquity(SettlementSnapshot storage s, MarginAccount storage a, int256 valueDivisor)
        private
        view
        returns (int256)
    {
        int256 size = a.size;
        int256 owed = S.ceilDiv(size * (s.fundingIndex - a.fundingIndex), valueDivisor);
        return a.margin + S.floorDiv(size * int256(s.price), valueDivisor) - a.openNotional - owed;
    }

    /// @dev Settlement's invariant: what was paid never exceeds what the market held at the snapshot.
    function _pay(
        SettlementState storage self,
        Aggregates storage agg,
        address collateral,
        address to,
        uint256 amount
    ) private {
        uint256 paid = self.paid + amount;
        // Unclaimed idle margin stays reserved: an unrealised deficit cannot push other claims into it.
        uint256 cap = self.snapshot.assets - agg.idleMargin;
        if (paid > cap) revert IMarket.MarketSettlementExhausted(paid, cap);
        self.paid = paid;
        if (amount != 0) collateral.safeTransfer(to, amount);
    }
}
