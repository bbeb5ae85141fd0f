// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Action, Cause, IMarket, Invariant, Mode, SafetyParams} from "../interfaces/IMarket.sol";
import {IOracleGuard, OracleClass} from "../interfaces/IOracleGuard.sol";
import {HaltFlags as H} from "./HaltFlags.sol";
import {MarketParams} from "./MarketParams.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";

/// @notice A market's safety state machine: its mode, why it is Halted, the breaker's reset, the guardian.
struct SafetyState {
    Mode mode;
    uint8 haltFlags; // HaltFlags bits
    Mode resumeMode; // where the breaker returns to
    uint8 validStreak; // consecutive Valid new rounds seen since the trip
    uint80 streakRound; // the last round counted (or seen bad)
    address guardian;
    uint256 haltedAt;
    uint256 breakerAt;
    SafetyParams params;
}

/// @title MarketSafety
/// @notice The safety layer of a Market: transitions between modes, the oracle breaker, the guardian, governance's
///         mode changes and the permissionless exit. External functions are delegatecalled from the market, on its
///         storage, so that they do not count toward its code size; `tighten` is internal and shared.
library MarketSafety {
    /// @notice How long after governance's own delay a halt it may lift stays closed to the permissionless exit: the
    ///         time to execute a reopening that became ready. Earliest exit = haltedAt + max(maxHaltDuration,
    ///         the owner timelock's delay + GOVERNANCE_GRACE).
    uint256 internal constant GOVERNANCE_GRACE = 1 days;
    /// @notice How long after the last good round a reading the guard does not trust may still shield an account from
    ///         liquidation (the kinder side of reading and last good price). A reading pinned at the aggregator's
    ///         clamp, or diverged, or stale, is one-sided evidence at best; past this, liquidations judge at the last
    ///         good price, so bad debt cannot grow behind an untrusted reading (a halt included) for longer.
    uint256 internal constant UNTRUSTED_SHIELD = 6 hours;

    /* TRANSITIONS */

    /// @notice The only way the market changes its own mode: never looser.
    function tighten(SafetyState storage self, Mode to, uint8 haltFlag, Cause cause) internal {
        self.haltFlags |= haltFlag;
        if (to > self.mode) setMode(self, to, cause);
    }

    function setMode(SafetyState storage self, Mode to, Cause cause) internal {
        Mode from = self.mode;
        if (from == to) return;
        self.mode = to;
        if (to == Mode.Halted) self.haltedAt = block.timestamp;
        emit IMarket.ModeChanged(from, to, cause);
    }

    /* THE BREAKER */

    /// @notice The guarded frame's answer to a failed self-call: the market's own invariant error halts the market and
    ///         its breaker error commits the trip (both committed, since the market's frame does not revert); any other
    ///         revert bubbles. The errors cannot be forged from outside: inside the self-call, tokens move through
    ///         SafeTransferLib (which reverts with its own error, never a callee's data), the balance read reverts with
    ///         MarketBalanceUnreadable on failure, and the oracle guard catches feed reverts. Starving the self-call of
    ///         gas yields an empty revert, which bubbles.
    function onSelfCallFailed(SafetyState storage self, bytes memory ret, bytes4 action, IOracleGuard oracle)
        external
    {
        if (ret.length == 100 && bytes4(ret) == IMarket.MarketInvariantBroken.selector) {
            (Invariant inv, int256 expected, int256 actual) =
                abi.decode(_slice4(ret), (Invariant, int256, int256));
            emit IMarket.InvariantViolated(inv, expected, actual, action);
            tighten(self, Mode.Halted, H.INVARIANT, Cause.InvariantViolated);
            return;
        }
        if (ret.length == 36 && bytes4(ret) == IMarket.MarketBreakerTripped.selector) {
            tripBreaker(self, abi.decode(_slice4(ret), (OracleClass)), oracle.lastRoundId());
            return;
        }
        assembly ("memory-safe") {
            revert(add(ret, 0x20), mload(ret))
        }
    }

    /// @dev The revert data past its selector, as a view over the same memory (the selector word is overwritten).
    function _slice4(bytes memory b) private pure returns (bytes memory out) {
        assembly ("memory-safe") {
            out := add(b, 4)
            mstore(out, sub(mload(b), 4))
        }
    }

    /// @notice Commits a breaker trip. `lastRoundId` is the guard's last accepted round: it is not new.
    function tripBreaker(SafetyState storage self, OracleClass class, uint80 lastRoundId) private {
        // Risk-adding actions are refused in Halted, so the breaker only ever trips from a looser mode.
        Mode m = self.mode;
        self.resumeMode = m;
        (self.validStreak, self.breakerAt, self.streakRound) = (0, block.timestamp, lastRoundId);
        emit IMarket.BreakerTripped(class, m);
        tighten(self, Mode.Halted, H.BREAKER, Cause.OracleBreaker);
    }

    /// @notice Counts Valid new rounds towards the breaker's reset; resets once there are enough and the cooldown
    ///         has passed, back to the mode it tripped from unless another cause of the halt remains.
    ///         Only a bad new round breaks the streak: an old or unreadable reading proves nothing, so nobody can keep the
    ///         breaker from resetting by calling at the wrong time.
    function advanceBreakerReset(SafetyState storage self, OracleClass class, uint80 round) external {
        if (class != OracleClass.Valid) {
            if (isBadRound(class) && round > self.streakRound) {
                (self.validStreak, self.streakRound) = (0, round);
            }
            return;
        }
        uint8 streak = self.validStreak;
        // The streak saturates: refreshes during the cooldown must never overflow it into a revert.
        if (round > self.streakRound && streak < type(uint8).max) {
            (self.streakRound, self.validStreak) = (round, ++streak);
        }
        SafetyParams storage p = self.params;
        if (streak < p.breakerValidReadings || block.timestamp < self.breakerAt + p.breakerCooldown) return;
        self.haltFlags &= ~H.BREAKER;
        self.validStreak = 0;
        // Only the breaker's own halt resets itself; any other cause keeps the market Halted.
        if (self.haltFlags == 0) setMode(self, self.resumeMode, Cause.BreakerReset);
    }

    /// @notice The classes that are evidence of a bad price (on a new round they trip the breaker and break its
    ///         streak), as opposed to a reading that is merely old, unreadable or voided by the sequencer.
    function isBadRound(OracleClass c) internal pure returns (bool) {
        return c == OracleClass.NonPositive || c == OracleClass.AtBounds || c == OracleClass.Diverged
            || c == OracleClass.TooVolatile;
    }

    /* GUARDIAN AND GOVERNANCE */

    /// @notice The guardian's escalation (the caller is checked here: a delegatecall keeps msg.sender).
    function escalate(SafetyState storage self, Mode to) external {
        if (msg.sender != self.guardian) revert IMarket.MarketOnlyGuardian();
        Mode m = self.mode;
        // The guardian may halt but not settle: Settlement ends the market and is the timelock's (or the exit's).
        // Escalating to Halted while already Halted pins the halt: the breaker's own reset no longer reopens it.
        bool pin = to == Mode.Halted && m == Mode.Halted && self.haltFlags & H.GUARDIAN == 0;
        if ((to <= m && !pin) || to > Mode.Halted) revert IMarket.MarketNotTighter(m, to);
        tighten(self, to, to == Mode.Halted ? H.GUARDIAN : 0, Cause.Guardian);
    }

    /// @notice Governance's mode change: looser or stricter, never into or out of Settlement; clears the causes.
    function setModeByOwner(SafetyState storage self, Mode to) external {
        if (to == Mode.Settlement || self.mode == Mode.Settlement) {
            revert IMarket.MarketModeNotSettable(self.mode, to);
        }
        (self.haltFlags, self.validStreak) = (0, 0);
        setMode(self, to, Cause.Governance);
    }

    /// @notice Checks and writes new safety parameters; the owner's delay must cover the new exit window. After the
    ///         first write (the constructor's: maxHaltDuration is never zero once set) each field moves by a bounded
    ///         step (`MarketParams.checkSafetySteps`); `collateralUnit` is one whole collateral token.
    function setParams(SafetyState storage self, SafetyParams memory p, address owner, uint256 collateralUnit)
        external
    {
        MarketParams.checkSafety(p);
        if (self.params.maxHaltDuration != 0) {
            MarketParams.checkSafetySteps(
                self.params, p, MarketParams.FLOOR_FIRST_STEP_TOKENS * collateralUnit
            );
        }
        requireExitWindow(owner, uint256(p.maxHaltDuration) + p.settlementWindow);
        self.params = p;
        emit IMarket.SafetyParamsUpdated(p);
    }

    /// @notice A timelock owner's delay must cover the exit window (halt, then settlement), so that users can always
    ///         leave before a change lands. An owner that is not a timelock (a test, a deployer mid-setup) is skipped.
    function requireExitWindow(address owner, uint256 exitWindow) public view {
        (bool isTimelock, uint256 delay) = ownerDelay(owner);
        if (isTimelock && delay < exitWindow) revert IMarket.MarketTimelockTooShort(delay, exitWindow);
    }

    /// @notice A new owner must be a timelock whose delay covers the exit window (maxHaltDuration + settlementWindow).
    function requireTimelock(SafetyState storage self, address owner) external view {
        uint256 exitWindow = uint256(self.params.maxHaltDuration) + self.params.settlementWindow;
        (bool isTimelock, uint256 delay) = ownerDelay(owner);
        if (!isTimelock) revert IMarket.MarketOwnerNotTimelock(owner);
        if (delay < exitWindow) revert IMarket.MarketTimelockTooShort(delay, exitWindow);
    }

    /// @notice The owner's timelock delay (false, 0 when the owner is not a timelock).
    function ownerDelay(address owner) internal view returns (bool isTimelock, uint256 delay) {
        (bool ok, bytes memory ret) = owner.staticcall(abi.encodeCall(TimelockController.getMinDelay, ()));
        if (!ok || ret.length < 32) return (false, 0);
        return (true, abi.decode(ret, (uint256)));
    }

    /* THE EXIT */

    /// @notice When anyone may settle a Halted market: after maxHaltDuration, and never before governance has had its
    ///         delay (plus a grace) to lift the halt, so that a halt governance may lift — the guardian's, an
    ///         invariant's, an insolvency's — is not turned into the end of the market by a stranger.
    function exitOpensAt(SafetyState storage self, address owner) public view returns (uint256) {
        (, uint256 delay) = ownerDelay(owner);
        uint256 maxHalt = self.params.maxHaltDuration;
        uint256 governance = delay + GOVERNANCE_GRACE;
        return self.haltedAt + (governance > maxHalt ? governance : maxHalt);
    }

    /// @notice The price an action (`action`, an `Action`) on `side` uses when the reading (`class`, an `OracleClass`
    ///         other than Valid; `price`, `lastGoodPrice`, `roundId`) is not Valid, and the breaker trip it commits
    ///         (an `OracleClass`; Valid: none). A liquidation uses the kinder side of (reading, last good price) for the account
    ///         (the last good price once UNTRUSTED_SHIELD has passed since its round), unless the sequencer is down or in
    ///         its grace period; a bad new round refuses a risk-adding action and trips;
    ///         anything else reverts MarketOracleNotValid. Plain types: a library's ABI names enums and structs by
    ///         their Solidity names, which the typed bindings cannot read.
    function priceWhenNotValid(
        uint8 class,
        uint256 price,
        uint256 lastGoodPrice,
        uint80 roundId,
        uint8 action,
        int256 side,
        address oracle
    ) external view returns (uint256, uint8) {
        OracleClass c = OracleClass(class);
        Action a = Action(action);
        if (a == Action.Liquidate && c != OracleClass.SequencerDown && c != OracleClass.GracePeriod) {
            (, uint256 lastGoodAt) = IOracleGuard(oracle).lastGoodPrice();
            if (price == 0 || block.timestamp > lastGoodAt + UNTRUSTED_SHIELD) {
                return (lastGoodPrice, uint8(OracleClass.Valid));
            }
            return
                (
                    side > 0 ? M.max(price, lastGoodPrice) : M.min(price, lastGoodPrice),
                    uint8(OracleClass.Valid)
                );
        }
        if (
            (a == Action.Increase || a == Action.Withdraw || a == Action.LpWithdraw) && isBadRound(c)
                && roundId > IOracleGuard(oracle).lastRoundId()
        ) return (lastGoodPrice, class);
        revert IMarket.MarketOracleNotValid(c);
    }

    /// @notice Who may settle now, and why: anyone once the exit is open (`exitOpensAt`), else only the owner (whose
    ///         delay must still cover the exit window). Reverts with MarketNotSettleable otherwise.
    function settleCause(SafetyState storage self, address owner) external view returns (Cause) {
        Mode m = self.mode;
        if (m == Mode.Settlement) revert IMarket.MarketNotSettleable();
        SafetyParams storage p = self.params;
        if (m == Mode.Halted && block.timestamp >= exitOpensAt(self, owner)) {
            return msg.sender == owner ? Cause.Governance : Cause.HaltedTooLong;
        }
        if (msg.sender != owner) revert IMarket.MarketNotSettleable();
        requireExitWindow(owner, uint256(p.maxHaltDuration) + p.settlementWindow);
        return Cause.Governance;
    }
}
