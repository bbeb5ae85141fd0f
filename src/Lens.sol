// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILiquidityPool} from "./interfaces/ILiquidityPool.sol";
import {
    Aggregates,
    IMarket,
    MarginAccount,
    Mode,
    RiskParams,
    SettlementSnapshot
} from "./interfaces/IMarket.sol";
import {OracleClass} from "./interfaces/IOracleGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice A market's whole aggregate state in one struct.
struct MarketView {
    address market;
    address pool;
    address collateral;
    Mode mode;
    uint8 haltFlags; // why it is Halted: breaker 1, invariant 2, insolvency 4, guardian 8
    uint256 haltedAt;
    address guardian;
    OracleClass oracleClass; // the class the next reading would get
    uint256 price; // last good price, WAD
    uint256 priceUpdatedAt;
    uint256 initialMargin;
    uint256 maintenanceMargin;
    uint256 variance;
    int256 fundingRate;
    int256 fundingIndexNow;
    int256 poolEquity;
    uint256 poolWithdrawable; // what LPs may take out now: backing and the outflow limiter
    uint256 poolOutflowAvailable;
    uint256 collateralBalance; // tokens the market holds
    uint256 poolShareSupply;
    RiskParams risk;
    Aggregates agg;
    SettlementSnapshot settlement; // zero until the market enters Settlement
    uint256 blockNumber;
    uint256 timestamp;
}

/// @notice One account's state and health at the last good price.
struct AccountView {
    address account;
    MarginAccount state;
    int256 equity; // margin + unrealised PnL - funding owed
    uint256 initialRequired;
    uint256 maintenanceRequired;
    uint256 notional;
    bool liquidatable;
    uint256 walletBalance; // collateral in the wallet
    uint256 lpShares;
}

/// @title Lens
/// @notice One view call returning a market's aggregate state and the state of a list of accounts, for the
///         harness, keepers and front ends. Stateless.
contract Lens {
    function snapshot(IMarket market, address[] calldata accounts)
        external
        view
        returns (MarketView memory m, AccountView[] memory list)
    {
        m = marketView(market);
        list = new AccountView[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            list[i] = accountView(market, accounts[i]);
        }
    }

    function marketView(IMarket market) public view returns (MarketView memory m) {
        m.market = address(market);
        m.pool = market.pool();
        m.collateral = market.collateral();
        m.mode = market.mode();
        m.haltFlags = market.haltFlags();
        m.haltedAt = market.haltedAt();
        m.guardian = market.guardian();
        m.oracleClass = market.oracle().peek().class;
        (m.price, m.priceUpdatedAt) = market.oracle().lastGoodPrice();
        (m.initialMargin, m.maintenanceMargin) = market.oracle().marginRatios();
        m.variance = market.oracle().variance();
        m.fundingRate = market.fundingRate();
        m.fundingIndexNow = market.currentFundingIndex();
        m.poolEquity = market.poolEquity();
        m.poolOutflowAvailable = m.pool == address(0) ? 0 : ILiquidityPool(m.pool).outflowAvailable();
        m.poolWithdrawable =
            Math.min(market.poolWithdrawable(), m.pool == address(0) ? 0 : m.poolOutflowAvailable);
        m.collateralBalance = IERC20(m.collateral).balanceOf(address(market));
        m.poolShareSupply = m.pool == address(0) ? 0 : IERC20(m.pool).totalSupply();
        m.risk = market.riskParams();
        m.agg = market.aggregates();
        m.settlement = market.settlement();
        m.blockNumber = block.number;
        m.timestamp = block.timestamp;
    }

    function accountView(IMarket market, address account) public view returns (AccountView memory v) {
        v.account = account;
        v.state = market.accountOf(account);
        (v.equity, v.initialRequired, v.maintenanceRequired, v.notional) = market.accountHealth(account);
        v.liquidatable = v.state.size != 0 && v.equity < int256(v.maintenanceRequired);
        address pool = market.pool();
        v.walletBalance = IERC20(market.collateral()).balanceOf(account);
        v.lpShares = pool == address(0) ? 0 : IERC20(pool).balanceOf(account);
    }
}
