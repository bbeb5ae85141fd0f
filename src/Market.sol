// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    Action,
    Aggregates,
    Cause,
    IMarket,
    Invariant,
    MarginAccount,
    Mode,
    RiskParams,
    SafetyParams,
    SettlementSnapshot
} from "./interfaces/IMarket.sol";
import {IOracleGuard, OracleClass, PriceReading} from "./interfaces/IOracleGuard.sol";
import {SignedMath as S} from "./libraries/SignedMath.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @title Market
/// @notice One isolated perpetual market. See IMarket for the specification.
/// @dev Layout: immutables, storage, constructor, the guarded-execution frame, one section per feature
///      (margin, trading, liquidation, pool, insurance), governance, views, and the invariant check last.
///      Every external entry point is `outer` (reentrancy lock, self-call, trip on a broken invariant) around
///      an `execute*` function that only the market itself may call: it reads the credits, runs the effects and
///      ends with `_checkInvariants`. The guarded entry points are `virtual` only so that the gas benchmark's
///      unguarded build (test/utils/UnguardedMarket.sol) can run the same effects without the guard.
contract Market is IMarket, Ownable, ReentrancyGuardTransient {
    using SafeTransferLib for address;

    uint256 internal constant WAD = 1e18;
    // Why the market is Halted; the breaker resets itself, the others only through the timelock.
    uint8 internal constant HALT_BREAKER = 1;
    uint8 internal constant HALT_INVARIANT = 2;
    uint8 internal constant HALT_INSOLVENT = 4;
    uint8 internal constant HALT_GUARDIAN = 8;

    /* IMMUTABLES */

    /// @inheritdoc IMarket
    address public immutable collateral;
    /// @inheritdoc IMarket
    IOracleGuard public immutable oracle;
    /// @dev size (WAD) * price (WAD) / _valueDivisor = value in collateral units.
    int256 internal immutable _valueDivisor;

    /* STORAGE */

    /// @inheritdoc IMarket
    address public pool;
    /// @inheritdoc IMarket
    Mode public mode;
    RiskParams internal _risk;
    Aggregates internal _agg;
    mapping(address account => MarginAccount) internal _accounts;

    /// @inheritdoc IMarket
    address public guardian;
    SafetyParams internal _safety;
    /// @inheritdoc IMarket
    uint256 public haltedAt;
    /// @notice Bit set of the causes of the current halt (breaker 1, invariant 2, insolvency 4, guardian 8).
    uint8 public haltFlags;
    Mode internal _resumeMode; // where the breaker returns to
    uint8 internal _validStreak;
    uint80 internal _streakRound;
    uint256 internal _breakerAt;
    SettlementSnapshot internal _settlement;
    uint256 public settlementPaid;
    mapping(address account => bool) public claimed;

    constructor(address collateral_, IOracleGuard oracle_, RiskParams memory risk_, address owner_)
        Ownable(owner_)
    {
        uint8 decimals = IERC20Metadata(collateral_).decimals();
        if (decimals > 18) revert MarketBadParams();
        collateral = collateral_;
        oracle = oracle_;
        _valueDivisor = int256(10 ** (36 - uint256(decimals)));
        _risk = risk_;
        _setRiskParams(risk_);
        _setSafetyParams(
            SafetyParams({
                insuranceFloor: 0,
                maxHaltDuration: 3 days,
                settlementWindow: 1 days,
                breakerCooldown: 15 minutes,
                breakerValidReadings: 3,
                cautiousImMultiplier: 1.5e18,
                cautiousOiFactor: 0.5e18,
                warningBand: 0.25e18
            })
        );
        _agg.lastFundingTime = block.timestamp;
    }

    /* GUARDED EXECUTION */

    modifier onlySelf() {
        if (msg.sender != address(this)) revert MarketOnlySelf();
        _;
    }

    /// @dev Runs a self-call and returns whether it committed. A revert carrying the market's own invariant
    ///      error halts the market (committed, since this frame does not revert); any other revert bubbles.
    ///      The error cannot be forged from outside: inside the self-call, tokens move through SafeTransferLib
    ///      (which reverts with its own error, never a callee's data), the balance read reverts with
    ///      MarketBalanceUnreadable on failure, and the oracle guard catches feed reverts. Starving the
    ///      self-call of gas yields an empty revert, which bubbles.
    function _guard(bool success, bytes memory ret, bytes4 action) internal returns (bool) {
        if (success) return true;
        if (ret.length == 100 && bytes4(ret) == MarketInvariantBroken.selector) {
            (Invariant inv, int256 expected, int256 actual) =
                abi.decode(_slice4(ret), (Invariant, int256, int256));
            emit InvariantViolated(inv, expected, actual, action);
            _tighten(Mode.Halted, HALT_INVARIANT, Cause.InvariantViolated);
            return false;
        }
        if (ret.length == 36 && bytes4(ret) == MarketBreakerTripped.selector) {
            OracleClass class = abi.decode(_slice4(ret), (OracleClass));
            // Risk-adding actions are refused in Halted, so the breaker only ever trips from a looser mode.
            _resumeMode = mode;
            (_validStreak, _breakerAt) = (0, block.timestamp);
            _streakRound = oracle.lastRoundId(); // fix: a round accepted before the trip is not new
            emit BreakerTripped(class, mode);
            _tighten(Mode.Halted, HALT_BREAKER, Cause.OracleBreaker);
            return false;
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

    /// @dev The self-call of every guarded entry point.
    function _run(bytes memory call) internal returns (bool ok, bytes memory ret) {
        (bool success, bytes memory data) = address(this).call(call);
        return (_guard(success, data, bytes4(call)), data);
    }

    /* MARGIN */

    /// @inheritdoc IMarket
    function deposit(uint256 amount) external virtual nonReentrant {
        _run(abi.encodeCall(this.executeDeposit, (msg.sender, amount)));
    }

    function executeDeposit(address account, uint256 amount) external onlySelf {
        int256 credits = _credits();
        int256 margin = _deposit(account, amount);
        _checkInvariants(credits, int256(amount), false, margin);
    }

    function _deposit(address account, uint256 amount) internal returns (int256) {
        if (amount == 0) revert MarketZeroAmount();
        _requireAllowed(Action.Deposit);
        uint256 price = _syncFunding();
        MarginAccount storage a = _accounts[account];
        _settleFunding(account, a, false);
        collateral.safeTransferFrom(account, address(this), amount);
        _creditMargin(a, int256(amount));
        // Funding owed beyond the margin is not papered over by a small top-up: cover it, close, or be liquidated.
        if (a.margin < 0) revert MarketAccountInsolvent(a.margin);
        emit Deposited(account, amount);
        // This call may have accepted a new price round: the mode must follow the pool's health at it.
        _selfCorrect(price);
        return a.margin;
    }

    /// @inheritdoc IMarket
    function withdraw(uint256 amount) external virtual nonReentrant {
        _run(abi.encodeCall(this.executeWithdraw, (msg.sender, amount)));
    }

    function executeWithdraw(address account, uint256 amount) external onlySelf {
        int256 credits = _credits();
        int256 margin = _withdraw(account, amount);
        _checkInvariants(credits, -int256(amount), false, margin);
    }

    function _withdraw(address account, uint256 amount) internal returns (int256) {
        if (amount == 0) revert MarketZeroAmount();
        MarginAccount storage a = _accounts[account];
        // An account with no exposure can always take its margin out, even from a halted market.
        if (a.size != 0 || mode != Mode.Halted) _requireAllowed(Action.Withdraw);
        uint256 price = a.size == 0 ? _syncFunding() : _price(Action.Withdraw, 0);
        _settleFunding(account, a, false);
        if (int256(amount) > a.margin) {
            revert MarketInsufficientFreeMargin(amount, a.margin > 0 ? uint256(a.margin) : 0);
        }
        _creditMargin(a, -int256(amount));
        if (a.size != 0) {
            _requireInitialMargin(a, price);
            _warnIfNear(account, a, price);
        }
        collateral.safeTransfer(account, amount);
        emit Withdrawn(account, amount);
        _selfCorrect(price);
        return a.margin;
    }

    /* TRADING */

    /// @inheritdoc IMarket
    function modifyPosition(int256 sizeDelta, uint256 priceLimit) external virtual nonReentrant {
        _run(abi.encodeCall(this.executeModify, (msg.sender, sizeDelta, priceLimit)));
    }

    /// @inheritdoc IMarket
    function closePosition(uint256 priceLimit) external virtual nonReentrant {
        _run(abi.encodeCall(this.executeModify, (msg.sender, -_accounts[msg.sender].size, priceLimit)));
    }

    function executeModify(address account, int256 sizeDelta, uint256 priceLimit) external onlySelf {
        int256 credits = _credits();
        int256 margin = _modify(account, sizeDelta, priceLimit);
        _checkInvariants(credits, 0, true, margin); // a trade moves value inside the market, never tokens
    }

    function _modify(address account, int256 sizeDelta, uint256 priceLimit) internal returns (int256) {
        if (sizeDelta == 0) revert MarketZeroSize();
        // Sizes no cap could admit are refused before any arithmetic could overflow on them.
        if (S.abs(sizeDelta) > 2 * uint256(_risk.maxOpenInterest)) {
            revert MarketOpenInterestCap(S.abs(sizeDelta), _risk.maxOpenInterest);
        }
        MarginAccount storage a = _accounts[account];
        int256 size = a.size;
        // Increasing: opening, adding on the same side, or flipping through zero.
        bool increasing = size == 0 || (size > 0) == (sizeDelta > 0) || S.abs(sizeDelta) > S.abs(size);
        _requireAllowed(increasing ? Action.Increase : Action.Reduce);
        uint256 price = _price(increasing ? Action.Increase : Action.Reduce, 0);
        if (priceLimit != 0 && (sizeDelta > 0 ? price > priceLimit : price < priceLimit)) {
            revert MarketPriceLimit(price, priceLimit);
        }
        _settleFunding(account, a, true);

        int256 realised = _trade(a, sizeDelta, price);
        uint256 fee = _chargeFee(a, S.abs(sizeDelta), price);

        if (increasing) {
            // Cautious lowers the open-interest cap.
            uint256 cap = mode == Mode.Cautious
                ? M.mulWad(_risk.maxOpenInterest, _safety.cautiousOiFactor)
                : uint256(_risk.maxOpenInterest);
            uint256 oi = sizeDelta > 0 ? _agg.longOpenInterest : _agg.shortOpenInterest;
            if (oi > cap) revert MarketOpenInterestCap(oi, cap);
            _requireBacked(price, false);
            _requireInitialMargin(a, price);
        }
        // No trade may leave the margin negative (a reduce realising more loss than the margin holds, funding
        // owed beyond it): such an account is for the liquidators, who recognise the bad debt.
        if (a.margin < 0) revert MarketAccountInsolvent(a.margin);
        emit PositionModified(account, sizeDelta, price, realised, fee, a.size);
        if (a.size != 0) _warnIfNear(account, a, price);
        _selfCorrect(price);
        return a.margin;
    }

    /* LIQUIDATION */

    /// @inheritdoc IMarket
    function liquidate(address account) external virtual nonReentrant returns (uint256 reward) {
        (bool ok, bytes memory ret) = _run(abi.encodeCall(this.executeLiquidate, (account, msg.sender)));
        if (ok) reward = abi.decode(ret, (uint256));
    }

    /// @dev Loss waterfall: the account's margin, then the insurance sub-fund, then this market's LP pool.
    function executeLiquidate(address account, address liquidator)
        external
        onlySelf
        returns (uint256 reward)
    {
        int256 credits = _credits();
        int256 margin;
        (reward, margin) = _liquidate(account, liquidator);
        _checkInvariants(credits, -int256(reward), true, margin); // only the keeper's reward leaves
    }

    function _liquidate(address account, address liquidator) internal returns (uint256 reward, int256) {
        _requireAllowed(Action.Liquidate);
        MarginAccount storage a = _accounts[account];
        int256 size = a.size;
        if (size == 0) revert MarketNoPosition();
        uint256 price = _price(Action.Liquidate, size);
        int256 owed = S.ceilDiv(size * (_agg.fundingIndex - a.fundingIndex), _valueDivisor);
        uint256 notional = _notional(size, price);
        {
            (, uint256 mm) = oracle.marginRatios();
            int256 equity = _equity(a, price) - owed;
            uint256 maintenance = M.mulWadUp(notional, mm);
            if (equity >= int256(maintenance)) revert MarketNotLiquidatable(equity, maintenance);
        }
        _trade(a, -size, price);
        _settleFundingAfterClose(account, a, owed);
        uint256 toInsurance;
        (reward, toInsurance) = _absorb(account, a, notional);
        if (reward != 0) collateral.safeTransfer(liquidator, reward);
        emit Liquidated(account, liquidator, size, price, reward, toInsurance);
        _selfCorrect(price);
        return (reward, a.margin);
    }

    /// @dev Funding settles after the close, so the loss the close realises can pay a receivable. The close already
    ///      took size * index_i out of sizeTimesIndex; the pending funding leaves the aggregate with it.
    function _settleFundingAfterClose(address account, MarginAccount storage a, int256 owed) internal {
        if (owed != 0) {
            _creditMargin(a, -owed);
            _agg.poolCash += owed;
            emit FundingSettled(account, owed);
        }
        a.fundingIndex = _agg.fundingIndex;
        if (_agg.poolCash < 0) revert MarketPoolCannotPay(uint256(-_agg.poolCash), 0);
    }

    /// @dev The loss waterfall after a close: a positive margin pays the keeper and the penalty to insurance;
    ///      a negative one is bad debt, covered by the insurance sub-fund and then socialised to this market's LPs.
    function _absorb(address account, MarginAccount storage a, uint256 notional)
        internal
        returns (uint256 reward, uint256 toInsurance)
    {
        int256 margin = a.margin;
        if (margin > 0) {
            uint256 penalty = M.mulWadUp(notional, _risk.liquidationPenalty);
            uint256 keeperShare = M.mulWad(penalty, _risk.keeperRewardShare);
            reward = M.min(keeperShare, uint256(margin));
            toInsurance = M.min(penalty - keeperShare, uint256(margin) - reward);
            _creditMargin(a, -int256(reward + toInsurance));
            _agg.insurance += toInsurance;
        } else if (margin < 0) {
            // Bad debt is recognised here, in the same call: the account ends at zero margin.
            uint256 deficit = uint256(-margin);
            uint256 covered = M.min(deficit, _agg.insurance);
            _agg.insurance -= covered;
            _agg.poolCash -= int256(deficit - covered);
            _creditMargin(a, int256(deficit));
            emit BadDebt(account, deficit, covered, deficit - covered);
            if (covered != 0 && _agg.insurance < _safety.insuranceFloor) {
                _tighten(Mode.Cautious, 0, Cause.InsuranceBelowFloor);
            }
            if (deficit > covered) _tighten(Mode.ReduceOnly, 0, Cause.LossSocialised);
        }
    }

    /* POOL */

    /// @notice Sets the market's LiquidityPool, once. The pool is deployed after the market.
    function setPool(address pool_) external onlyOwner {
        if (pool != address(0)) revert MarketPoolAlreadySet();
        if (pool_ == address(0)) revert MarketBadParams();
        pool = pool_;
        emit PoolSet(pool_);
    }

    modifier onlyPool() {
        if (msg.sender != pool || pool == address(0)) revert MarketOnlyPool();
        _;
    }

    /// @inheritdoc IMarket
    function onPoolDeposit(uint256 assets) external virtual onlyPool nonReentrant returns (bool accepted) {
        (accepted,) = _run(abi.encodeCall(this.executePoolDeposit, (assets)));
    }

    function executePoolDeposit(uint256 assets) external onlySelf {
        int256 credits = _credits();
        _poolDeposit(assets);
        _checkInvariants(credits, int256(assets), false, 0);
    }

    function _poolDeposit(uint256 assets) internal {
        if (assets == 0) revert MarketZeroAmount();
        _requireAllowed(Action.LpDeposit);
        uint256 price = _price(Action.LpDeposit, 0);
        collateral.safeTransferFrom(pool, address(this), assets);
        _agg.poolCash += int256(assets);
        emit PoolDeposited(assets);
        _selfCorrect(price);
    }

    /// @inheritdoc IMarket
    function onPoolWithdraw(address receiver, uint256 assets)
        external
        virtual
        onlyPool
        nonReentrant
        returns (bool accepted)
    {
        (accepted,) = _run(abi.encodeCall(this.executePoolWithdraw, (receiver, assets)));
    }

    function executePoolWithdraw(address receiver, uint256 assets) external onlySelf {
        int256 credits = _credits();
        _poolWithdraw(receiver, assets);
        _checkInvariants(credits, -int256(assets), false, 0);
    }

    function _poolWithdraw(address receiver, uint256 assets) internal {
        if (assets == 0) revert MarketZeroAmount();
        _requireAllowed(Action.LpWithdraw);
        uint256 price = _price(Action.LpWithdraw, 0);
        if (int256(assets) > _agg.poolCash) revert MarketPoolCannotPay(assets, _agg.poolCash);
        _agg.poolCash -= int256(assets);
        _requireBacked(price, true);
        collateral.safeTransfer(receiver, assets);
        emit PoolWithdrawn(receiver, assets);
        _selfCorrect(price);
    }

    /// @inheritdoc IMarket
    /// @dev Also the breaker's reset path (N consecutive Valid new rounds plus a cooldown) and the place where a
    ///      price move alone tightens the mode (pool below backing, pool unable to pay).
    function refresh() external nonReentrant returns (OracleClass) {
        if (mode == Mode.Settlement) return OracleClass.Stale; // funding and prices are frozen at the snapshot
        PriceReading memory r = oracle.update();
        _accrueFunding(r.lastGoodPrice);
        if (haltFlags & HALT_BREAKER != 0) _advanceBreakerReset(r);
        _selfCorrect(r.lastGoodPrice);
        return r.class;
    }

    function _advanceBreakerReset(PriceReading memory r) internal {
        if (r.class != OracleClass.Valid) {
            _validStreak = 0;
            return;
        }
        uint80 round = oracle.lastRoundId();
        // The streak saturates: refreshes during the cooldown must never overflow it into a revert.
        if (round > _streakRound && _validStreak < type(uint8).max) {
            (_streakRound, _validStreak) = (round, _validStreak + 1);
        }
        if (
            _validStreak < _safety.breakerValidReadings
                || block.timestamp < _breakerAt + _safety.breakerCooldown
        ) {
            return;
        }
        haltFlags &= ~HALT_BREAKER;
        _validStreak = 0;
        // Only the breaker's own halt resets itself; any other cause keeps the market Halted.
        if (haltFlags == 0) _setMode(_resumeMode, Cause.BreakerReset);
    }

    /* INSURANCE */

    /// @inheritdoc IMarket
    function fundInsurance(uint256 amount) external virtual nonReentrant {
        _run(abi.encodeCall(this.executeFundInsurance, (msg.sender, amount)));
    }

    function executeFundInsurance(address from, uint256 amount) external onlySelf {
        int256 credits = _credits();
        _fundInsurance(from, amount);
        _checkInvariants(credits, int256(amount), false, 0);
    }

    function _fundInsurance(address from, uint256 amount) internal {
        if (amount == 0) revert MarketZeroAmount();
        // After the snapshot nothing can reach the insurance sub-fund: the tokens would be stranded.
        if (mode == Mode.Settlement) revert MarketNotAllowed(Action.Deposit, mode);
        collateral.safeTransferFrom(from, address(this), amount);
        _agg.insurance += amount;
        emit InsuranceFunded(from, amount);
    }

    /* GOVERNANCE */

    /// @notice Replaces the risk parameters; only the owner (the timelock in a deployed system).
    function setRiskParams(RiskParams calldata risk_) external onlyOwner {
        // Funding up to now accrues at the old rate: a new rate never reaches back in time.
        (uint256 price,) = oracle.lastGoodPrice();
        _accrueFunding(price);
        _setRiskParams(risk_);
    }

    function _setRiskParams(RiskParams memory r) internal {
        RiskParams memory o = _risk;
        // Each change moves a parameter by at most a factor of two, so no single proposal can swing the market.
        if (
            !_step(o.tradingFee, r.tradingFee) || !_step(o.insuranceFeeShare, r.insuranceFeeShare)
                || !_step(o.liquidationPenalty, r.liquidationPenalty)
                || !_step(o.keeperRewardShare, r.keeperRewardShare)
                || !_step(o.maxFundingRate, r.maxFundingRate) || !_step(o.minBacking, r.minBacking)
                || !_step(o.skewScale, r.skewScale) || !_step(o.maxOpenInterest, r.maxOpenInterest)
        ) revert MarketStepTooLarge();
        if (
            r.tradingFee > 0.05e18 || r.insuranceFeeShare > WAD || r.liquidationPenalty > 0.2e18
                || r.keeperRewardShare > WAD || r.maxFundingRate > 1e14 || r.minBacking > 10 * WAD
                || r.skewScale == 0 || r.maxOpenInterest == 0
        ) revert MarketBadParams();
        _risk = r;
        emit RiskParamsUpdated(r);
    }

    function _setMode(Mode to, Cause cause) internal {
        Mode from = mode;
        if (from == to) return;
        mode = to;
        if (to == Mode.Halted) haltedAt = block.timestamp;
        emit ModeChanged(from, to, cause);
    }

    /// @dev The only way the market changes its own mode: never looser.
    function _tighten(Mode to, uint8 haltFlag, Cause cause) internal {
        haltFlags |= haltFlag;
        if (to > mode) _setMode(to, cause);
    }

    /// @inheritdoc IMarket
    function escalate(Mode to) external {
        if (msg.sender != guardian) revert MarketOnlyGuardian();
        // The guardian may halt but not settle: Settlement ends the market and is the timelock's (or the exit's).
        // Escalating to Halted while already Halted pins the halt: the breaker's own reset no longer reopens it.
        bool pin = to == Mode.Halted && mode == Mode.Halted && haltFlags & HALT_GUARDIAN == 0;
        if ((to <= mode && !pin) || to > Mode.Halted) revert MarketNotTighter(mode, to);
        _tighten(to, to == Mode.Halted ? HALT_GUARDIAN : 0, Cause.Guardian);
    }

    /// @inheritdoc IMarket
    function setMode(Mode to) external onlyOwner {
        if (to == Mode.Settlement || mode == Mode.Settlement) revert MarketNotAllowed(Action.Deposit, mode);
        (haltFlags, _validStreak) = (0, 0);
        _setMode(to, Cause.Governance);
    }

    /// @notice Sets the guardian (a Safe multisig in a deployed system); only the timelock.
    function setGuardian(address guardian_) external onlyOwner {
        guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /// @notice Replaces the safety parameters; only the timelock.
    function setSafetyParams(SafetyParams calldata safety_) external onlyOwner {
        _setSafetyParams(safety_);
    }

    function _setSafetyParams(SafetyParams memory p) internal {
        if (
            p.maxHaltDuration < 1 hours || p.maxHaltDuration > 30 days || p.settlementWindow < 1 hours
                || p.settlementWindow > 30 days || p.breakerValidReadings == 0 || p.cautiousImMultiplier < WAD
                || p.cautiousImMultiplier > 5 * WAD || p.cautiousOiFactor > WAD || p.warningBand > WAD
        ) revert MarketBadParams();
        _requireExitWindow(owner(), p.maxHaltDuration + p.settlementWindow);
        _safety = p;
        emit SafetyParamsUpdated(p);
    }

    /// @dev A timelock owner's delay must cover the exit window (halt, then settlement), so that users can always
    ///      leave before a change lands. An owner that is not a timelock (a test, a deployer mid-setup) is skipped.
    function _requireExitWindow(address owner_, uint256 exitWindow) internal view {
        (bool ok, bytes memory ret) = owner_.staticcall(abi.encodeCall(TimelockController.getMinDelay, ()));
        if (!ok || ret.length < 32) return;
        uint256 delay = abi.decode(ret, (uint256));
        if (delay < exitWindow) revert MarketTimelockTooShort(delay, exitWindow);
    }

    /// @dev Every owner call re-checks the exit window: a timelock that has since shortened its own delay cannot act
    ///      on the market until it restores a delay that lets users leave first.
    function _checkOwner() internal view override {
        super._checkOwner();
        _requireExitWindow(owner(), _safety.maxHaltDuration + _safety.settlementWindow);
    }

    /// @dev Handing the market to a timelock checks the exit window too.
    function _transferOwnership(address newOwner) internal override {
        if (newOwner != address(0)) {
            _requireExitWindow(newOwner, _safety.maxHaltDuration + _safety.settlementWindow);
        }
        super._transferOwnership(newOwner);
    }

    /* SETTLEMENT */

    /// @inheritdoc IMarket
    function settle() external nonReentrant {
        Mode m = mode;
        if (m == Mode.Settlement) revert MarketNotSettleable();
        bool exit = m == Mode.Halted && block.timestamp >= haltedAt + _safety.maxHaltDuration;
        if (!exit) {
            // Governance may settle at any time, as long as its own delay still covers the exit window.
            if (msg.sender != owner()) revert MarketNotSettleable();
            _requireExitWindow(msg.sender, _safety.maxHaltDuration + _safety.settlementWindow);
        }
        uint256 price = _syncFunding();
        SettlementSnapshot storage s = _settlement;
        int256 equity = _poolEquity(price, _agg.fundingIndex);
        uint256 assets = _agg.totalMargin + _agg.insurance + (_agg.poolCash > 0 ? uint256(_agg.poolCash) : 0);
        (s.price, s.fundingIndex, s.longOpenInterest, s.shortOpenInterest) =
        (price, _agg.fundingIndex, _agg.longOpenInterest, _agg.shortOpenInterest);
        (s.insurance, s.poolEquity, s.assets, s.idleMargin) =
        (_agg.insurance, equity, assets, _agg.idleMargin);
        // assets = (traders' equity + idle margin) + pool equity + insurance; traders' figure is the remainder,
        // which rounds up against the per-account sum, so the ratio below is conservative.
        s.traderEquity = int256(assets) - int256(_agg.idleMargin) - equity - int256(_agg.insurance);
        s.poolShareSupply = IERC20(pool).totalSupply();
        s.settledAt = block.timestamp;
        _setMode(Mode.Settlement, msg.sender == owner() ? Cause.Governance : Cause.HaltedTooLong);
        emit Settled(price, assets, equity, s.traderEquity);
    }

    /// @inheritdoc IMarket
    function realise(address account) external nonReentrant {
        SettlementSnapshot storage s = _settlement;
        if (mode != Mode.Settlement) revert MarketNotAllowed(Action.Reduce, mode);
        if (block.timestamp >= s.settledAt + _safety.settlementWindow) revert MarketNotSettleable();
        MarginAccount storage a = _accounts[account];
        if (a.size == 0 || claimed[account]) revert MarketNoPosition();
        int256 equity = _settledEquity(a);
        if (equity >= 0) revert MarketNotLiquidatable(equity, 0);
        s.deficit += uint256(-equity);
        claimed[account] = true;
        emit AccountRealised(account, equity);
    }

    /// @inheritdoc IMarket
    function claim() external nonReentrant returns (uint256 amount) {
        if (mode != Mode.Settlement) revert MarketNotAllowed(Action.Withdraw, mode);
        if (claimed[msg.sender]) revert MarketAlreadyClaimed();
        MarginAccount storage a = _accounts[msg.sender];
        if (a.size == 0) {
            // Margin without exposure is paid in full at once: it never shares a loss.
            amount = a.margin > 0 ? uint256(a.margin) : 0;
            _creditMargin(a, -a.margin);
        } else {
            SettlementSnapshot storage s = _finalised();
            int256 equity = _settledEquity(a);
            amount = equity > 0 ? M.mulWad(uint256(equity), s.traderRatio) : 0;
        }
        claimed[msg.sender] = true;
        _paySettlement(msg.sender, amount);
        emit Claimed(msg.sender, amount);
    }

    /// @inheritdoc IMarket
    function onPoolClaim(address receiver, uint256 shares)
        external
        onlyPool
        nonReentrant
        returns (uint256 assets)
    {
        if (mode != Mode.Settlement) revert MarketNotAllowed(Action.LpWithdraw, mode);
        SettlementSnapshot storage s = _finalised();
        assets = M.mulDiv(s.lpAssets, shares, s.poolShareSupply);
        _paySettlement(receiver, assets);
        emit PoolClaimed(receiver, shares, assets);
    }

    /// @dev Fixes the claim ratio once, after the realisation window: positive trader equity is senior to LPs;
    ///      if the market cannot pay it in full, traders share what there is pro rata and LPs get nothing.
    function _finalised() internal returns (SettlementSnapshot storage s) {
        s = _settlement;
        if (s.finalised) return s;
        uint256 opensAt = s.settledAt + _safety.settlementWindow;
        if (block.timestamp < opensAt) revert MarketSettlementPending(opensAt);
        uint256 available = s.assets - s.idleMargin;
        int256 owed = s.traderEquity + int256(s.deficit);
        uint256 needed = owed > 0 ? uint256(owed) : 0;
        if (available >= needed) (s.traderRatio, s.lpAssets) = (WAD, available - needed);
        else (s.traderRatio, s.lpAssets) = (M.divWad(available, needed), 0);
        s.finalised = true;
        emit SettlementFinalised(s.deficit, s.traderRatio, s.lpAssets);
    }

    function _settledEquity(MarginAccount storage a) internal view returns (int256) {
        int256 owed = S.ceilDiv(a.size * (_settlement.fundingIndex - a.fundingIndex), _valueDivisor);
        return _equity(a, _settlement.price) - owed;
    }

    /// @dev Settlement's invariant: what was paid never exceeds what the market held at the snapshot.
    function _paySettlement(address to, uint256 amount) internal {
        uint256 paid = settlementPaid + amount;
        // fix: unclaimed idle margin stays reserved; an unrealised deficit cannot push other claims into it
        uint256 cap = _settlement.assets - _agg.idleMargin;
        if (paid > cap) revert MarketSettlementExhausted(paid, cap);
        settlementPaid = paid;
        if (amount != 0) collateral.safeTransfer(to, amount);
    }

    function _step(uint256 from, uint256 to) internal pure returns (bool) {
        return from == 0 || (to <= 2 * from && 2 * to >= from);
    }

    /* VIEWS */

    /// @inheritdoc IMarket
    function safetyParams() external view returns (SafetyParams memory) {
        return _safety;
    }

    /// @inheritdoc IMarket
    function settlement() external view returns (SettlementSnapshot memory) {
        return _settlement;
    }

    /// @inheritdoc IMarket
    function riskParams() external view returns (RiskParams memory) {
        return _risk;
    }

    /// @inheritdoc IMarket
    function accountOf(address account) external view returns (MarginAccount memory) {
        return _accounts[account];
    }

    /// @inheritdoc IMarket
    function aggregates() external view returns (Aggregates memory) {
        return _agg;
    }

    /// @inheritdoc IMarket
    function poolEquity() public view returns (int256) {
        (uint256 price,) = oracle.lastGoodPrice();
        return _poolEquity(price, currentFundingIndex());
    }

    /// @inheritdoc IMarket
    function accountHealth(address account)
        external
        view
        returns (int256 equity, uint256 initialRequired, uint256 maintenanceRequired, uint256 notional)
    {
        (uint256 price,) = oracle.lastGoodPrice();
        MarginAccount memory a = _accounts[account];
        int256 owed = S.ceilDiv(a.size * (currentFundingIndex() - a.fundingIndex), _valueDivisor);
        equity = _equity(a, price) - owed;
        notional = _notional(a.size, price);
        (uint256 im, uint256 mm) = oracle.marginRatios();
        (initialRequired, maintenanceRequired) = (M.mulWadUp(notional, im), M.mulWadUp(notional, mm));
    }

    /// @inheritdoc IMarket
    function allows(Action action) public view returns (bool) {
        Mode m = mode;
        return m <= Mode.Cautious
            || (m == Mode.ReduceOnly && action != Action.Increase && action != Action.LpDeposit)
            || (m == Mode.Halted && action == Action.Deposit);
    }

    /// @inheritdoc IMarket
    function poolWithdrawable() external view returns (uint256) {
        if (!allows(Action.LpWithdraw)) return 0;
        (uint256 price,) = oracle.lastGoodPrice();
        int256 required = int256(M.mulWadUp(_notional(_agg.netSize, price), _risk.minBacking));
        int256 spare = _poolEquity(price, currentFundingIndex()) - required;
        int256 cash = _agg.poolCash - required;
        int256 out = spare < cash ? spare : cash;
        return out > 0 ? uint256(out) : 0;
    }

    /// @inheritdoc IMarket
    function poolQuote() external view returns (int256 equity, bool depositOpen, uint256 withdrawable) {
        Mode m = mode;
        if (m == Mode.Settlement) return (poolEquity(), false, 0); // refresh changes nothing in Settlement
        PriceReading memory r = oracle.peek();
        uint256 price = r.lastGoodPrice;
        equity = _poolEquity(price, _fundingIndexAt(price));
        int256 required = int256(M.mulWadUp(_notional(_agg.netSize, price), _risk.minBacking));
        // refresh's _selfCorrect at that price.
        if (equity + int256(_agg.insurance) < 0) m = Mode.Halted;
        else if (equity < required && m < Mode.ReduceOnly) m = Mode.ReduceOnly;
        if (r.class != OracleClass.Valid || m > Mode.ReduceOnly) return (equity, false, 0);
        depositOpen = m <= Mode.Cautious;
        int256 spare = equity - required;
        int256 cash = _agg.poolCash - required;
        int256 out = spare < cash ? spare : cash;
        withdrawable = out > 0 ? uint256(out) : 0;
    }

    /// @inheritdoc IMarket
    function fundingRate() public view returns (int256) {
        RiskParams memory r = _risk;
        int256 rate = _agg.netSize * int256(uint256(r.maxFundingRate)) / int256(uint256(r.skewScale));
        int256 cap = int256(uint256(r.maxFundingRate));
        return rate > cap ? cap : (rate < -cap ? -cap : rate);
    }

    /// @inheritdoc IMarket
    function currentFundingIndex() public view returns (int256) {
        (uint256 price,) = oracle.lastGoodPrice();
        return _fundingIndexAt(price);
    }

    /* INTERNAL: PRICES AND FUNDING */

    /// @dev Reads the oracle for an action that trusts the price (the per-action matrix). A Valid reading is
    ///      used as is. A non-Valid one trips the breaker when the action adds risk (increase, withdraw with a
    ///      position, LP withdraw); a liquidation may proceed on a Stale, AtBounds or Diverged reading at the
    ///      side of (reading, last good) that is kinder to the account; anything else is refused.
    function _price(Action action, int256 side) internal returns (uint256) {
        PriceReading memory r = oracle.update();
        _accrueFunding(r.lastGoodPrice);
        OracleClass c = r.class;
        if (c == OracleClass.Valid) return r.price;
        if (action == Action.Increase || action == Action.Withdraw || action == Action.LpWithdraw) {
            revert MarketBreakerTripped(c);
        }
        if (
            action == Action.Liquidate && r.price != 0
                && (c == OracleClass.Stale || c == OracleClass.AtBounds || c == OracleClass.Diverged)
        ) return side > 0 ? M.max(r.price, r.lastGoodPrice) : M.min(r.price, r.lastGoodPrice);
        revert MarketOracleNotValid(c);
    }

    /// @dev For actions that do not trust the price: funding still accrues at the last good price.
    function _syncFunding() internal returns (uint256 price) {
        price = oracle.update().lastGoodPrice;
        _accrueFunding(price);
    }

    function _fundingIndexAt(uint256 price) internal view returns (int256) {
        uint256 dt = block.timestamp - _agg.lastFundingTime;
        return _agg.fundingIndex + fundingRate() * int256(price) / int256(WAD) * int256(dt);
    }

    function _accrueFunding(uint256 price) internal {
        if (block.timestamp == _agg.lastFundingTime) return;
        _agg.fundingIndex = _fundingIndexAt(price);
        _agg.lastFundingTime = block.timestamp;
    }

    /// @dev Moves the funding an account owes since its last settlement between its margin and the pool cash.
    ///      A receivable the pool cannot pay in cash yet is deferred when the size does not change (the account
    ///      keeps its index, so nothing is lost and the aggregates stay exact); a trade must settle first.
    function _settleFunding(address account, MarginAccount storage a, bool mustSettle) internal {
        int256 index = _agg.fundingIndex;
        int256 size = a.size;
        if (size != 0) {
            int256 owed = S.ceilDiv(size * (index - a.fundingIndex), _valueDivisor);
            if (owed < 0 && -owed > _agg.poolCash) {
                if (mustSettle) revert MarketPoolCannotPay(uint256(-owed), _agg.poolCash);
                return;
            }
            if (owed != 0) {
                _creditMargin(a, -owed);
                _agg.poolCash += owed;
                emit FundingSettled(account, owed);
            }
            _agg.sizeTimesIndex += size * (index - a.fundingIndex);
        }
        a.fundingIndex = index;
    }

    /* INTERNAL: POSITIONS */

    /// @dev Applies a size change at `price`: realises PnL on the closed part (between margin and pool cash),
    ///      books cost basis on the opened part, and keeps every aggregate in step. Funding must be settled.
    function _trade(MarginAccount storage a, int256 delta, uint256 price) internal returns (int256 realised) {
        int256 size = a.size;
        int256 openNotional = a.openNotional;
        int256 newSize = size + delta;
        if (size == 0 && a.margin > 0) _agg.idleMargin -= uint256(a.margin);
        int256 closing; // the part of delta that reduces |size|, same sign as delta
        if (size != 0 && (size > 0) != (delta > 0)) closing = S.abs(delta) >= S.abs(size) ? -size : delta;
        int256 opening = delta - closing;

        int256 basisRemoved;
        if (closing != 0) {
            // The basis leaves in proportion to the size closed; proceeds round against the trader.
            basisRemoved = closing == -size ? openNotional : openNotional * -closing / size;
            int256 proceeds = S.floorDiv(-closing * int256(price), _valueDivisor);
            realised = proceeds - basisRemoved;
            _creditMargin(a, realised);
            _agg.poolCash -= realised;
        }
        // Cost basis rounds up: a long pays a little more, a short receives a little less.
        int256 basisAdded = opening == 0 ? int256(0) : S.ceilDiv(opening * int256(price), _valueDivisor);
        a.openNotional = openNotional - basisRemoved + basisAdded;
        _agg.netOpenNotional += basisAdded - basisRemoved;

        if (size > 0) _agg.longOpenInterest -= uint256(size);
        else _agg.shortOpenInterest -= uint256(-size);
        if (newSize > 0) _agg.longOpenInterest += uint256(newSize);
        else _agg.shortOpenInterest += uint256(-newSize);
        _agg.netSize += delta;
        // sizeTimesIndex tracks sum(size * fundingIndex); the account's index is current after settlement.
        _agg.sizeTimesIndex += delta * a.fundingIndex;
        a.size = newSize;
        if (newSize == 0 && a.margin > 0) _agg.idleMargin += uint256(a.margin);
        // Only a realised profit can take the pool's cash below zero here (funding receivables are checked first).
        if (_agg.poolCash < 0) revert MarketPoolCannotPay(uint256(realised), _agg.poolCash + realised);
    }

    function _chargeFee(MarginAccount storage a, uint256 absDelta, uint256 price)
        internal
        returns (uint256 fee)
    {
        fee = M.mulWadUp(_notional(int256(absDelta), price), _risk.tradingFee);
        if (fee == 0) return 0;
        uint256 toInsurance = M.mulWad(fee, _risk.insuranceFeeShare);
        _creditMargin(a, -int256(fee));
        _agg.insurance += toInsurance;
        _agg.poolCash += int256(fee - toInsurance);
    }

    function _creditMargin(MarginAccount storage a, int256 amount) internal {
        int256 before = a.margin;
        int256 after_ = before + amount;
        a.margin = after_;
        // totalMargin counts only positive margins; a negative margin exists only inside a call.
        uint256 pb = before > 0 ? uint256(before) : 0;
        uint256 pa = after_ > 0 ? uint256(after_) : 0;
        _agg.totalMargin = _agg.totalMargin - pb + pa;
        if (a.size == 0) _agg.idleMargin = _agg.idleMargin - pb + pa;
    }

    function _requireInitialMargin(MarginAccount storage a, uint256 price) internal view {
        (uint256 im,) = oracle.marginRatios();
        // From Cautious on, the initial margin (for opening and for withdrawing) is raised.
        if (mode >= Mode.Cautious) im = M.mulWad(im, _safety.cautiousImMultiplier);
        uint256 required = M.mulWadUp(_notional(a.size, price), im);
        int256 equity = _equity(a, price);
        if (equity < int256(required)) revert MarketInsufficientMargin(equity, required);
    }

    /// @dev The pool must keep equity of at least minBacking times the net notional it is exposed to. LPs leaving
    ///      must also leave that much in cash: equity counts traders' unrealised losses, which are not cash yet, and
    ///      the winners' profits and funding are paid in cash.
    function _requireBacked(uint256 price, bool cashToo) internal view {
        uint256 required = M.mulWadUp(_notional(_agg.netSize, price), _risk.minBacking);
        int256 equity = _poolEquity(price, _agg.fundingIndex);
        if (equity < int256(required)) revert MarketInsufficientBacking(equity, required);
        if (cashToo && _agg.poolCash < int256(required)) {
            revert MarketInsufficientBacking(_agg.poolCash, required);
        }
    }

    /// @dev State-based tightening after a price-trusting action or a refresh: a pool that cannot pay winners
    ///      halts the market; a pool below its required backing allows reductions only (halting there would
    ///      freeze the very reductions and liquidations that restore the backing).
    function _selfCorrect(uint256 price) internal {
        int256 equity = _poolEquity(price, _agg.fundingIndex);
        if (equity + int256(_agg.insurance) < 0) {
            _tighten(Mode.Halted, HALT_INSOLVENT, Cause.PoolCannotPay);
        } else if (equity < int256(M.mulWadUp(_notional(_agg.netSize, price), _risk.minBacking))) {
            _tighten(Mode.ReduceOnly, 0, Cause.PoolBelowBacking);
        }
    }

    /// @dev Staged intervention per account: a warning event before the account is liquidatable.
    function _warnIfNear(address account, MarginAccount storage a, uint256 price) internal {
        (, uint256 mm) = oracle.marginRatios();
        uint256 maintenance = M.mulWadUp(_notional(a.size, price), mm);
        int256 equity = _equity(a, price);
        if (equity < int256(M.mulWad(maintenance, WAD + _safety.warningBand))) {
            emit MarginWarning(account, equity, maintenance);
        }
    }

    function _requireAllowed(Action action) internal view {
        if (!allows(action)) revert MarketNotAllowed(action, mode);
    }

    /// @dev Equity at `price`, with funding already settled: margin + unrealised PnL (rounded against the trader).
    function _equity(MarginAccount memory a, uint256 price) internal view returns (int256) {
        return a.margin + S.floorDiv(a.size * int256(price), _valueDivisor) - a.openNotional;
    }

    function _notional(int256 size, uint256 price) internal view returns (uint256) {
        return uint256(S.ceilDiv(int256(S.abs(size)) * int256(price), _valueDivisor));
    }

    /// @dev cash + funding owed to the pool - traders' net unrealised PnL; both terms round in the pool's
    ///      disfavour, so the sum over accounts never exceeds what the pool counts.
    function _poolEquity(uint256 price, int256 index) internal view returns (int256) {
        int256 fundingOwed = S.floorDiv(_agg.netSize * index - _agg.sizeTimesIndex, _valueDivisor);
        int256 traderPnl = S.ceilDiv(_agg.netSize * int256(price), _valueDivisor) - _agg.netOpenNotional;
        return _agg.poolCash + fundingOwed - traderPnl;
    }

    /* INVARIANTS */

    /// @dev What the market owes: every margin, the pool's cash and the insurance sub-fund. Signed, so that a pool
    ///      cash below zero is reported as PoolCash rather than hidden in the sum.
    function _credits() internal view virtual returns (int256) {
        return int256(_agg.totalMargin + _agg.insurance) + _agg.poolCash;
    }

    /// @dev O(1) checks after every state change, each read only where the action can break it, so that the check
    ///      costs (almost) no storage the action did not touch already:
    ///      - TokenConservation, as an identity: the credits after the call equal the credits read at the start of
    ///        `execute*` plus the tokens the call took in (`tokensIn` > 0) or paid out (< 0). An action that moves
    ///        no tokens (a trade, a liquidation without a reward) must conserve the credits exactly. This is stronger
    ///        than "balance >= credits" alone against the market's own arithmetic (a donated surplus can hide no
    ///        mis-credit) and reads no token; by induction from the last check, balance >= credits still holds.
    ///      - TokenConservation, against the token: when tokens moved (the token account and the market's balance
    ///        slot are warm), the balance must cover the credits. A balance that shrinks on its own between calls
    ///        (a rebasing or fee-taking token) is caught at the next call that moves tokens.
    ///      - OpenInterest: long OI - short OI == net size, after the actions that change positions.
    ///      - PoolCash >= 0 and NoNegativeMargin (`touchedMargin`, the account the call touched), after every call.
    function _checkInvariants(int256 creditsBefore, int256 tokensIn, bool positions, int256 touchedMargin)
        internal
        view
        virtual
    {
        int256 credits = _credits();
        if (credits != creditsBefore + tokensIn) {
            _broken(Invariant.TokenConservation, creditsBefore + tokensIn, credits);
        }
        if (tokensIn != 0) {
            uint256 balance = _collateralBalance();
            if (credits > 0 && balance < uint256(credits)) {
                _broken(Invariant.TokenConservation, credits, int256(balance));
            }
        }
        if (positions && int256(_agg.longOpenInterest) - int256(_agg.shortOpenInterest) != _agg.netSize) {
            _broken(
                Invariant.OpenInterest,
                _agg.netSize,
                int256(_agg.longOpenInterest) - int256(_agg.shortOpenInterest)
            );
        }
        if (_agg.poolCash < 0) _broken(Invariant.PoolCash, 0, _agg.poolCash);
        if (touchedMargin < 0) _broken(Invariant.NoNegativeMargin, 0, touchedMargin);
    }

    function _broken(Invariant inv, int256 expected, int256 actual) internal pure {
        revert MarketInvariantBroken(inv, expected, actual);
    }

    /// @dev A failed or short balance read reverts with its own error, never as a broken invariant, so that
    ///      starving this call of gas cannot forge a trip.
    function _collateralBalance() internal view returns (uint256 balance) {
        (bool ok, bytes memory ret) = collateral.staticcall(abi.encodeCall(IERC20.balanceOf, (address(this))));
        if (!ok || ret.length < 32) revert MarketBalanceUnreadable();
        return abi.decode(ret, (uint256));
    }
}
