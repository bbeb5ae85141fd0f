// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Defaults} from "../../script/Defaults.sol";
import {Governance} from "../../script/SystemDeployer.sol";
import {SafetyBaseTest} from "./SafetyBaseTest.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {Safe} from "@safe-global/safe-smart-account/Safe.sol";
import {Enum} from "@safe-global/safe-smart-account/libraries/Enum.sol";

/// @notice The default system with its production governance, deployed by the same `_deployGovernance` as the
///         deploy script: a real Safe (singleton + proxy factory), 2 of 3 owners, as guardian and proposer, and an
///         OpenZeppelin TimelockController (delay = exit window) owning the market and the oracle guard.
/// @dev Safe transactions are signed for real (vm.sign with each owner's key over the Safe's EIP-712 hash),
///      and the signatures are concatenated in ascending owner order, as Safe.checkSignatures requires.
abstract contract GovernedBaseTest is SafetyBaseTest {
    uint256 internal constant OWNERS = 3;

    Governance internal gov;
    Safe internal safe;
    TimelockController internal timelock;
    address[] internal safeOwners;
    uint256[] internal safeKeys;
    uint256 internal delay;
    address internal proposer; // the Safe unless _proposer() names someone else

    function setUp() public virtual override {
        super.setUp();
        for (uint256 i; i < OWNERS; ++i) {
            (address owner, uint256 key) = makeAddrAndKey(string.concat("safeOwner", vm.toString(i)));
            safeOwners.push(owner);
            safeKeys.push(key);
        }
        address p = _proposer();
        gov = _deployGovernance(sys, safeOwners, Defaults.SAFE_THRESHOLD, p);
        (safe, timelock) = (gov.guardian, gov.timelock);
        proposer = p == address(0) ? address(safe) : p;
        delay = timelock.getMinDelay();
    }

    /// @dev Who proposes to the timelock; address(0) makes it the Safe, as the deploy script does by default.
    function _proposer() internal virtual returns (address) {
        return address(0);
    }

    /* SAFE */

    /// @dev Signs and executes a call from the Safe with the first `threshold` owners' keys.
    function _safeExec(address to, bytes memory data) internal returns (bool) {
        return _safeSubmit(to, data, _sign(to, data));
    }

    /// @dev Executes a call from the Safe signed by exactly `keys` (sorted here by owner address), so that tests can
    ///      also submit too few signatures.
    function _safeExecSignedBy(address to, bytes memory data, uint256[] memory keys) internal returns (bool) {
        return _safeSubmit(to, data, _signatures(to, data, keys));
    }

    /// @dev Submits pre-computed signatures: one external call, so that a test can expect its revert.
    function _safeSubmit(address to, bytes memory data, bytes memory signatures) internal returns (bool) {
        return safe.execTransaction(
            to, 0, data, Enum.Operation.Call, 0, 0, 0, address(0), payable(address(0)), signatures
        );
    }

    /// @dev The threshold's signatures (the first owners' keys) over the Safe's next transaction.
    function _sign(address to, bytes memory data) internal view returns (bytes memory) {
        uint256[] memory signers = new uint256[](Defaults.SAFE_THRESHOLD);
        for (uint256 i; i < signers.length; ++i) {
            signers[i] = safeKeys[i];
        }
        return _signatures(to, data, signers);
    }

    /// @dev The packed ECDSA signatures (r, s, v) of `keys` over the Safe's hash of the next transaction, in
    ///      ascending order of the signer addresses.
    function _signatures(address to, bytes memory data, uint256[] memory keys)
        internal
        view
        returns (bytes memory)
    {
        bytes32 txHash = safe.getTransactionHash(
            to, 0, data, Enum.Operation.Call, 0, 0, 0, address(0), address(0), safe.nonce()
        );
        uint256[] memory sorted = _sortByAddress(keys);
        bytes memory sigs;
        for (uint256 i; i < sorted.length; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(sorted[i], txHash);
            sigs = abi.encodePacked(sigs, r, s, v);
        }
        return sigs;
    }

    function _sortByAddress(uint256[] memory keys) internal pure returns (uint256[] memory out) {
        out = new uint256[](keys.length);
        for (uint256 i; i < keys.length; ++i) {
            out[i] = keys[i];
        }
        for (uint256 i = 1; i < out.length; ++i) {
            for (uint256 j = i; j > 0 && vm.addr(out[j]) < vm.addr(out[j - 1]); --j) {
                (out[j], out[j - 1]) = (out[j - 1], out[j]);
            }
        }
    }

    /* TIMELOCK */

    /// @dev The proposer (through a Safe transaction when it is the Safe) schedules `target.call(data)` with the
    ///      minimum delay. Returns the operation id.
    function _schedule(address target, bytes memory data, bytes32 salt) internal returns (bytes32 id) {
        bytes memory call = abi.encodeCall(TimelockController.schedule, (target, 0, data, 0, salt, delay));
        if (proposer == address(safe)) {
            _safeExec(address(timelock), call);
        } else {
            vm.prank(proposer);
            (bool ok,) = address(timelock).call(call);
            assertTrue(ok, "schedule");
        }
        id = timelock.hashOperation(target, 0, data, 0, salt);
        assertTrue(timelock.isOperationPending(id), "scheduled");
    }

    /// @dev Executes a ready operation; the timelock lets anyone execute.
    function _execute(address target, bytes memory data, bytes32 salt) internal {
        vm.prank(stranger);
        timelock.execute(target, 0, data, 0, salt);
    }

    /// @dev Schedule, wait out the delay, execute: the only way to loosen or reconfigure a governed market.
    function _timelocked(address target, bytes memory data) internal {
        bytes32 salt = keccak256(abi.encode(target, data, block.timestamp));
        _schedule(target, data, salt);
        vm.warp(block.timestamp + delay);
        _execute(target, data, salt);
    }

    /// @dev The bitmap TimelockController puts in TimelockUnexpectedOperationState for an expected Ready state.
    function _readyBitmap() internal pure returns (bytes32) {
        return bytes32(1 << uint8(TimelockController.OperationState.Ready));
    }
}
