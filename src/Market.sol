// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {FixedPointMathLib as M} from "solady/utils/FixedPointMathLib.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {MarginAccount, Action, Aggregates, IMarket, Invariant, Mode, RiskParams} from "./interfaces/IMarket.sol";
import {IOracleGuard, OracleClass, PriceReading} from "./interfaces/IOracleGuard.sol";
import {SignedMath as S} from "./libraries/SignedMath.sol";

/// @title Market
/// @notice One isolated perpetual market. See IMarket for the specification.
/// @dev Layout: immutables, storage, constructor, the guarded-execution frame, one section per feature
///      (margin, trading, liquidation, pool, insurance), governance, views, and the invariant check last.
///      Every external entry point is `outer` (reentrancy lock, self-call, trip on a broken invariant) around
///      an `execute*` function that only the market itself may call and that ends with `_checkInvariants`.
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
    /// @inheritdoc IMarket
    Mode public mode;
    RiskParams internal _risk;
    Aggregates internal _agg;
    mapping(address account => MarginAccount) internal _accounts;

    constructor(address collateral_, IOracleGuard oracle_, RiskParams memory risk_, address owner_) Ownable(owner_) {
        uint8 decimals = IERC20Metadata(collateral_).decimals();
        if (decimals > 18) revert MarketBadParams();
        collateral = collateral_;
        oracle = oracle_;
        _valueDivisor = int256(10 ** (36 - uint256(decimals)));
        _setRiskParams(risk_);
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
            (Invariant inv, int256 expected, int256 actual) = abi.decode(_slice4(ret), (Invariant, int256, int256));
            emit InvariantViolated(inv, expected, actual, action);
            _setMode(Mode.Halted, "invariant violated");
            return false;
        }
        assembly ("memory-safe") {
            revert(add(ret, 0x20), mload(ret))
        }
    }

    function _slice4(bytes memory b) private pure returns (bytes memory out) {
        out = new bytes(b.length - 4);
        for (uint256 i = 4; i < b.length; ++i) {
            out[i - 4] = b[i];
        }
    }

    /// @dev Virtual so that a test build can measure the same effects without the guard (gas benchmark).
    function _run(bytes memory call) internal virtual returns (bool ok, bytes memory ret) {
        (bool success, bytes memory data) = address(this).call(call);
        return (_guard(success, data, bytes4(call)), data);
    }

    /* MARGIN */

    /// @inheritdoc IMarket
    function deposit(uint256 amount) external nonReentrant {
        _run(abi.encodeCall(this.executeDeposit, (msg.sender, amount)));
    }

    function executeDeposit(address account, uint256 amount) external onlySelf {
        _checkInvariants(_deposit(account, amount));
    }

    function _deposit(address account, uint256 amount) internal returns (int256) {
        if (amount == 0) revert MarketZeroAmount();
        _requireAllowed(Action.Deposit);
        _syncFunding();
        MarginAccount storage a = _accounts[account];
        _settleFunding(account, a);
        collateral.safeTransferFrom(account, address(this), amount);
        _creditMargin(a, int256(amount));
        emit Deposited(account, amount);
        return a.margin;
    }

    /// @inheritdoc IMarket
    function withdraw(uint256 amount) external nonReentrant {
        _run(abi.encodeCall(this.executeWithdraw, (msg.sender, amount)));
    }

    function executeWithdraw(address account, uint256 amount) external onlySelf {
        _checkInvariants(_withdraw(account, amount));
    }

    function _withdraw(address account, uint256 amount) internal returns (int256) {
        if (amount == 0) revert MarketZeroAmount();
        MarginAccount storage a = _accounts[account];
        // An account with no exposure can always take its margin out, even from a halted market.
        if (a.size != 0 || mode != Mode.Halted) _requireAllowed(Action.Withdraw);
        uint256 price = a.size == 0 ? _syncFunding() : _validPrice();
        _settleFunding(account, a);
        if (int256(amount) > a.margin) revert MarketInsufficientFreeMargin(amount, a.margin > 0 ? uint256(a.margin) : 0);
        _creditMargin(a, -int256(amount));
        if (a.size != 0) _requireInitialMargin(a, price);
        collateral.safeTransfer(account, amount);
        emit Withdrawn(account, amount);
        return a.margin;
    }

    /* TRADING */

    /// @inheritdoc IMarket
    function modifyPosition(int256 sizeDelta, uint256 priceLimit) external nonReentrant {
        _run(abi.encodeCall(this.executeModify, (msg.sender, sizeDelta, priceLimit)));
    }

    /// @inheritdoc IMarket
    function closePosition(uint256 priceLimit) external nonReentrant {
        _run(abi.encodeCall(this.executeModify, (msg.sender, -_accounts[msg.sender].size, priceLimit)));
    }

    function executeModify(address account, int256 sizeDelta, uint256 priceLimit) external onlySelf {
        _checkInvariants(_modify(account, sizeDelta, priceLimit));
    }

    function _modify(address account, int256 sizeDelta, uint256 priceLimit) internal returns (int256) {
        if (sizeDelta == 0) revert MarketZeroSize();
        MarginAccount storage a = _accounts[account];
        int256 size = a.size;
        // Increasing: opening, adding on the same side, or flipping through zero.
        bool increasing = size == 0 || (size > 0) == (sizeDelta > 0) || S.abs(sizeDelta) > S.abs(size);
        _requireAllowed(increasing ? Action.Increase : Action.Reduce);
        uint256 price = _validPrice();
        if (priceLimit != 0 && (sizeDelta > 0 ? price > priceLimit : price < priceLimit)) {
            revert MarketPriceLimit(price, priceLimit);
        }
        _settleFunding(account, a);

        int256 realised = _trade(a, sizeDelta, price);
        uint256 fee = _chargeFee(a, S.abs(sizeDelta), price);

        if (increasing) {
            RiskParams memory r = _risk;
            if (_agg.longOpenInterest > r.maxOpenInterest) {
                revert MarketOpenInterestCap(_agg.longOpenInterest, r.maxOpenInterest);
            }
            if (_agg.shortOpenInterest > r.maxOpenInterest) {
                revert MarketOpenInterestCap(_agg.shortOpenInterest, r.maxOpenInterest);
            }
            _requireBacked(price);
            _requireInitialMargin(a, price);
        } else if (a.margin < 0) {
            // A reduce may not realise more loss than the margin holds: that account is for the liquidators.
            revert MarketAccountInsolvent(a.margin);
        }
        emit PositionModified(account, sizeDelta, price, realised, fee, a.size);
        return a.margin;
    }

    /* LIQUIDATION */

    /// @inheritdoc IMarket
    function liquidate(address account) external nonReentrant returns (uint256 reward) {
        (bool ok, bytes memory ret) = _run(abi.encodeCall(this.executeLiquidate, (account, msg.sender)));
        if (ok) reward = abi.decode(ret, (uint256));
    }

    /// @dev Loss waterfall: the account's margin, then the insurance sub-fund, then this market's LP pool.
    function executeLiquidate(address account, address liquidator) external onlySelf returns (uint256 reward) {
        int256 margin;
        (reward, margin) = _liquidate(account, liquidator);
        _checkInvariants(margin);
    }

    function _liquidate(address account, address liquidator) internal returns (uint256 reward, int256) {
        _requireAllowed(Action.Liquidate);
        uint256 price = _validPrice();
        MarginAccount storage a = _accounts[account];
        int256 size = a.size;
        if (size == 0) revert MarketNoPosition();
        _settleFunding(account, a);
        uint256 notional = _notional(size, price);
        (, uint256 mm) = oracle.marginRatios();
        int256 equity = _equity(a, price);
        uint256 maintenance = M.mulWadUp(notional, mm);
        if (equity >= int256(maintenance)) revert MarketNotLiquidatable(equity, maintenance);

        _trade(a, -size, price);
        int256 margin = a.margin;
        uint256 toInsurance;
        if (margin > 0) {
            uint256 penalty = M.mulWadUp(notional, _risk.liquidationPenalty);
            reward = M.min(M.mulWad(penalty, _risk.keeperRewardShare), uint256(margin));
            toInsurance = M.min(penalty - M.mulWad(penalty, _risk.keeperRewardShare), uint256(margin) - reward);
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
        }
        if (reward != 0) collateral.safeTransfer(liquidator, reward);
        emit Liquidated(account, liquidator, size, price, reward, toInsurance);
        return (reward, a.margin);
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
    function onPoolDeposit(uint256 assets) external onlyPool nonReentrant returns (bool accepted) {
        (accepted,) = _run(abi.encodeCall(this.executePoolDeposit, (assets)));
    }

    function executePoolDeposit(uint256 assets) external onlySelf {
        _poolDeposit(assets);
        _checkInvariants(0);
    }

    function _poolDeposit(uint256 assets) internal {
        if (assets == 0) revert MarketZeroAmount();
        _requireAllowed(Action.LpDeposit);
        _validPrice();
        collateral.safeTransferFrom(pool, address(this), assets);
        _agg.poolCash += int256(assets);
        emit PoolDeposited(assets);
    }

    /// @inheritdoc IMarket
    function onPoolWithdraw(address receiver, uint256 assets) external onlyPool nonReentrant returns (bool accepted) {
        (accepted,) = _run(abi.encodeCall(this.executePoolWithdraw, (receiver, assets)));
    }

    function executePoolWithdraw(address receiver, uint256 assets) external onlySelf {
        _poolWithdraw(receiver, assets);
        _checkInvariants(0);
    }

    function _poolWithdraw(address receiver, uint256 assets) internal {
        if (assets == 0) revert MarketZeroAmount();
        _requireAllowed(Action.LpWithdraw);
        uint256 price = _validPrice();
        if (int256(assets) > _agg.poolCash) revert MarketPoolCannotPay(assets, _agg.poolCash);
        _agg.poolCash -= int256(assets);
        _requireBacked(price);
        collateral.safeTransfer(receiver, assets);
        emit PoolWithdrawn(receiver, assets);
    }

    /// @inheritdoc IMarket
    function refresh() external nonReentrant {
        _syncFunding();
    }

    /* INSURANCE */

    /// @inheritdoc IMarket
    function fundInsurance(uint256 amount) external nonReentrant {
        _run(abi.encodeCall(this.executeFundInsurance, (msg.sender, amount)));
    }

    function executeFundInsurance(address from, uint256 amount) external onlySelf {
        _fundInsurance(from, amount);
        _checkInvariants(0);
    }

    function _fundInsurance(address from, uint256 amount) internal {
        if (amount == 0) revert MarketZeroAmount();
        collateral.safeTransferFrom(from, address(this), amount);
        _agg.insurance += amount;
        emit InsuranceFunded(from, amount);
    }

    /* GOVERNANCE */

    /// @notice Replaces the risk parameters; only the owner (the timelock in a deployed system).
    function setRiskParams(RiskParams calldata risk_) external onlyOwner {
        _setRiskParams(risk_);
    }

    function _setRiskParams(RiskParams memory r) internal {
        if (
            r.tradingFee > 0.05e18 || r.insuranceFeeShare > WAD || r.liquidationPenalty > 0.2e18
                || r.keeperRewardShare > WAD || r.maxFundingRate > 1e14 || r.minBacking > 10 * WAD || r.skewScale == 0
                || r.maxOpenInterest == 0
        ) revert MarketBadParams();
        _risk = r;
        emit RiskParamsUpdated(r);
    }

    function _setMode(Mode to, string memory cause) internal {
        Mode from = mode;
        if (from == to) return;
        mode = to;
        emit ModeChanged(from, to, cause);
    }

    /* VIEWS */

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
        return m <= Mode.Cautious || (m == Mode.ReduceOnly && action != Action.Increase && action != Action.LpDeposit)
            || (m == Mode.Halted && action == Action.Deposit);
    }

    /// @inheritdoc IMarket
    function poolWithdrawable() external view returns (uint256) {
        if (!allows(Action.LpWithdraw)) return 0;
        (uint256 price,) = oracle.lastGoodPrice();
        int256 spare = _poolEquity(price, currentFundingIndex())
            - int256(M.mulWadUp(_notional(_agg.netSize, price), _risk.minBacking));
        int256 cash = _agg.poolCash;
        int256 out = spare < cash ? spare : cash;
        return out > 0 ? uint256(out) : 0;
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

    /// @dev Reads the oracle for an action that trusts the price: only a Valid reading will do.
    function _validPrice() internal returns (uint256 price) {
        PriceReading memory r = oracle.update();
        if (r.class != OracleClass.Valid) revert MarketOracleNotValid(r.class);
        _accrueFunding(r.price);
        return r.price;
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
    function _settleFunding(address account, MarginAccount storage a) internal {
        int256 index = _agg.fundingIndex;
        int256 size = a.size;
        if (size != 0) {
            int256 owed = S.ceilDiv(size * (index - a.fundingIndex), _valueDivisor);
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
        if (_agg.poolCash < 0) revert MarketPoolCannotPay(uint256(realised), _agg.poolCash + realised);
    }

    function _chargeFee(MarginAccount storage a, uint256 absDelta, uint256 price) internal returns (uint256 fee) {
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
        _agg.totalMargin = _agg.totalMargin - (before > 0 ? uint256(before) : 0) + (after_ > 0 ? uint256(after_) : 0);
    }

    function _requireInitialMargin(MarginAccount storage a, uint256 price) internal view {
        (uint256 im,) = oracle.marginRatios();
        uint256 required = M.mulWadUp(_notional(a.size, price), im);
        int256 equity = _equity(a, price);
        if (equity < int256(required)) revert MarketInsufficientMargin(equity, required);
    }

    /// @dev The pool must keep equity of at least minBacking times the net notional it is short of.
    function _requireBacked(uint256 price) internal view {
        uint256 required = M.mulWadUp(_notional(_agg.netSize, price), _risk.minBacking);
        int256 equity = _poolEquity(price, _agg.fundingIndex);
        if (equity < int256(required)) revert MarketInsufficientBacking(equity, required);
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

    /// @dev O(1) checks after every state change. `touchedMargin` is the margin of the account the call touched.
    function _checkInvariants(int256 touchedMargin) internal view virtual {
        uint256 credits = _agg.totalMargin + _agg.insurance + (_agg.poolCash > 0 ? uint256(_agg.poolCash) : 0);
        uint256 balance = _collateralBalance();
        if (balance < credits) _broken(Invariant.TokenConservation, int256(credits), int256(balance));
        if (int256(_agg.longOpenInterest) - int256(_agg.shortOpenInterest) != _agg.netSize) {
            _broken(
                Invariant.OpenInterest, _agg.netSize, int256(_agg.longOpenInterest) - int256(_agg.shortOpenInterest)
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
        (bool ok, bytes memory ret) =
            collateral.staticcall(abi.encodeCall(IERC20.balanceOf, (address(this))));
        if (!ok || ret.length < 32) revert MarketBalanceUnreadable();
        return abi.decode(ret, (uint256));
    }
}
