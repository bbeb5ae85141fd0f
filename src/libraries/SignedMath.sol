// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SignedMath
/// @notice Directed rounding for signed division. The market rounds every amount against the trader and in
///         favour of the pool, so the sum of per-account figures never exceeds the aggregate figure.
library SignedMath {
    /// @dev Rounds toward negative infinity. `d` must be positive.
    function floorDiv(int256 x, int256 d) internal pure returns (int256 q) {
        q = x / d;
        if (x % d != 0 && x < 0) q -= 1;
    }

    /// @dev Rounds toward positive infinity. `d` must be positive.
    function ceilDiv(int256 x, int256 d) internal pure returns (int256 q) {
        q = x / d;
        if (x % d != 0 && x > 0) q += 1;
    }

    /// @dev Total on the whole range: -type(int256).min does not fit in an int256, so negate one more than x.
    function abs(int256 x) internal pure returns (uint256) {
        return x >= 0 ? uint256(x) : uint256(-(x + 1)) + 1;
    }

    /// @dev The positive part of x.
    function max0(int256 x) internal pure returns (int256) {
        return x > 0 ? x : int256(0);
    }
}
