// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title HaltFlags
/// @notice Why a market is Halted, as the bits of `IMarket.haltFlags()`. The one home of these values: the tests
///         import them, and the harness's `harness/generated/constants.ts` is generated from this file.
/// @dev The breaker's halt ends by itself; the others only through the timelock.
library HaltFlags {
    uint8 internal constant BREAKER = 1;
    uint8 internal constant INVARIANT = 2;
    uint8 internal constant INSOLVENT = 4;
    uint8 internal constant GUARDIAN = 8;
}
