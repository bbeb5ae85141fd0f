// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {LiquidityPool} from "../../src/LiquidityPool.sol";
import {Market} from "../../src/Market.sol";
import {OracleGuard} from "../../src/OracleGuard.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {MarketAccounting} from "../../src/libraries/MarketAccounting.sol";
import {MarketLiquidation} from "../../src/libraries/MarketLiquidation.sol";
import {MarketParams} from "../../src/libraries/MarketParams.sol";
import {MarketPool} from "../../src/libraries/MarketPool.sol";
import {MarketSafety} from "../../src/libraries/MarketSafety.sol";
import {MarketSettlement} from "../../src/libraries/MarketSettlement.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {UnguardedMarket} from "../utils/UnguardedMarket.sol";
import {console2} from "forge-std/console2.sol";

/// @notice The guard-overhead benchmark (DESIGN §2.3: "its gas overhead per mutating call is measured and kept
///         small"). Two identical systems side by side — the real Market and UnguardedMarket (every guarded entry
///         point overridden to run the same effects in-frame: no call encoding, no self-call, no `_guard`, no credits
///         read, no invariant check) — each with its own oracle guard on the same feeds, its own pool and its own
///         users, in the same state. Every test runs one entry point on both and prints guarded vs unguarded (`-vv`);
///         figures also go to snapshots/guard-overhead-{warm,cold}.json. The difference is exactly the guard's cost.
/// @dev Two measurements, two budgets (see test/gas/README.md):
///      - warm (GuardOverheadWarmTest): every slot either call reads is warmed first, so the difference is the
///        guard's own mechanism — the abi-encoded self-call, `_guard`, the credits identity and the checks, and the
///        token balance when tokens moved. Budget: MAX_OVERHEAD.
///      - cold (GuardOverheadColdTest, isolated: each call is its own transaction): what a user pays on chain,
///        refunds included. On top of the mechanism, the check pays a cold SLOAD (2,100) for each slot it reads that
///        the action itself did not touch: one of the three credit slots (totalMargin, poolCash, insurance) for LP
///        actions, the other side's open interest for an increase or a reduce, two credit slots for fundInsurance.
///        COLD_CEILING pins today's worst (fundInsurance) with a margin, so no figure can grow unnoticed.
///      The two systems have separate users so that neither call finds a token balance the other already wrote.
abstract contract GuardOverheadBase is BaseTest {
    /// @dev The guard's own cost, all storage warm.
    uint256 internal constant MAX_OVERHEAD = 5000;
    /// @dev What a user pays, cold: today's worst (fundInsurance, 8,021) plus a margin. Every trader and LP entry
    ///      point is at 6,200 or less.
    uint256 internal constant COLD_CEILING = 8500;

    struct Users {
        address trader;
        address funder;
        address lp;
        address keeper;
    }

    OracleGuard internal guard2;
    UnguardedMarket internal unguarded;
    LiquidityPool internal pool2;
    mapping(Market market => Users) internal users;

    function _isolated() internal pure virtual returns (bool);

    function setUp() public override {
        super.setUp();
        guard2 = new OracleGuard(
            feed,
            feed2,
            AggregatorV3Interface(address(0)),
            Defaults.MIN_ANSWER,
            Defaults.MAX_ANSWER,
            Defaults.oracleParams(),
            Defaults.INITIAL_VARIANCE,
            address(this)
        );
        unguarded = new UnguardedMarket(address(usd), guard2, Defaults.riskParams(), address(this));
        unguarded.setSafetyParams(Defaults.safetyParams());
        pool2 = new LiquidityPool(
            unguarded, "Unguarded LP", "uLP", Defaults.OUTFLOW_WINDOW, Defaults.MAX_OUTFLOW
        );
        unguarded.setPool(address(pool2));
        _users(market, "guarded");
        _users(unguarded, "unguarded");
        _both(_lpDepositOn, 1_000_000e6);
        _both(_depositOn, 10_000e6);
        vm.warp(block.timestamp + 300);
    }

    /* ENTRY POINTS */

    function test_overhead_deposit() public {
        _later();
        _compare("deposit", _measureDeposit(market), _measureDeposit(unguarded));
    }

    function test_overhead_withdraw() public {
        _later();
        _compare("withdraw", _measureWithdraw(market), _measureWithdraw(unguarded));
    }

    function test_overhead_withdrawWithPosition() public {
        _both(_openOn, 10e18);
        _later();
        _compare("withdraw (with position)", _measureWithdraw(market), _measureWithdraw(unguarded));
    }

    function test_overhead_open() public {
        _later();
        _compare("open", _measureModify(market, 10e18), _measureModify(unguarded, 10e18));
    }

    function test_overhead_increase() public {
        _both(_openOn, 10e18);
        _later();
        _compare("increase", _measureModify(market, 5e18), _measureModify(unguarded, 5e18));
    }

    function test_overhead_reduce() public {
        _both(_openOn, 10e18);
        _later();
        _compare("reduce", _measureModify(market, -5e18), _measureModify(unguarded, -5e18));
    }

    function test_overhead_close() public {
        _both(_openOn, 10e18);
        _later();
        _compare("close", _measureClose(market), _measureClose(unguarded));
    }

    function test_overhead_liquidate() public {
        _both(_openOn, 46e18);
        vm.warp(block.timestamp + 1800);
        _setPrice(1820e8);
        _compare("liquidate", _measureLiquidate(market), _measureLiquidate(unguarded));
    }

    function test_overhead_fundInsurance() public {
        _compare("fundInsurance", _measureFundInsurance(market), _measureFundInsurance(unguarded));
    }

    function test_overhead_lpDeposit() public {
        _later();
        _compare("LP deposit", _measureLpDeposit(market), _measureLpDeposit(unguarded));
    }

    function test_overhead_lpRedeem() public {
        vm.warp(block.timestamp + pool.minHoldingPeriod()); // the LP's shares are past their holding period
        _later();
        _compare("LP redeem", _measureLpRedeem(market), _measureLpRedeem(unguarded));
    }

    /* MEASUREMENTS: one call each */

    function _measureDeposit(Market m) internal returns (uint256) {
        _warm(m);
        vm.prank(users[m].trader);
        m.deposit(1000e6);
        return _lastCallGas();
    }

    function _measureWithdraw(Market m) internal returns (uint256) {
        _warm(m);
        vm.prank(users[m].trader);
        m.withdraw(1000e6);
        return _lastCallGas();
    }

    function _measureModify(Market m, int256 delta) internal returns (uint256) {
        _warm(m);
        vm.prank(users[m].trader);
        m.modifyPosition(delta, 0);
        return _lastCallGas();
    }

    function _measureClose(Market m) internal returns (uint256) {
        _warm(m);
        vm.prank(users[m].trader);
        m.closePosition(0);
        return _lastCallGas();
    }

    function _measureLiquidate(Market m) internal returns (uint256) {
        _warm(m);
        address trader = users[m].trader;
        vm.prank(users[m].keeper);
        m.liquidate(trader);
        return _lastCallGas();
    }

    function _measureFundInsurance(Market m) internal returns (uint256) {
        _warm(m);
        vm.prank(users[m].funder);
        m.fundInsurance(1000e6);
        return _lastCallGas();
    }

    function _measureLpDeposit(Market m) internal returns (uint256) {
        _warm(m);
        LiquidityPool p = LiquidityPool(m.pool());
        address funder = users[m].funder;
        vm.prank(funder);
        p.deposit(10_000e6, funder);
        return _lastCallGas();
    }

    function _measureLpRedeem(Market m) internal returns (uint256) {
        _warm(m);
        LiquidityPool p = LiquidityPool(m.pool());
        address provider = users[m].lp;
        vm.prank(provider);
        p.redeem(1e16, provider, provider); // 1% of the LP's shares
        return _lastCallGas();
    }

    /* HELPERS */

    function _lastCallGas() internal view returns (uint256) {
        return vm.lastCallGas().gasTotalUsed;
    }

    function _compare(string memory action, uint256 guarded, uint256 baseline) internal {
        uint256 overhead = guarded > baseline ? guarded - baseline : 0;
        string memory group = _isolated() ? "guard-overhead-cold" : "guard-overhead-warm";
        vm.snapshotValue(group, string.concat(action, ": guarded"), guarded);
        vm.snapshotValue(group, string.concat(action, ": unguarded"), baseline);
        vm.snapshotValue(group, string.concat(action, ": overhead"), overhead);
        uint256 bps = overhead * 10_000 / baseline;
        console2.log(
            string.concat(
                _isolated() ? "[cold] " : "[warm] ",
                action,
                ": guarded ",
                vm.toString(guarded),
                ", unguarded ",
                vm.toString(baseline),
                ", overhead ",
                vm.toString(overhead),
                " (",
                vm.toString(bps / 100),
                ".",
                vm.toString(bps % 100 / 10),
                "%)"
            )
        );
        assertGe(guarded, baseline, "the guard cannot be cheaper than no guard");
        if (_isolated()) {
            assertLt(overhead, COLD_CEILING, string.concat(action, ": cold overhead above its ceiling"));
        } else {
            assertLt(overhead, MAX_OVERHEAD, string.concat(action, ": guard overhead over budget"));
        }
    }

    /// @dev Warm mode: reads every slot and account the call will touch (a view warms them for the rest of the
    ///      transaction) so that the measured difference is the guard's mechanism alone. Cold mode: nothing.
    function _warm(Market m) internal view {
        if (_isolated()) return;
        LiquidityPool p = LiquidityPool(m.pool());
        OracleGuard g = OracleGuard(address(m.oracle()));
        m.aggregates();
        m.riskParams();
        m.mode();
        m.owner();
        g.peek();
        g.marginRatios();
        g.variance();
        g.lastRoundId();
        g.params();
        p.totalSupply();
        usd.balanceOf(address(m));
        usd.balanceOf(address(p));
        // The market's delegatecalled libraries: both markets call the same ones.
        uint256 code = address(MarketAccounting).code.length + address(MarketSafety).code.length
            + address(MarketSettlement).code.length + address(MarketParams).code.length
            + address(MarketPool).code.length + address(MarketLiquidation).code.length;
        assertGt(code, 0);
        Users memory u = users[m];
        address[4] memory list = [u.trader, u.funder, u.lp, u.keeper];
        for (uint256 j; j < list.length; ++j) {
            m.accountOf(list[j]);
            usd.balanceOf(list[j]);
            usd.allowance(list[j], address(m));
            usd.allowance(list[j], address(p));
            usd.allowance(address(p), address(m));
            p.balanceOf(list[j]);
        }
    }

    /// @dev A minute passes and the feeds publish the same price again, so both markets accept a round.
    function _later() internal {
        vm.warp(block.timestamp + 60);
        _setPrice(2000e8);
    }

    function _users(Market m, string memory tag) internal {
        Users memory u = Users({
            trader: makeAddr(string.concat("trader-", tag)),
            funder: makeAddr(string.concat("funder-", tag)),
            lp: makeAddr(string.concat("lp-", tag)),
            keeper: makeAddr(string.concat("keeper-", tag))
        });
        users[m] = u;
        address[4] memory list = [u.trader, u.funder, u.lp, u.keeper];
        for (uint256 i; i < list.length; ++i) {
            usd.mint(list[i], 3_000_000e6);
            vm.startPrank(list[i]);
            usd.approve(address(m), type(uint256).max);
            usd.approve(m.pool(), type(uint256).max);
            vm.stopPrank();
        }
    }

    function _both(function(Market, uint256) internal f, uint256 x) internal {
        f(market, x);
        f(unguarded, x);
    }

    function _both(function(Market, int256) internal f, int256 x) internal {
        f(market, x);
        f(unguarded, x);
    }

    function _lpDepositOn(Market m, uint256 amount) internal {
        LiquidityPool p = LiquidityPool(m.pool());
        address provider = users[m].lp;
        vm.prank(provider);
        p.deposit(amount, provider);
    }

    function _depositOn(Market m, uint256 amount) internal {
        vm.prank(users[m].trader);
        m.deposit(amount);
    }

    function _openOn(Market m, int256 size) internal {
        vm.prank(users[m].trader);
        m.modifyPosition(size, 0);
    }
}

/// @notice The guard's own cost: everything the measured calls read is warmed first.
contract GuardOverheadWarmTest is GuardOverheadBase {
    function _isolated() internal pure override returns (bool) {
        return false;
    }
}

/// @notice What a user pays on chain: every measured call is its own transaction (cold accounts and slots).
/// forge-config: default.isolate = true
contract GuardOverheadColdTest is GuardOverheadBase {
    function _isolated() internal pure override returns (bool) {
        return true;
    }
}
