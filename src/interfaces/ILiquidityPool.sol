// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IMarket} from "./IMarket.sol";

/// @title ILiquidityPool
/// @notice ERC-4626 shares over one market's LP pool. The pool holds no tokens between calls: the market keeps
///         the cash and the pool's `totalAssets` is the market's pool equity (cash + funding owed - traders' net
///         unrealised PnL), so a donation to either contract cannot move the share price.
interface ILiquidityPool is IERC4626 {
    /// @notice The market halted itself during an LP action (a broken invariant): nothing was minted or burned
    ///         and any assets taken were returned. The ERC-4626 call returns 0.
    event ActionRefusedByMarket(address indexed caller, uint256 assets, uint256 shares);

    error PoolZeroShares();
    error PoolInsolvent(int256 equity);

    /// @notice The market this pool is the counterparty of.
    function market() external view returns (IMarket);
}
