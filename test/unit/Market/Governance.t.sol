// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Cause, IMarket, Mode, RiskParams, SafetyParams} from "../../../src/interfaces/IMarket.sol";
import {IOracleGuard, OracleParams} from "../../../src/interfaces/IOracleGuard.sol";
import {GovernedBaseTest} from "../../utils/GovernedBaseTest.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @notice Governance as deployed: a 2-of-3 Safe guardian that may only tighten, and a timelock (delay = exit
///         window) that owns the market and the oracle guard and is the only way to loosen or reconfigure.
contract GovernanceTest is GovernedBaseTest {
    function _assertMode(Mode m) internal view {
        assertEq(uint8(market.mode()), uint8(m), "mode");
    }

    function test_deployment_wiresGovernance() public view {
        assertEq(market.guardian(), address(safe));
        assertEq(market.owner(), address(timelock));
        assertEq(guard.owner(), address(timelock));
        assertEq(delay, 4 days, "maxHaltDuration + settlementWindow");
        assertEq(safe.getThreshold(), 2);
        assertEq(safe.getOwners().length, 3);
        assertTrue(timelock.hasRole(timelock.PROPOSER_ROLE(), address(safe)));
        assertTrue(timelock.hasRole(timelock.EXECUTOR_ROLE(), address(0)), "anyone executes");
        // No admin key: the timelock administers itself.
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(this)));
        assertTrue(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(timelock)));
    }

    /* GUARDIAN */

    function test_safeGuardian_escalatesThroughARealSafeTransaction() public {
        uint256 nonce = safe.nonce();
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Normal, Mode.Cautious, Cause.Guardian);
        assertTrue(_safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Cautious))));
        _assertMode(Mode.Cautious);
        assertEq(safe.nonce(), nonce + 1);

        _safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Halted)));
        _assertMode(Mode.Halted);
        assertEq(market.haltFlags(), HALT_GUARDIAN);
    }

    function test_safe_needsThresholdSortedOwnerSignatures() public {
        bytes memory data = abi.encodeCall(IMarket.escalate, (Mode.Halted));
        uint256[] memory one = new uint256[](1);
        one[0] = safeKeys[0];
        bytes memory sigs = _signatures(address(market), data, one);
        vm.expectRevert(bytes("GS020"));
        _safeSubmit(address(market), data, sigs);

        // Two valid signatures in descending signer order.
        uint256[] memory two = new uint256[](2);
        (two[0], two[1]) = (safeKeys[0], safeKeys[1]);
        sigs = _signatures(address(market), data, two);
        bytes memory reversed = bytes.concat(_slice(sigs, 65, 130), _slice(sigs, 0, 65));
        vm.expectRevert(bytes("GS026"));
        _safeSubmit(address(market), data, reversed);

        // An outsider's key in place of an owner's.
        (, uint256 outsiderKey) = makeAddrAndKey("outsider");
        two[1] = outsiderKey;
        sigs = _signatures(address(market), data, two);
        vm.expectRevert(bytes("GS026"));
        _safeSubmit(address(market), data, sigs);

        _assertMode(Mode.Normal);
    }

    function test_guardian_cannotLoosen() public {
        _safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Halted)));
        for (uint8 to; to <= 4; ++to) {
            bytes memory data = abi.encodeCall(IMarket.escalate, (Mode(to)));
            bytes memory sigs = _sign(address(market), data);
            // The Safe bubbles the market's revert (safeTxGas = gasPrice = 0).
            vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotTighter.selector, Mode.Halted, Mode(to)));
            _safeSubmit(address(market), data, sigs);
        }
        _assertMode(Mode.Halted);
    }

    function test_safeOwnersAndStrangers_cannotEscalateOrSetMode() public {
        address[4] memory callers = [safeOwners[0], safeOwners[1], stranger, address(this)];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(IMarket.MarketOnlyGuardian.selector);
            vm.prank(callers[i]);
            market.escalate(Mode.Halted);
            vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, callers[i]));
            vm.prank(callers[i]);
            market.setMode(Mode.Cautious);
        }
        _assertMode(Mode.Normal);
    }

    /* LOOSENING THROUGH THE TIMELOCK */

    function test_loosening_onlyThroughTheTimelock_afterTheDelay() public {
        _safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Halted)));
        bytes memory data = abi.encodeCall(IMarket.setMode, (Mode.Normal));
        bytes32 salt = keccak256("reopen");
        uint256 scheduledAt = block.timestamp;
        bytes32 id = _schedule(address(market), data, salt);
        assertEq(timelock.getTimestamp(id), scheduledAt + 4 days);

        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector, id, _readyBitmap()
            )
        );
        _execute(address(market), data, salt);

        vm.warp(scheduledAt + 4 days - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector, id, _readyBitmap()
            )
        );
        _execute(address(market), data, salt);
        _assertMode(Mode.Halted);

        vm.warp(scheduledAt + 4 days);
        vm.expectEmit(address(market));
        emit IMarket.ModeChanged(Mode.Halted, Mode.Normal, Cause.Governance);
        _execute(address(market), data, salt);
        _assertMode(Mode.Normal);
        assertEq(market.haltFlags(), 0);
        assertTrue(timelock.isOperationDone(id));
    }

    /// @dev The exit guarantee in one run: a change proposed when a halt starts cannot land while the market is
    ///      halted; governance either reopens first (users can leave in the open modes) or the exit opens after its
    ///      delay, and users settle and claim.
    function test_exitWindow_aChangeNeverLandsOnAHaltedMarket() public {
        _lpDeposit(lp, 100_000e6);
        _depositMargin(alice, 10_000e6);
        _open(alice, 10e18);
        _safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Halted)));
        RiskParams memory r = market.riskParams();
        r.tradingFee *= 2;
        bytes memory data = abi.encodeCall(market.setRiskParams, (r));
        _schedule(address(market), data, 0);

        vm.warp(block.timestamp + delay);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketChangeWhileHalted.selector, Mode.Halted));
        _execute(address(market), data, 0);
        vm.warp(market.exitOpensAt());
        vm.prank(stranger);
        market.settle(); // HaltedTooLong: anyone
        vm.warp(block.timestamp + 1 days);
        vm.prank(alice);
        assertGt(market.claim(), 0, "alice is out");
    }

    /* BYPASS ATTEMPTS */

    function test_bypass_safeCannotCallOwnerFunctionsDirectly() public {
        RiskParams memory r = market.riskParams();
        SafetyParams memory sp = market.safetyParams();
        OracleParams memory op = guard.params();
        bytes[5] memory calls = [
            abi.encodeCall(IMarket.setMode, (Mode.Normal)),
            abi.encodeCall(market.setRiskParams, (r)),
            abi.encodeCall(market.setSafetyParams, (sp)),
            abi.encodeCall(market.setGuardian, (address(safe))),
            abi.encodeCall(IMarket.settle, ())
        ];
        for (uint256 i; i < calls.length; ++i) {
            bytes memory sigs = _sign(address(market), calls[i]);
            if (i == 4) {
                vm.expectRevert(IMarket.MarketNotSettleable.selector);
            } else {
                vm.expectRevert(
                    abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(safe))
                );
            }
            _safeSubmit(address(market), calls[i], sigs);
        }
        bytes memory guardCall = abi.encodeCall(guard.setParams, (op));
        bytes memory guardSigs = _sign(address(guard), guardCall);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(safe)));
        _safeSubmit(address(guard), guardCall, guardSigs);
    }

    function test_bypass_scheduleWithAShorterDelay() public {
        bytes memory data = abi.encodeCall(IMarket.setMode, (Mode.Normal));
        bytes memory call =
            abi.encodeCall(TimelockController.schedule, (address(market), 0, data, 0, bytes32(0), delay - 1));
        bytes memory sigs = _sign(address(timelock), call);
        vm.expectRevert(
            abi.encodeWithSelector(TimelockController.TimelockInsufficientDelay.selector, delay - 1, delay)
        );
        _safeSubmit(address(timelock), call, sigs);
    }

    function test_bypass_strangerCannotScheduleAndUnscheduledCannotExecute() public {
        bytes memory data = abi.encodeCall(IMarket.setMode, (Mode.Normal));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, timelock.PROPOSER_ROLE()
            )
        );
        vm.prank(stranger);
        timelock.schedule(address(market), 0, data, 0, 0, delay);

        bytes32 id = timelock.hashOperation(address(market), 0, data, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector, id, _readyBitmap()
            )
        );
        _execute(address(market), data, 0);
    }

    function test_bypass_safeCannotChangeTheTimelockDirectly() public {
        bytes memory call = abi.encodeCall(TimelockController.updateDelay, (0));
        bytes memory sigs = _sign(address(timelock), call);
        vm.expectRevert(
            abi.encodeWithSelector(TimelockController.TimelockUnauthorizedCaller.selector, address(safe))
        );
        _safeSubmit(address(timelock), call, sigs);

        call = abi.encodeCall(IAccessControl.grantRole, (timelock.DEFAULT_ADMIN_ROLE(), address(safe)));
        sigs = _sign(address(timelock), call);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, address(safe), bytes32(0)
            )
        );
        _safeSubmit(address(timelock), call, sigs);
    }

    /* PARAMETER STEP BOUNDS */

    function test_riskParams_factorTwoPerChange_throughTheTimelock() public {
        RiskParams memory r = market.riskParams();
        r.tradingFee = 0.002e18; // x2: the largest step up
        r.minBacking = 0.25e18; // /2: the largest step down
        _timelocked(address(market), abi.encodeCall(market.setRiskParams, (r)));
        assertEq(market.riskParams().tradingFee, 0.002e18);
        assertEq(market.riskParams().minBacking, 0.25e18);

        r.tradingFee = 0.004e18 + 1;
        bytes memory data = abi.encodeCall(market.setRiskParams, (r));
        _schedule(address(market), data, 0);
        vm.warp(block.timestamp + delay);
        vm.expectRevert(IMarket.MarketStepTooLarge.selector);
        _execute(address(market), data, 0);

        r.tradingFee = 0.002e18;
        r.minBacking = 0.125e18 - 1;
        data = abi.encodeCall(market.setRiskParams, (r));
        _schedule(address(market), data, 0);
        vm.warp(block.timestamp + delay);
        vm.expectRevert(IMarket.MarketStepTooLarge.selector);
        _execute(address(market), data, 0);
        assertEq(market.riskParams().minBacking, 0.25e18);
    }

    /// @dev Every field, one at a time, just past a factor of two either way (down only where the default lies above
    ///      the field's first step); then the hard bounds, reached by
    ///      legal steps. (Pranked as the timelock: the timelock path itself is covered above.)
    function test_riskParams_everyFieldStepBounded_andHardBounds() public {
        RiskParams memory base = market.riskParams();
        for (uint256 f; f < 8; ++f) {
            for (uint256 up; up < 2; ++up) {
                RiskParams memory r = market.riskParams(); // a fresh copy: memory structs alias
                uint256 v = _riskField(base, f);
                // The default fee and funding rate are their first steps: below them any move is allowed.
                if (up == 0 && (f == 0 || f == 4)) continue;
                _setRiskField(r, f, up == 1 ? 2 * v + 1 : v / 2 - 1);
                vm.expectRevert(IMarket.MarketStepTooLarge.selector);
                vm.prank(address(timelock));
                market.setRiskParams(r);
            }
        }
        // Hard bounds: the insurance share of fees never exceeds 100%, even by factor-two steps.
        RiskParams memory s = base;
        vm.startPrank(address(timelock));
        s.insuranceFeeShare = 0.4e18;
        market.setRiskParams(s);
        s.insuranceFeeShare = 0.8e18;
        market.setRiskParams(s);
        s.insuranceFeeShare = 1e18 + 1;
        vm.expectRevert(IMarket.MarketBadParams.selector);
        market.setRiskParams(s);
        // The trading fee stops at 5%.
        s.insuranceFeeShare = 0.8e18;
        for (uint64 fee = 0.002e18; fee <= 0.032e18; fee *= 2) {
            s.tradingFee = fee;
            market.setRiskParams(s);
        }
        s.tradingFee = 0.05e18 + 1;
        vm.expectRevert(IMarket.MarketBadParams.selector);
        market.setRiskParams(s);
        s.tradingFee = 0.05e18;
        market.setRiskParams(s);
        vm.stopPrank();
    }

    function test_oracleParams_factorTwoPerChange_throughTheTimelock() public {
        OracleParams memory p = guard.params();
        p.jumpBand = 0.2e18; // x2
        _timelocked(address(guard), abi.encodeCall(guard.setParams, (p)));
        assertEq(guard.params().jumpBand, 0.2e18);

        p.jumpBand = 0.4e18 + 1;
        bytes memory data = abi.encodeCall(guard.setParams, (p));
        _schedule(address(guard), data, 0);
        vm.warp(block.timestamp + delay);
        vm.expectRevert(IOracleGuard.OracleGuardStepTooLarge.selector);
        _execute(address(guard), data, 0);

        p.jumpBand = 0.2e18;
        p.maxAge = 1800 - 1;
        data = abi.encodeCall(guard.setParams, (p));
        _schedule(address(guard), data, bytes32(uint256(1)));
        vm.warp(block.timestamp + delay);
        vm.expectRevert(IOracleGuard.OracleGuardStepTooLarge.selector);
        _execute(address(guard), data, bytes32(uint256(1)));
    }

    /* EXIT-WINDOW CHECK */

    function test_exitWindow_refusesAShortTimelockAsOwner() public {
        address[] memory none = new address[](0);
        TimelockController short = new TimelockController(4 days - 1, none, none, address(0));
        _timelocked(address(market), abi.encodeCall(Ownable.transferOwnership, (address(short))));
        // Two-step: the check is where ownership changes hands, when the new owner accepts.
        vm.prank(address(short));
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketTimelockTooShort.selector, 4 days - 1, 4 days));
        market.acceptOwnership();
        assertEq(market.owner(), address(timelock));

        // A timelock with exactly the exit window is accepted.
        TimelockController enough = new TimelockController(4 days, none, none, address(0));
        _timelocked(address(market), abi.encodeCall(Ownable.transferOwnership, (address(enough))));
        vm.prank(address(enough));
        market.acceptOwnership();
        assertEq(market.owner(), address(enough));
    }

    function test_exitWindow_refusesSafetyParamsThatOutgrowTheDelay() public {
        SafetyParams memory p = market.safetyParams();
        p.maxHaltDuration += 1; // exit window 4 days + 1 > the 4-day delay
        bytes memory data = abi.encodeCall(market.setSafetyParams, (p));
        _schedule(address(market), data, 0);
        vm.warp(block.timestamp + delay);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketTimelockTooShort.selector, 4 days, 4 days + 1));
        _execute(address(market), data, 0);

        // Trading halt time for settlement time keeps the window: accepted.
        p.maxHaltDuration = 2 days;
        p.settlementWindow = 2 days;
        _timelocked(address(market), abi.encodeCall(market.setSafetyParams, (p)));
        assertEq(market.safetyParams().maxHaltDuration, 2 days);
    }

    /* HELPERS */

    function _riskField(RiskParams memory r, uint256 f) internal pure returns (uint256) {
        if (f == 0) return r.tradingFee;
        if (f == 1) return r.insuranceFeeShare;
        if (f == 2) return r.liquidationPenalty;
        if (f == 3) return r.keeperRewardShare;
        if (f == 4) return r.maxFundingRate;
        if (f == 5) return r.minBacking;
        if (f == 6) return r.skewScale;
        return r.maxOpenInterest;
    }

    function _setRiskField(RiskParams memory r, uint256 f, uint256 v) internal pure {
        if (f == 0) r.tradingFee = uint64(v);
        else if (f == 1) r.insuranceFeeShare = uint64(v);
        else if (f == 2) r.liquidationPenalty = uint64(v);
        else if (f == 3) r.keeperRewardShare = uint64(v);
        else if (f == 4) r.maxFundingRate = uint64(v);
        else if (f == 5) r.minBacking = uint64(v);
        else if (f == 6) r.skewScale = uint128(v);
        else r.maxOpenInterest = uint128(v);
    }

    function _slice(bytes memory b, uint256 from, uint256 to) internal pure returns (bytes memory out) {
        out = new bytes(to - from);
        for (uint256 i; i < out.length; ++i) {
            out[i] = b[from + i];
        }
    }
}

/// @notice The same governance with a separate proposer (the deploy script's PROPOSER): the proposer schedules,
///         but owns nothing and cannot act on the market or the guard directly.
contract GovernanceSeparateProposerTest is GovernedBaseTest {
    address internal proposerEoa;

    function _proposer() internal override returns (address) {
        proposerEoa = makeAddr("proposer");
        return proposerEoa;
    }

    function test_proposer_cannotBypassTheTimelock() public {
        _safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Halted)));
        RiskParams memory r = market.riskParams();
        vm.startPrank(proposerEoa);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, proposerEoa));
        market.setMode(Mode.Normal);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, proposerEoa));
        market.setRiskParams(r);
        vm.expectRevert(IMarket.MarketOnlyGuardian.selector);
        market.escalate(Mode.Settlement);
        vm.expectRevert(
            abi.encodeWithSelector(TimelockController.TimelockUnauthorizedCaller.selector, proposerEoa)
        );
        timelock.updateDelay(0);
        vm.stopPrank();
        assertFalse(timelock.hasRole(timelock.PROPOSER_ROLE(), address(safe)), "the Safe does not propose");

        // Through the timelock it works, after the delay.
        _timelocked(address(market), abi.encodeCall(IMarket.setMode, (Mode.Normal)));
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }
}
