// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarket, Mode, RiskParams} from "../../src/interfaces/IMarket.sol";
import {OracleParams} from "../../src/interfaces/IOracleGuard.sol";
import {GovernedBaseTest} from "../utils/GovernedBaseTest.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {Enum} from "@safe-global/safe-smart-account/libraries/Enum.sol";

/// @notice What a compromised or careless guardian could try with the Safe's own delegatecall.
contract Loosener {
    function setModeNormal(IMarket market) external {
        market.setMode(Mode.Normal);
    }

    function escalateNormal(IMarket market) external {
        market.escalate(Mode.Normal);
    }
}

/// @notice A guardian trying to loosen, and attempts to get around the timelock's delay.
contract GovernanceAttacksTest is GovernedBaseTest {
    Loosener internal loosener = new Loosener();

    function _delegateSigs(bytes memory data) internal view returns (bytes memory sigs) {
        bytes32 txHash = safe.getTransactionHash(
            address(loosener),
            0,
            data,
            Enum.Operation.DelegateCall,
            0,
            0,
            0,
            address(0),
            address(0),
            safe.nonce()
        );
        uint256[] memory keys = new uint256[](2);
        (keys[0], keys[1]) = (safeKeys[0], safeKeys[1]);
        keys = _sortByAddress(keys);
        for (uint256 i; i < keys.length; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[i], txHash);
            sigs = abi.encodePacked(sigs, r, s, v);
        }
    }

    function _delegate(bytes memory data, bytes memory sigs) internal {
        safe.execTransaction(
            address(loosener),
            0,
            data,
            Enum.Operation.DelegateCall,
            0,
            0,
            0,
            address(0),
            payable(address(0)),
            sigs
        );
    }

    function test_guardian_delegatecallCannotLoosen() public {
        _safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Halted)));

        // In the Safe's own context the market still sees the Safe: the guardian, not the owner.
        bytes memory data = abi.encodeCall(Loosener.setModeNormal, (market));
        bytes memory sigs = _delegateSigs(data);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(safe)));
        _delegate(data, sigs);

        data = abi.encodeCall(Loosener.escalateNormal, (market));
        sigs = _delegateSigs(data);
        vm.expectRevert(abi.encodeWithSelector(IMarket.MarketNotTighter.selector, Mode.Halted, Mode.Normal));
        _delegate(data, sigs);

        assertEq(uint8(market.mode()), uint8(Mode.Halted));
        assertEq(market.haltFlags(), HALT_GUARDIAN);
    }

    /// @dev The guardian is also the proposer: it can queue a loosening, but not land it before the delay, neither
    ///      by executing at once nor by a batch with a shorter delay.
    function test_guardianAsProposer_cannotLandALooseningEarly() public {
        _safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Halted)));
        bytes memory data = abi.encodeCall(IMarket.setMode, (Mode.Normal));
        bytes32 id = _schedule(address(market), data, 0);

        bytes memory execute = abi.encodeCall(TimelockController.execute, (address(market), 0, data, 0, 0));
        bytes memory sigs = _sign(address(timelock), execute);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector, id, _readyBitmap()
            )
        );
        _safeSubmit(address(timelock), execute, sigs);

        address[] memory targets = new address[](1);
        uint256[] memory values = new uint256[](1);
        bytes[] memory payloads = new bytes[](1);
        (targets[0], payloads[0]) = (address(market), data);
        bytes memory batch = abi.encodeCall(
            TimelockController.scheduleBatch, (targets, values, payloads, 0, bytes32("b"), 1 hours)
        );
        sigs = _sign(address(timelock), batch);
        vm.expectRevert(
            abi.encodeWithSelector(TimelockController.TimelockInsufficientDelay.selector, 1 hours, delay)
        );
        _safeSubmit(address(timelock), batch, sigs);

        // Settling is not a way out of the halt for the guardian either: not before maxHaltDuration.
        bytes memory settle = abi.encodeCall(IMarket.settle, ());
        sigs = _sign(address(market), settle);
        vm.expectRevert(IMarket.MarketNotSettleable.selector);
        _safeSubmit(address(market), settle, sigs);
        assertEq(uint8(market.mode()), uint8(Mode.Halted));
    }

    /// @dev A pending loosening can be stopped by the guardian (the timelock's canceller): cancelling only ever
    ///      keeps the market as strict as it is.
    function test_guardian_cancelsAPendingLoosening() public {
        _safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Halted)));
        bytes memory data = abi.encodeCall(IMarket.setMode, (Mode.Normal));
        bytes32 id = _schedule(address(market), data, 0);
        _safeExec(address(timelock), abi.encodeCall(TimelockController.cancel, (id)));
        vm.warp(block.timestamp + delay);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector, id, _readyBitmap()
            )
        );
        _execute(address(market), data, 0);
        assertEq(uint8(market.mode()), uint8(Mode.Halted));
    }

    /// @dev Lowering the timelock's own delay is itself a timelocked operation (users see it a full exit window
    ///      ahead), and once it lands the market refuses every owner call under the shorter delay - safety and risk
    ///      parameters, mode, settle - until the timelock restores a delay that covers the exit window. (Mode and
    ///      risk-parameter changes used to land under the shortened delay: a known gap, now closed.)
    function test_loweringTheDelay_takesTheFullDelay_thenEveryOwnerCallIsRefused() public {
        bytes memory lower = abi.encodeCall(TimelockController.updateDelay, (1 hours));
        bytes32 id = _schedule(address(timelock), lower, 0);
        vm.warp(block.timestamp + delay - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector, id, _readyBitmap()
            )
        );
        _execute(address(timelock), lower, 0);
        vm.warp(block.timestamp + 1);
        _execute(address(timelock), lower, 0);
        assertEq(timelock.getMinDelay(), 1 hours);
        uint256 fullDelay = delay;
        delay = 1 hours;

        // The guardian still tightens at once.
        _safeExec(address(market), abi.encodeCall(IMarket.escalate, (Mode.Halted)));
        RiskParams memory r = market.riskParams();
        r.tradingFee *= 2;
        bytes[4] memory calls = [
            abi.encodeCall(market.setSafetyParams, (market.safetyParams())),
            abi.encodeCall(IMarket.setMode, (Mode.Normal)),
            abi.encodeCall(market.setRiskParams, (r)),
            abi.encodeCall(IMarket.settle, ())
        ];
        for (uint256 i; i < calls.length; ++i) {
            _schedule(address(market), calls[i], bytes32(i));
        }
        vm.warp(block.timestamp + 1 hours);
        for (uint256 i; i < calls.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IMarket.MarketTimelockTooShort.selector, 1 hours, 4 days));
            _execute(address(market), calls[i], bytes32(i));
        }
        assertEq(uint8(market.mode()), uint8(Mode.Halted));
        assertEq(market.riskParams().tradingFee, r.tradingFee / 2);

        // Restoring the delay (itself under the short delay) lets governance act again, a full exit window later.
        _timelocked(address(timelock), abi.encodeCall(TimelockController.updateDelay, (fullDelay)));
        delay = fullDelay;
        _timelocked(address(market), abi.encodeCall(IMarket.setMode, (Mode.Normal)));
        assertEq(uint8(market.mode()), uint8(Mode.Normal));
    }

    /// @dev KNOWN GAP, kept visible: the exit-window check lives in the market only. The oracle guard, owned by the
    ///      same timelock, still takes a parameter change (here the margin floors halved: twice the leverage) under
    ///      the shortened delay, one hour after it is proposed. See the report.
    function test_loweringTheDelay_oracleParamsStillLandUnderTheShortDelay() public {
        _timelocked(address(timelock), abi.encodeCall(TimelockController.updateDelay, (1 hours)));
        assertEq(timelock.getMinDelay(), 1 hours);
        delay = 1 hours;
        OracleParams memory p = guard.params();
        (p.imFloor, p.mmFloor) = (p.imFloor / 2, p.mmFloor / 2);
        _timelocked(address(guard), abi.encodeCall(guard.setParams, (p)));
        assertEq(guard.params().imFloor, 0.05e18);
    }
}
