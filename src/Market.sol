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
import {HaltFlags as H} from "./libraries/HaltFlags.sol";
import {MarketAccounting, ProfitWindow} from "./libraries/MarketAccounting.sol";
import {MarketLiquidation} from "./libraries/MarketLiquidation.sol";
import {MarketOrders, OrderBook} from "./libraries/MarketOrders.sol";
import {MarketParams} from "./libraries/MarketParams.sol";
import {MarketPool} from "./libraries/MarketPool.sol";
import {MarketSafety, SafetyState} from "./libraries/MarketSafety.sol";
import {MarketSettlement, SettlementState} from "./libraries/MarketSettlement.sol";
import {SignedMath as S} from "./libraries/SignedMath.sol";
import {TradePricing} from "./libraries/TradePricing.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
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
contract Market is IMarket, Ownable2Step, ReentrancyGuardTransient {
    using SafeTransferLib for address;

    uint256 internal constant WAD = 1e18;

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
    RiskParams internal _risk;
    Aggregates internal _agg;
    mapping(address account => MarginAccount) internal _accounts;

    SafetyState internal _safe;
    SettlementState internal _settlement;
    ProfitWindow internal _profitWindow;
    OrderBook internal _book;

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
        _onlySelf();
        _;
    }

    /// @dev A function, not inlined into every self-call target's modifier (bytecode size).
    function _onlySelf() internal view {
        if (msg.sender != address(this)) revert MarketOnlySelf();
    }

    /// @dev Runs a self-call and returns whether it committed. A revert carrying the market's own invariant
    ///      error halts the market (committed, since this frame does not revert); any other revert bubbles.
    ///      The error cannot be forged from outside: inside the self-call, tokens move through SafeTransferLib
    ///      (which reverts with its own error, never a callee's data), the balance read reverts with
    ///      MarketBalanceUnreadable on failure, and the oracle guard catches feed reverts. Starving the
    ///      self-call of gas yields an empty revert, which bubbles.
    function _guard(bool success, bytes memory ret, bytes4 action) internal returns (bool) {
        if (success) return true;
        MarketSafety.onSelfCallFailed(_safe, ret, action, oracle);
        return false;
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
        _syncFunding();
        MarginAccount storage a = _accounts[account];
        _settleFunding(account, a, false);
        _take(account, amount);
        _creditMargin(a, int256(amount));
        // Funding owed beyond the margin is not papered over by a small top-up: cover it, close, or be liquidated.
        if (a.margin < 0) revert MarketAccountInsolvent(a.margin);
        emit Deposited(account, amount);
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
        if (a.size != 0 || _safe.mode != Mode.Halted) _requireAllowed(Action.Withdraw);
        bool idle = a.size == 0;
        (uint256 price, OracleClass trip) =
            idle ? (_syncFunding(), OracleClass.Valid) : _price(Action.Withdraw, 0);
        _settleFunding(account, a, false);
        if (int256(amount) > a.margin) {
            revert MarketInsufficientFreeMargin(amount, a.margin > 0 ? uint256(a.margin) : 0);
        }
        _creditMargin(a, -int256(amount));
        if (!idle) {
            _requireInitialMargin(a, price, false);
            _tripIf(trip);
            _warnIfNear(account, a, price);
        }
        _pay(account, amount);
        emit Withdrawn(account, amount);
        // Margin without exposure needs no price: the mode is the business of calls that use one.
        if (!idle) _selfCorrect(price);
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

    /// @inheritdoc IMarket
    function commitOrder(int256 sizeDelta, uint256 priceLimit) external nonReentrant {
        MarketOrders.commit(_book, msg.sender, sizeDelta, _accounts[msg.sender].size, priceLimit, oracle);
    }

    /// @inheritdoc IMarket
    function executeOrder(address account) external nonReentrant {
        MarketOrders.execute(_book, _safe, account, _accounts[account].size, oracle);
    }

    /// @dev The one trade path, atomic or an order's. An order's execution (MarketOrders.execute) has checked that the
    ///      guard's round is the order's and marks it for the self-call: the order pays the trading fee alone; an
    ///      atomic trade also pays the immediacy premium.
    function _modify(address account, int256 sizeDelta, uint256 priceLimit) internal returns (int256) {
        if (sizeDelta == 0) revert MarketZeroSize();
        // Sizes no cap could admit are refused before any arithmetic could overflow on them.
        if (S.abs(sizeDelta) > 2 * uint256(_risk.maxOpenInterest)) {
            revert MarketOpenInterestCap(S.abs(sizeDelta), _risk.maxOpenInterest);
        }
        MarginAccount storage a = _accounts[account];
        bool increasing;
        {
            int256 size = a.size;
            // Increasing: opening, adding on the same side, or flipping through zero.
            increasing = size == 0 || (size > 0) == (sizeDelta > 0) || S.abs(sizeDelta) > S.abs(size);
        }
        _requireAllowed(increasing ? Action.Increase : Action.Reduce);
        (uint256 mark, OracleClass trip) = _price(increasing ? Action.Increase : Action.Reduce, 0);
        // The trade executes at the worse side of the mark and the stable price; the checks below stay at the mark.
        uint256 price =
            TradePricing.executionPrice(oracle, mark, sizeDelta > 0, increasing && trip == OracleClass.Valid);
        if (priceLimit != 0 && (sizeDelta > 0 ? price > priceLimit : price < priceLimit)) {
            revert MarketPriceLimit(price, priceLimit);
        }
        int256 realised = _tradeAndSettle(account, a, sizeDelta, price, mark, increasing);
        uint256 fee = MarketAccounting.chargeFee(
            _agg,
            _risk,
            a,
            S.abs(sizeDelta),
            price,
            _valueDivisor,
            MarketOrders.executingRound() == 0 ? _book.immediacyFee : 0
        );

        if (increasing) {
            MarketPool.requireIncreaseRoom(_agg, _risk, _safe, sizeDelta > 0, mark, _valueDivisor);
            _requireInitialMargin(a, mark, true);
        }
        // No trade may leave the margin negative (a reduce realising more loss than the margin holds, funding
        // owed beyond it): such an account is for the liquidators, who recognise the bad debt.
        if (a.margin < 0) revert MarketAccountInsolvent(a.margin);
        _tripIf(trip);
        emit PositionModified(account, sizeDelta, price, realised, fee, a.size);
        if (a.size != 0) _warnIfNear(account, a, mark);
        _selfCorrect(mark);
        return a.margin;
    }

    /// @dev Funding, the trade and its realised PnL (capped when it is a profit), in the order that keeps a reduce
    /// solvent: a reduce settles what it owes before its receivable, so the loss it realises pays the funding it is owed.
    function _tradeAndSettle(
        address account,
        MarginAccount storage a,
        int256 sizeDelta,
        uint256 price,
        uint256 mark,
        bool increasing
    ) private returns (int256 realised) {
        int256 owed = _fundingOwed(a);
        bool receivableLast = !increasing && owed < 0;
        if (!receivableLast) _settleFunding(account, a, true);
        realised = _trade(a, sizeDelta, price);
        if (realised > 0) {
            int256 index = _agg.fundingIndex;
            realised = MarketAccounting.capProfit(
                _agg,
                a,
                _profitWindow,
                account,
                realised,
                _poolEquity(mark, index),
                MarketPool.cashOwed(_agg, mark, index, _valueDivisor)
            );
        }
        if (receivableLast) _settleFundingAfterClose(account, a, owed);
    }

    /// @inheritdoc IMarket
    function settleLoss(address account) external nonReentrant {
        _run(abi.encodeCall(this.executeSettleLoss, (account)));
    }

    function executeSettleLoss(address account) external onlySelf {
        int256 credits = _credits();
        _requireAllowed(Action.Reduce);
        // A reduce's price is always a Valid reading's: anything else reverts in `_price`.
        (uint256 price,) = _price(Action.Reduce, 0);
        int256 margin = MarketAccounting.settleLoss(_agg, _accounts[account], account, price, _valueDivisor);
        _checkInvariants(credits, 0, false, margin); // value moves inside the market, never tokens
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
        (uint256 price,) = _price(Action.Liquidate, size);
        uint256 toInsurance;
        (reward, toInsurance) =
            MarketLiquidation.liquidate(_agg, _risk, _safe, a, account, price, oracle, _valueDivisor);
        if (reward != 0) _pay(liquidator, reward);
        emit Liquidated(account, liquidator, size, price, reward, toInsurance);
        _selfCorrect(price);
        return (reward, a.margin);
    }

    /// @dev The funding an account owes (negative: is owed) since its last settlement, at the accrued index.
    function _fundingOwed(MarginAccount storage a) internal view returns (int256) {
        return MarketAccounting.fundingOwed(a.size, a.fundingIndex, _agg.fundingIndex, _valueDivisor);
    }

    /// @dev MarketAccounting.settleFundingAfterClose.
    function _settleFundingAfterClose(address account, MarginAccount storage a, int256 owed) internal {
        MarketAccounting.settleFundingAfterClose(_agg, a, account, owed);
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
        _onlyPool();
        _;
    }

    function _onlyPool() internal view {
        if (msg.sender != pool || pool == address(0)) revert MarketOnlyPool();
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
        (uint256 price,) = _price(Action.LpDeposit, 0);
        _take(pool, assets);
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
        (uint256 price, OracleClass trip) = _price(Action.LpWithdraw, 0);
        if (int256(assets) > _agg.poolCash) revert MarketPoolCannotPay(assets, _agg.poolCash);
        _agg.poolCash -= int256(assets);
        _requireBacked(price, true);
        _tripIf(trip);
        _pay(receiver, assets);
        emit PoolWithdrawn(receiver, assets);
        _selfCorrect(price);
    }

    /// @inheritdoc IMarket
    /// @dev Also the breaker's reset path (N consecutive Valid new rounds plus a cooldown) and the place where a
    ///      price move alone tightens the mode (pool below backing, pool unable to pay).
    function refresh() external nonReentrant returns (OracleClass) {
        if (_safe.mode == Mode.Settlement) return OracleClass.Stale; // funding and prices are frozen at the snapshot
        PriceReading memory r = oracle.update();
        _accrueFunding(r.lastGoodPrice);
        if (_safe.haltFlags & H.BREAKER != 0) {
            MarketSafety.advanceBreakerReset(_safe, r.class, r.roundId);
        }
        _selfCorrect(r.lastGoodPrice);
        return r.class;
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
        if (_safe.mode == Mode.Settlement) revert MarketNotAllowed(Action.Deposit, _safe.mode);
        _take(from, amount);
        _agg.insurance += amount;
        emit InsuranceFunded(from, amount);
    }

    /* GOVERNANCE */

    /// @notice Replaces the risk parameters; only the owner (the timelock in a deployed system).
    function setRiskParams(RiskParams calldata risk_) external onlyOwner {
        _requireOpen();
        // Funding up to now accrues at the old rate: a new rate never reaches back in time.
        uint256 price = _lastGoodPrice();
        _accrueFunding(price);
        _setRiskParams(risk_);
    }

    function _setRiskParams(RiskParams memory r) internal {
        MarketParams.setRisk(_risk, r);
    }

    function _tighten(Mode to, uint8 haltFlag, Cause cause) internal {
        MarketSafety.tighten(_safe, to, haltFlag, cause);
    }

    /// @inheritdoc IMarket
    function escalate(Mode to) external {
        MarketSafety.escalate(_safe, to);
    }

    /// @inheritdoc IMarket
    function setMode(Mode to) external onlyOwner {
        MarketSafety.setModeByOwner(_safe, to);
    }

    /// @inheritdoc IMarket
    function setImmediacyFee(uint256 fee) external onlyOwner {
        _requireOpen();
        MarketOrders.setImmediacyFee(_book, fee);
    }

    /// @notice Sets the guardian (a Safe multisig in a deployed system); only the timelock.
    function setGuardian(address guardian_) external onlyOwner {
        _safe.guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /// @notice Replaces the safety parameters; only the timelock.
    function setSafetyParams(SafetyParams calldata safety_) external onlyOwner {
        _requireOpen();
        _setSafetyParams(safety_);
    }

    function _setSafetyParams(SafetyParams memory p) internal {
        MarketSafety.setParams(_safe, p, owner(), 1e36 / uint256(_valueDivisor));
    }

    function _exitWindow() internal view returns (uint256) {
        return uint256(_safe.params.maxHaltDuration) + _safe.params.settlementWindow;
    }

    /// @dev A parameter change never lands on users locked in a halt (they could not leave before it): governance
    ///      reopens first, and users can leave in the open modes.
    function _requireOpen() internal view {
        if (_safe.mode >= Mode.Halted) revert MarketChangeWhileHalted(_safe.mode);
    }

    /// @dev Every owner call re-checks the exit window: a timelock that has since shortened its own delay cannot act
    ///      on the market until it restores a delay that lets users leave first.
    function _checkOwner() internal view override {
        super._checkOwner();
        MarketSafety.requireExitWindow(owner(), _exitWindow());
    }

    /// @dev Ownership moves in two steps (Ownable2Step) and is accepted only by a timelock whose delay covers the exit
    ///      window when it accepts (the deployer owns the market only until then); it is never renounced: a market
    ///      without an owner could never be reopened.
    function acceptOwnership() public override {
        MarketSafety.requireTimelock(_safe, msg.sender);
        super.acceptOwnership();
    }

    function renounceOwnership() public pure override {
        revert MarketOwnerNotTimelock(address(0));
    }

    /* SETTLEMENT */

    /// @inheritdoc IMarket
    function settle() external nonReentrant {
        uint256 price = _syncFunding();
        MarketSettlement.settle(
            _settlement,
            _safe,
            _agg,
            price,
            _poolEquity(price, _agg.fundingIndex),
            IERC20(pool).totalSupply(),
            owner()
        );
    }

    /// @inheritdoc IMarket
    function realise(address account) external nonReentrant {
        _requireSettlement();
        MarketSettlement.realise(_settlement, _accounts, account, _valueDivisor);
    }

    /// @inheritdoc IMarket
    function claim() external nonReentrant returns (uint256 amount) {
        _requireSettlement();
        return MarketSettlement.claim(_settlement, _accounts, _agg, collateral, msg.sender, _valueDivisor);
    }

    /// @inheritdoc IMarket
    function onPoolClaim(address receiver, uint256 shares)
        external
        onlyPool
        nonReentrant
        returns (uint256 assets)
    {
        _requireSettlement();
        return MarketSettlement.poolClaim(_settlement, _agg, collateral, receiver, shares);
    }

    function _requireSettlement() internal view {
        if (_safe.mode != Mode.Settlement) revert MarketNotInSettlement(_safe.mode);
    }

    /* VIEWS */

    /// @inheritdoc IMarket
    function safetyParams() external view returns (SafetyParams memory) {
        SafetyParams storage p = _safe.params;
        uint256 slot;
        assembly ("memory-safe") {
            slot := p.slot
        }
        // insuranceFloor 16 bytes, maxHaltDuration, settlementWindow, breakerCooldown 4, breakerValidReadings 1,
        // cautiousImMultiplier, cautiousOiFactor, warningBand 8.
        _returnPacked(slot, 0x0808080104040410, 8);
    }

    /// @inheritdoc IMarket
    function mode() public view returns (Mode) {
        return _safe.mode;
    }

    /// @inheritdoc IMarket
    function guardian() external view returns (address) {
        return _safe.guardian;
    }

    /// @inheritdoc IMarket
    function haltedAt() external view returns (uint256) {
        return _safe.haltedAt;
    }

    /// @inheritdoc IMarket
    function exitOpensAt() external view returns (uint256) {
        return _safe.mode == Mode.Halted ? MarketSafety.exitOpensAt(_safe, owner()) : 0;
    }

    /// @inheritdoc IMarket
    function haltFlags() external view returns (uint8) {
        return _safe.haltFlags;
    }

    /// @inheritdoc IMarket
    function settlement() external view returns (SettlementSnapshot memory) {
        SettlementSnapshot storage snap = _settlement.snapshot;
        uint256 slot;
        assembly ("memory-safe") {
            slot := snap.slot
        }
        _returnSlots(slot, 16);
    }

    /// @inheritdoc IMarket
    function settlementPaid() external view returns (uint256) {
        return _settlement.paid;
    }

    /// @inheritdoc IMarket
    function claimed(address account) external view returns (bool) {
        return _settlement.claimed[account];
    }

    /// @inheritdoc IMarket
    function riskParams() external view returns (RiskParams memory) {
        uint256 slot;
        assembly ("memory-safe") {
            slot := _risk.slot
        }
        // Six 8-byte fractions and rates, then skewScale and maxOpenInterest, 16 bytes each.
        _returnPacked(slot, 0x1010080808080808, 8);
    }

    /// @inheritdoc IMarket
    function accountOf(address account) external view returns (MarginAccount memory) {
        MarginAccount storage a = _accounts[account];
        uint256 slot;
        assembly ("memory-safe") {
            slot := a.slot
        }
        _returnSlots(slot, 4);
    }

    /// @inheritdoc IMarket
    function immediacyFee() external view returns (uint256) {
        return _book.immediacyFee;
    }

    /// @inheritdoc IMarket
    function aggregates() external view returns (Aggregates memory) {
        uint256 slot;
        assembly ("memory-safe") {
            slot := _agg.slot
        }
        _returnSlots(slot, 13);
    }

    /// @dev Returns `words` storage slots from `slot` as the ABI encoding of a static struct whose fields each fill one
    ///      slot, in declaration order (MarginAccount: 4, Aggregates: 13, SettlementSnapshot: 16): the bytes `return <struct>;` would
    ///      return, in a fraction of the code.
    function _returnSlots(uint256 slot, uint256 words) private view {
        assembly ("memory-safe") {
            let p := mload(0x40)
            for { let i := 0 } lt(i, words) { i := add(i, 1) } {
                mstore(add(p, shl(5, i)), sload(add(slot, i)))
            }
            return(p, shl(5, words))
        }
    }

    /// @dev Returns a struct of unsigned fields ABI-encoded (one word per field) from its packed storage at `slot`:
    ///      byte i of `widths` is field i's size in bytes; a field that does not fit in the rest of a slot starts the
    ///      next, as the compiler packs them. Cheaper in bytecode than the compiler's copy and encoder.
    function _returnPacked(uint256 slot, uint256 widths, uint256 fields) private view {
        assembly ("memory-safe") {
            let p := mload(0x40)
            let word := sload(slot)
            let used := 0
            for { let i := 0 } lt(i, fields) { i := add(i, 1) } {
                let bits := shl(3, and(shr(shl(3, i), widths), 0xff))
                if gt(add(used, bits), 256) {
                    slot := add(slot, 1)
                    word := sload(slot)
                    used := 0
                }
                mstore(add(p, shl(5, i)), and(shr(used, word), sub(shl(bits, 1), 1)))
                used := add(used, bits)
            }
            return(p, shl(5, fields))
        }
    }

    /// @inheritdoc IMarket
    function profitWindow() external view returns (uint256 paid, uint256 start) {
        return (MarketAccounting.paidInWindow(_profitWindow), _profitWindow.start);
    }

    /// @inheritdoc IMarket
    function poolEquity() public view returns (int256) {
        uint256 price = _lastGoodPrice();
        return _poolEquity(price, _fundingIndexAt(price));
    }

    /// @inheritdoc IMarket
    function insurance() external view returns (uint256) {
        return _agg.insurance;
    }

    /// @inheritdoc IMarket
    function accountHealth(address account)
        external
        view
        returns (int256 equity, uint256 initialRequired, uint256 maintenanceRequired, uint256 notional)
    {
        uint256 price = _lastGoodPrice();
        return
            MarketLiquidation.health(_accounts[account], price, _fundingIndexAt(price), oracle, _valueDivisor);
    }

    /// @inheritdoc IMarket
    function allows(Action action) public view returns (bool) {
        Mode m = _safe.mode;
        return m <= Mode.Cautious
            || (m == Mode.ReduceOnly && action != Action.Increase && action != Action.LpDeposit)
            || (m == Mode.Halted
                && (action == Action.Deposit || (action == Action.Liquidate && _liquidatesInHalt())));
    }

    /// @dev A halt anyone can cause (the breaker's alone) cannot keep unhealthy accounts from liquidation for longer
    ///      than the cooldown: after it, they are liquidated at the kinder side of (reading, last good price).
    function _liquidatesInHalt() internal view returns (bool) {
        return
            _safe.haltFlags == H.BREAKER && block.timestamp >= _safe.breakerAt + _safe.params.breakerCooldown;
    }

    /// @inheritdoc IMarket
    function poolWithdrawable() external view returns (uint256) {
        if (!allows(Action.LpWithdraw)) return 0;
        uint256 price = _lastGoodPrice();
        int256 index = _fundingIndexAt(price);
        return MarketPool.lpRoom(
            _agg,
            _risk,
            _poolEquity(price, index),
            price,
            index,
            _valueDivisor,
            MarketAccounting.paidInWindow(_profitWindow)
        );
    }

    /// @inheritdoc IMarket
    function poolQuote() external view returns (int256 equity, bool depositOpen, uint256 withdrawable) {
        Mode m = _safe.mode;
        if (m == Mode.Settlement) return (poolEquity(), false, 0); // refresh changes nothing in Settlement
        PriceReading memory r = oracle.peek();
        return MarketPool.quote(
            _agg,
            _risk,
            m,
            r.class,
            r.lastGoodPrice,
            _fundingIndexAt(r.lastGoodPrice),
            _valueDivisor,
            MarketAccounting.paidInWindow(_profitWindow)
        );
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
        return _fundingIndexAt(_lastGoodPrice());
    }

    /* INTERNAL: PRICES AND FUNDING */

    /// @dev Reads the oracle for an action that trusts the price (the per-action matrix). A Valid reading is used as
    ///      is. A liquidation proceeds on any reading the sequencer does not void, at the side of (reading, last good
    ///      price) kinder to the account (the last good price when the reading has none). A risk-adding action
    ///      (increase, withdraw with a position, LP withdraw) that sees a bad new round — evidence of a bad price,
    ///      not mere age — runs its own checks at the last good price and returns the class as `trip`: the caller
    ///      trips the breaker only once those checks passed (`_tripIf`). Anything else is refused.
    function _price(Action action, int256 side) internal returns (uint256 price, OracleClass trip) {
        PriceReading memory r = oracle.update();
        _accrueFunding(r.lastGoodPrice);
        if (r.class == OracleClass.Valid) return (r.price, r.class);
        uint8 t;
        (price, t) = MarketSafety.priceWhenNotValid(
            uint8(r.class), r.price, r.lastGoodPrice, r.roundId, uint8(action), side, address(oracle)
        );
        trip = OracleClass(t);
    }

    /// @dev Trips the breaker (through the guarded frame, which commits it) for a bad new round seen by an action
    ///      that passed every check of its own.
    function _tripIf(OracleClass trip) internal pure {
        if (trip != OracleClass.Valid) revert MarketBreakerTripped(trip);
    }

    /// @dev For actions that do not trust the price: funding accrues at the last good price, and no feed is read, so
    ///      that no feed answer can make them revert.
    function _syncFunding() internal returns (uint256 price) {
        price = _lastGoodPrice();
        _accrueFunding(price);
    }

    /// @dev The collateral's transfers, each in one place (SafeTransferLib inlines its assembly at every call).
    function _pay(address to, uint256 amount) private {
        collateral.safeTransfer(to, amount);
    }

    function _take(address from, uint256 amount) private {
        collateral.safeTransferFrom(from, address(this), amount);
    }

    function _lastGoodPrice() internal view returns (uint256 price) {
        (price,) = oracle.lastGoodPrice();
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

    function _settleFunding(address account, MarginAccount storage a, bool mustSettle) internal {
        MarketAccounting.settleFunding(_agg, a, account, mustSettle, _valueDivisor);
    }

    /* INTERNAL: POSITIONS */

    function _trade(MarginAccount storage a, int256 delta, uint256 price) internal returns (int256) {
        return MarketAccounting.trade(_agg, a, delta, price, _valueDivisor);
    }

    function _creditMargin(MarginAccount storage a, int256 amount) internal {
        MarketAccounting.creditMargin(_agg, a, amount);
    }

    /// @dev The initial-margin check (MarketLiquidation.requireInitialMargin).
    function _requireInitialMargin(MarginAccount storage a, uint256 price, bool profitCounts) internal view {
        MarketLiquidation.requireInitialMargin(_safe, a, price, profitCounts, oracle, _valueDivisor);
    }

    /// @dev The pool's backing (MarketPool.requireBacked); `cashToo` for LPs leaving.
    function _requireBacked(uint256 price, bool cashToo) internal view {
        MarketPool.requireBacked(
            _agg, _risk, price, cashToo, _valueDivisor, MarketAccounting.paidInWindow(_profitWindow)
        );
    }

    /// @dev State-based tightening after a price-trusting action or a refresh: a pool that cannot pay winners halts
    ///      the market. A pool below its required backing is not a mode: it refuses, per action, what would leave it
    ///      short (an increase, an LP withdrawal), so trades that net to nothing cannot force it and it lifts itself
    ///      as soon as the backing is back.
    function _selfCorrect(uint256 price) internal {
        int256 equity = _poolEquity(price, _agg.fundingIndex);
        if (equity + int256(_agg.insurance) < 0) _tighten(Mode.Halted, H.INSOLVENT, Cause.PoolCannotPay);
    }

    /// @dev Staged intervention per account: a warning event before the account is liquidatable.
    function _warnIfNear(address account, MarginAccount storage a, uint256 price) internal {
        MarketLiquidation.warnIfNear(a, account, price, _safe.params.warningBand, oracle, _valueDivisor);
    }

    function _requireAllowed(Action action) internal view {
        if (!allows(action)) revert MarketNotAllowed(action, _safe.mode);
    }

    /// @dev Equity at `price`, with funding already settled (MarketAccounting.equity).
    function _equity(MarginAccount memory a, uint256 price) internal view returns (int256) {
        return MarketAccounting.equity(a, price, _valueDivisor);
    }

    function _notional(int256 size, uint256 price) internal view returns (uint256) {
        return MarketPool.notional(size, price, _valueDivisor);
    }

    function _poolEquity(uint256 price, int256 index) internal view returns (int256) {
        return MarketPool.equity(_agg, price, index, _valueDivisor);
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
        if (positions) {
            int256 oi = int256(_agg.longOpenInterest) - int256(_agg.shortOpenInterest);
            if (oi != _agg.netSize) _broken(Invariant.OpenInterest, _agg.netSize, oi);
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
