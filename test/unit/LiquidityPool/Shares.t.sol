// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILiquidityPool} from "../../../src/interfaces/ILiquidityPool.sol";
import {Action, Mode} from "../../../src/interfaces/IMarket.sol";
import {UnitTest} from "../../utils/UnitTest.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

/// @dev OpenZeppelin ERC-4626 with decimals offset 6: shares = assets * (supply + 1e6) / (totalAssets + 1),
///      assets = shares * (totalAssets + 1) / (supply + 1e6), each rounded in the vault's favour. The expected
///      figures below were computed offline from those formulas. Funding is off so totalAssets is exact.
contract LiquidityPoolSharesTest is UnitTest {
    function setUp() public override {
        super.setUp();
        _noFunding();
    }

    /// @dev LP 100,000 and alice 10 units long at 2,000: totalAssets = 100,000 + 16 of fee = 100,016.
    function _withTrader() internal {
        _lpDeposit(lp, 100_000e6);
        _ageShares(); // the LP's shares may leave
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        assertEq(pool.totalAssets(), 100_016e6);
    }

    function test_decimals_assetPlusOffset() public view {
        assertEq(pool.decimals(), 12);
        assertEq(pool.asset(), address(usd));
        assertEq(address(pool.market()), address(market));
    }

    function test_deposit_emptyPool_mintsAssetsTimesOneMillion() public {
        _fund(lp, 1000e6);
        vm.expectEmit(address(pool));
        emit IERC4626.Deposit(lp, lp, 1000e6, 1e15);
        vm.prank(lp);
        assertEq(pool.deposit(1000e6, lp), 1e15);
        assertEq(pool.balanceOf(lp), 1e15);
        assertEq(pool.totalAssets(), 1000e6);
        // The pool holds nothing; the market holds the cash.
        assertEq(usd.balanceOf(address(pool)), 0);
        assertEq(usd.balanceOf(address(market)), 1000e6);
        assertEq(market.aggregates().poolCash, 1000e6);
    }

    function test_deposit_sharesRoundDown() public {
        _withTrader();
        _fund(carol, 1000e6);
        vm.prank(carol);
        // At the entry price (equity plus the 4 of insurance the opening fee paid):
        // 1,000e6 * (1e17 + 1e6) / (100,016e6 + 4e6 + 1), floored.
        assertEq(pool.deposit(1000e6, carol), 999_800_039_992_003);
        assertEq(pool.totalAssets(), 101_016e6);
    }

    function test_mint_assetsRoundUp() public {
        _withTrader();
        _fund(carol, 2000e6);
        vm.prank(carol);
        // At the entry price: 1e15 * (100,016e6 + 4e6 + 1) / (1e17 + 1e6), ceiled.
        assertEq(pool.mint(1e15, carol), 1_000_200_000);
        assertEq(pool.balanceOf(carol), 1e15);
        assertEq(usd.balanceOf(carol), 2000e6 - 1_000_200_000);
    }

    function test_withdraw_sharesBurnedRoundUp() public {
        _withTrader();
        vm.prank(lp);
        // 1,000e6 * (1e17 + 1e6) / (100,016e6 + 1), ceiled.
        assertEq(pool.withdraw(1000e6, lp, lp), 999_840_025_595_907);
        assertEq(pool.balanceOf(lp), 1e17 - 999_840_025_595_907);
        assertEq(usd.balanceOf(lp), 1000e6);
        assertEq(market.aggregates().poolCash, 99_016e6);
    }

    function test_redeem_assetsRoundDown() public {
        _withTrader();
        vm.prank(lp);
        // 1e15 * (100,016e6 + 1) / (1e17 + 1e6), floored.
        assertEq(pool.redeem(1e15, lp, lp), 1_000_159_999);
        assertEq(usd.balanceOf(lp), 1_000_159_999);
    }

    function test_withdraw_bySpender_spendsAllowance() public {
        _withTrader();
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, carol, 0, 999_840_025_595_907
            )
        );
        pool.withdraw(1000e6, carol, lp);
        vm.prank(lp);
        pool.approve(carol, 1e15);
        vm.prank(carol);
        pool.withdraw(1000e6, carol, lp);
        assertEq(usd.balanceOf(carol), 1000e6);
        assertEq(pool.allowance(lp, carol), 1e15 - 999_840_025_595_907);
    }

    function test_sharePrice_fallsWithTraderProfit() public {
        _withTrader();
        _stepPrice(2100e8, 1800);
        // Alice is up 1,000: the pool owes it.
        assertEq(pool.totalAssets(), 99_016e6);
        assertEq(pool.convertToAssets(pool.balanceOf(lp)), 99_016e6);
    }

    function test_sharePrice_risesWithTraderLoss() public {
        _withTrader();
        _stepPrice(1900e8, 1800);
        assertEq(pool.totalAssets(), 100_016e6, "an exit right after the round is valued at the LP price");
        _lpPriceFollows();
        assertEq(pool.totalAssets(), 101_016e6);
        assertEq(pool.convertToAssets(pool.balanceOf(lp)), 101_015_999_999);
    }

    function test_maxWithdraw_keepsTheBackingInThePool() public {
        _withTrader();
        // Backing: 50% of alice's 20,000 notional stays; 100,016 - 10,000 may leave.
        assertEq(market.poolWithdrawable(), 90_016e6);
        assertEq(pool.maxWithdraw(lp), 90_016e6);
        vm.prank(lp);
        vm.expectRevert(
            abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxWithdraw.selector, lp, 90_016e6 + 1, 90_016e6)
        );
        pool.withdraw(90_016e6 + 1, lp, lp);
        vm.prank(lp);
        pool.withdraw(90_016e6, lp, lp);
        assertEq(market.poolEquity(), 10_000e6);
        assertEq(pool.maxWithdraw(lp), 0);
    }

    function test_maxRedeem_keepsTheBackingInThePool() public {
        _withTrader();
        // 90,016e6 * (1e17 + 1e6) / (100,016e6 + 1), floored.
        uint256 maxShares = 90_001_599_744_041_097;
        assertEq(pool.maxRedeem(lp), maxShares);
        vm.prank(lp);
        vm.expectRevert(
            abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, lp, maxShares + 1, maxShares)
        );
        pool.redeem(maxShares + 1, lp, lp);
    }

    /// @dev A pool that cannot pay its winners halts its market (refresh sees it; cause PoolCannotPay), so a new LP
    ///      deposit is refused by the permission table before the pool's own dilution check is reached.
    function test_RevertWhen_depositIntoInsolventPool() public {
        _lpDeposit(lp, 10_000e6);
        _depositMargin(alice, 20_000e6);
        _open(alice, 10e18); // 20,000 notional needs 10,000 of backing; the pool has 10,016
        _walkPrice(3200e8);
        // Alice is up 12,000 against the pool's 10,016; the 4 of insurance cannot make up the difference.
        assertEq(market.poolEquity(), -1984e6);
        assertEq(pool.totalAssets(), 0);
        assertEq(uint8(market.mode()), uint8(Mode.Halted));
        assertEq(market.haltFlags(), 4, "insolvency");
        _fund(carol, 1000e6);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxDeposit.selector, carol, 1000e6, 0));
        pool.deposit(1000e6, carol);
    }

    /// @dev The pool's own check, behind the market's: with shares outstanding and no equity behind them, a deposit
    ///      would be diluted into the deficit, so maxDeposit is 0 even if the market's mode allowed it (mocked here).
    function test_RevertWhen_depositIntoInsolventPool_evenIfTheMarketAllowedIt() public {
        _lpDeposit(lp, 10_000e6);
        _depositMargin(alice, 20_000e6);
        _open(alice, 10e18);
        _walkPrice(3200e8);
        assertEq(market.poolEquity(), -1984e6);
        vm.mockCall(
            address(market), abi.encodeCall(market.poolQuote, ()), abi.encode(int256(-1984e6), true, 0)
        );
        assertEq(pool.maxDeposit(carol), 0);
        _fund(carol, 1000e6);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxDeposit.selector, carol, 1000e6, 0));
        pool.deposit(1000e6, carol);
    }
}
