// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {OracleGuard} from "../../src/OracleGuard.sol";
import {OracleClass} from "../../src/interfaces/IOracleGuard.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {UnitTest} from "../utils/UnitTest.sol";

/// @notice Issue 8, "smaller" (review of 632d01d): a sequencer-uptime feed answering "up" (0) with `startedAt == 0`
///         — a feed that never reported a status change — read as up since long ago, so prices were trusted with no
///         grace period. Property: a sequencer status with no known start is not "up": the reading is SequencerDown.
contract SequencerThatNeverReportedIsNotUpTest is UnitTest {
    function test_sequencerUpWithNoStart_isSequencerDown() public {
        MockAggregator seq = new MockAggregator(0, 0, 0, 1);
        seq.setAnswerAt(0, block.timestamp - 7200); // up for two hours: past the grace period
        OracleGuard g = _deployGuard(feed, feed2, seq);
        assertEq(uint8(g.update().class), uint8(OracleClass.Valid));
        seq.setAnswerAt(0, 0); // "up", startedAt 0
        assertEq(uint8(g.peek().class), uint8(OracleClass.SequencerDown));
        assertEq(uint8(g.update().class), uint8(OracleClass.SequencerDown));
    }
}
