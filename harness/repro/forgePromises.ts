/**
 * Foundry translations of the campaign promises (harness/invariants/promises/): each follows, in the generated
 * test, the same chain facts the promise follows (events in each transaction's logs, Lens reads after each
 * step, the calls the actors made) and asserts the same measured fact with the same stated bounds, so the test
 * fails while the bug is there and passes once it is fixed.
 */
import { type Abi, getAddress, toFunctionSelector } from "viem";
import { marketAbi, mockAggregatorAbi } from "../../src-ts/generated/abis.js";
import { statedBounds } from "../invariants/promises/index.js";
import { decodeCall } from "./decode.js";
import type { RecordedTx, Recording } from "./recording.js";

export type PromisePlan = {
  afterTx: Map<number, string[]>;
  beforeTx: Map<number, string[]>;
  afterStep: Map<number, string[]>;
  /** Statements at the start of the test (after the baseline snapshot `m`, `list`). */
  start: string[];
  /** Contract members (state and helpers) the statements use. */
  members: string[];
  property: string;
};

type Tx = { step: number; tx: RecordedTx; id: number };

/** The promise names with a translation. */
export const translatedPromises = [
  "no-exposure-no-mode-change",
  "stale-by-time-no-trip",
  "breaker-halt-ends",
  "halt-liquidation-bounded",
  "governance-acts-before-exit",
  "state-tightening-clears",
  "profit-can-close",
  "withdrawn-profit-backed",
  "front-run-bounded",
  "round-trip-bounded",
  "outflow-room-not-consumed",
  "jump-confirmed",
  "single-actor-take-bounded",
  "no-estimator-liquidation",
] as const;

const UNIT = "1e6";

/** Event topics and log readers every translation shares. */
const common = [
  '    bytes32 internal constant MODE_CHANGED = keccak256("ModeChanged(uint8,uint8,uint8)");',
  '    bytes32 internal constant BREAKER_TRIPPED = keccak256("BreakerTripped(uint8,uint8)");',
  '    bytes32 internal constant PRICE_ACCEPTED = keccak256("PriceAccepted(uint80,uint256,uint256,uint256,uint256)");',
  '    bytes32 internal constant READING_REJECTED = keccak256("ReadingRejected(uint8,uint80,uint256)");',
  '    bytes32 internal constant POSITION_MODIFIED = keccak256("PositionModified(address,int256,uint256,int256,uint256,int256)");',
  '    bytes32 internal constant LIQUIDATED = keccak256("Liquidated(address,address,int256,uint256,uint256,uint256)");',
  '    bytes32 internal constant BAD_DEBT = keccak256("BadDebt(address,uint256,uint256,uint256)");',
  '    bytes32 internal constant DEPOSITED = keccak256("Deposited(address,uint256)");',
  '    bytes32 internal constant WITHDRAWN = keccak256("Withdrawn(address,uint256)");',
  '    bytes32 internal constant CLAIMED = keccak256("Claimed(address,uint256)");',
  '    bytes32 internal constant POOL_DEPOSIT = keccak256("Deposit(address,address,uint256,uint256)");',
  '    bytes32 internal constant POOL_WITHDRAW = keccak256("Withdraw(address,address,address,uint256,uint256)");',
  '    bytes32 internal constant SETTLEMENT_CLAIMED = keccak256("SettlementClaimed(address,address,uint256,uint256)");',
  "",
  "    function _is(Vm.Log memory log, address emitter, bytes32 topic) internal pure returns (bool) {",
  "        return log.emitter == emitter && log.topics.length > 0 && log.topics[0] == topic;",
  "    }",
  "",
  "    /// @dev Whether the market changed its mode with this cause in these logs.",
  "    function _modeChangedWith(Vm.Log[] memory logs, uint8 cause) internal view returns (bool) {",
  "        for (uint256 i; i < logs.length; ++i) {",
  "            if (_is(logs[i], address(s.market), MODE_CHANGED) && abi.decode(logs[i].data, (uint8)) == cause) return true;",
  "        }",
  "        return false;",
  "    }",
  "",
  "    /// @dev |a - b| * 10_000 / b (0 when b is 0).",
  "    function _moveBps(uint256 a, uint256 b) internal pure returns (uint256) {",
  "        if (b == 0) return 0;",
  "        return ((a > b ? a - b : b - a) * 10_000) / b;",
  "    }",
];

export function planPromise(
  recording: Recording,
  txs: Tx[],
  plan: PromisePlan,
  msg: (text: string) => string,
): boolean {
  const f = recording.failure;
  const add = (map: Map<number, string[]>, key: number, ...stmts: string[]) =>
    map.set(key, [...(map.get(key) ?? []), ...stmts]);
  const everyTx = (...stmts: string[]) => {
    for (const t of txs) add(plan.afterTx, t.id, ...stmts);
  };
  const everyStep = (...stmts: string[]) => {
    for (const step of recording.steps) add(plan.afterStep, step.index, ...stmts);
  };
  const member = (...l: string[]) => plan.members.push(...l);
  const a = recording.addresses;
  const to = (t: Tx, address: string) => t.tx.to?.toLowerCase() === address.toLowerCase();
  const marketCall = (t: Tx) => (to(t, a.market) ? decodeCall(marketAbi as Abi, t.tx.input) : undefined);
  const isRefresh = (t: Tx) => marketCall(t)?.functionName === "refresh";
  const feedCall = (t: Tx) =>
    to(t, a.primaryFeed) || to(t, a.secondaryFeed)
      ? decodeCall(mockAggregatorAbi as Abi, t.tx.input)
      : undefined;

  switch (f.invariant) {
    case "no-exposure-no-mode-change": {
      plan.property =
        "an actor with nothing at stake (no position, no LP shares, no margin) never trips the breaker";
      member(
        "    /// @dev Whether an address has something at stake: a position, LP shares or margin.",
        "    function _atStake(address who) internal view returns (bool) {",
        "        AccountView memory v = s.lens.accountView(s.market, who);",
        "        return v.state.size != 0 || v.lpShares != 0 || v.state.margin > 0;",
        "    }",
      );
      for (const t of txs) {
        add(plan.beforeTx, t.id, `stake = _atStake(${getAddress(t.tx.from)});`);
        add(
          plan.afterTx,
          t.id,
          `assertFalse(!stake && _modeChangedWith(r.logs, 3), ${msg(`${oneLine(t.tx.call)} by ${getAddress(t.tx.from)}, with nothing at stake, changed the mode (OracleBreaker)`)});`,
        );
      }
      plan.start.push("bool stake;");
      break;
    }
    case "stale-by-time-no-trip": {
      plan.property =
        "time passing alone never trips the breaker: a reading stale with no new round pending only refuses";
      member(
        "    /// @dev The primary published a round the guard has not accepted since.",
        "    bool internal primaryPending;",
        "",
        "    /// @dev The class of the breaker trip in these logs (type(uint8).max when none).",
        "    function _tripClass(Vm.Log[] memory logs) internal view returns (uint8) {",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (_is(logs[i], address(s.market), BREAKER_TRIPPED)) {",
        "                (uint8 class,) = abi.decode(logs[i].data, (uint8, uint8));",
        "                return class;",
        "            }",
        "        }",
        "        return type(uint8).max;",
        "    }",
        "",
        "    function _followPending(Vm.Log[] memory logs) internal {",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (_is(logs[i], address(s.oracle), PRICE_ACCEPTED)) primaryPending = false;",
        "        }",
        "    }",
      );
      for (const t of txs) {
        add(
          plan.afterTx,
          t.id,
          `assertFalse(_tripClass(r.logs) == 1 && !primaryPending, ${msg(`${oneLine(t.tx.call)} tripped the breaker on a reading stale only because time passed`)});`,
        );
        const fn = feedCall(t)?.functionName;
        if (to(t, a.primaryFeed) && fn && fn !== "setBounds")
          add(plan.afterTx, t.id, "if (r.ok) primaryPending = true;");
        add(plan.afterTx, t.id, "_followPending(r.logs);");
      }
      break;
    }
    case "breaker-halt-ends": {
      plan.property = `a breaker halt ends within breakerValidReadings valid new rounds plus the cooldown, whatever anyone calls`;
      member(
        "    bool internal tripActive;",
        "    uint256 internal tripAt;",
        "    uint256 internal tripAccepted;",
        "    uint256 internal tripAfter; // the highest round seen bad since the trip: only rounds above it count",
        "    uint256 internal lastAcceptedRound;",
        "    bool internal breakerDue;",
        "",
        "    /// @dev Follows a breaker halt through one transaction; returns whether it was a refresh that came after",
        "    ///      enough valid new rounds and the cooldown (so the halt must end).",
        "    function _followBreaker(Vm.Log[] memory logs, bool refresh, bool ok) internal returns (bool) {",
        "        bool ended;",
        "        bool rejected; // a refresh that reads no trusted price resumes nothing",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            Vm.Log memory l = logs[i];",
        "            if (_is(l, address(s.market), BREAKER_TRIPPED)) {",
        "                (tripActive, tripAt, tripAccepted, tripAfter) = (true, block.timestamp, 0, lastAcceptedRound);",
        "            } else if (_is(l, address(s.oracle), PRICE_ACCEPTED)) {",
        "                lastAcceptedRound = uint256(l.topics[1]);",
        "                if (tripActive && lastAcceptedRound > tripAfter) ++tripAccepted;",
        "            } else if (_is(l, address(s.oracle), READING_REJECTED)) {",
        "                (uint80 roundId,) = abi.decode(l.data, (uint80, uint256));",
        "                uint256 class = uint256(l.topics[1]); // bad prices (NonPositive..TooVolatile) restart the count",
        "                rejected = true;",
        "                if (class >= 2 && class <= 5 && roundId > lastAcceptedRound && tripActive && roundId > tripAfter) {",
        "                    (tripAccepted, tripAfter) = (0, roundId);",
        "                }",
        "            } else if (_is(l, address(s.market), MODE_CHANGED)) {",
        "                uint8 cause = abi.decode(l.data, (uint8));",
        "                if (cause == 4 || cause == 0 || uint256(l.topics[2]) == 4) ended = true;",
        "            }",
        "        }",
        "        bool due = tripActive && refresh && ok && !ended && !rejected",
        "            && tripAccepted >= s.market.safetyParams().breakerValidReadings",
        "            && block.timestamp >= tripAt + s.market.safetyParams().breakerCooldown;",
        "        if (ended) tripActive = false;",
        "        return due;",
        "    }",
      );
      for (const t of txs) {
        add(plan.afterTx, t.id, `if (_followBreaker(r.logs, ${isRefresh(t)}, r.ok)) breakerDue = true;`);
      }
      everyStep(
        `assertFalse(breakerDue && tripActive && uint8(m.mode) == 3 && m.haltFlags == 1, string.concat(${msg("still Halted by the breaker after ")}, vm.toString(tripAccepted), " valid new rounds and the cooldown since the trip at t=", vm.toString(tripAt)));`,
        "breakerDue = false;",
      );
      break;
    }
    case "halt-liquidation-bounded": {
      plan.property = `a breaker halt never keeps an account unhealthy at the trusted price from liquidation for more than ${statedBounds.unliquidatableSeconds}s`;
      member(
        "    /// @dev When the current halt began (0: none seen yet), and since when each account is liquidatable.",
        "    uint256 internal haltBegan;",
        "    mapping(address => uint256) internal unhealthySince;",
        "",
        "    function _followHalt(Vm.Log[] memory logs) internal {",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (_is(logs[i], address(s.market), MODE_CHANGED)) {",
        "                if (uint256(logs[i].topics[2]) == 3 && uint256(logs[i].topics[1]) < 3) haltBegan = block.timestamp;",
        "            }",
        "        }",
        "    }",
        "",
        "    function _judgeHaltedLiquidation(MarketView memory v, AccountView[] memory list) internal {",
        "        for (uint256 i; i < list.length; ++i) {",
        "            AccountView memory acct = list[i];",
        "            if (acct.state.size == 0 || !acct.liquidatable) {",
        "                delete unhealthySince[acct.account];",
        "                continue;",
        "            }",
        "            uint256 since = unhealthySince[acct.account] == 0 ? v.timestamp : unhealthySince[acct.account];",
        "            unhealthySince[acct.account] = since;",
        "            if (uint8(v.mode) != 3 || v.haltFlags != 1) continue;",
        "            uint256 blocked = haltBegan > since ? haltBegan : since;",
        "            assertLe(",
        "                v.timestamp - blocked,",
        `                ${statedBounds.unliquidatableSeconds},`,
        `                string.concat(${msg("unliquidatable under the breaker's halt for longer than the bound: ")}, vm.toString(acct.account))`,
        "            );",
        "        }",
        "    }",
      );
      everyTx("_followHalt(r.logs);");
      everyStep("_judgeHaltedLiquidation(m, list);");
      break;
    }
    case "governance-acts-before-exit": {
      plan.property =
        "a halt is not settled (HaltedTooLong) before the owner timelock could execute a reopening queued when it halted";
      member(
        "    uint256 internal haltedSince;",
        "",
        "    function _judgeGovernanceFirst(Vm.Log[] memory logs) internal {",
        "        if (_modeChangedWith(logs, 9)) {",
        "            uint256 notBefore = haltedSince + g.timelock.getMinDelay();",
        "            assertGe(",
        "                block.timestamp,",
        "                notBefore,",
        `                string.concat(${msg("settled before governance could act: halted at t=")}, vm.toString(haltedSince), ", settled at t=", vm.toString(block.timestamp))`,
        "            );",
        "        }",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (_is(logs[i], address(s.market), MODE_CHANGED)) {",
        "                if (uint256(logs[i].topics[2]) == 3 && uint256(logs[i].topics[1]) < 3) haltedSince = block.timestamp;",
        "            }",
        "        }",
        "    }",
      );
      plan.start.push("haltedSince = m.haltedAt;");
      everyTx("_judgeGovernanceFirst(r.logs);");
      break;
    }
    case "state-tightening-clears": {
      plan.property =
        "a ReduceOnly caused only by the pool below its required backing is lifted once the pool is back above it";
      member(
        "    /// @dev The tightenings in force since the market was last loosened: cause and the mode it went to.",
        "    uint8[] internal tighteningCause;",
        "    uint8[] internal tighteningTo;",
        "",
        "    function _followTightenings(Vm.Log[] memory logs) internal {",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (!_is(logs[i], address(s.market), MODE_CHANGED)) continue;",
        "            uint8 from = uint8(uint256(logs[i].topics[1]));",
        "            uint8 to = uint8(uint256(logs[i].topics[2]));",
        "            if (to > from) {",
        "                tighteningCause.push(abi.decode(logs[i].data, (uint8)));",
        "                tighteningTo.push(to);",
        "                continue;",
        "            }",
        "            uint256 kept;",
        "            for (uint256 j; j < tighteningTo.length; ++j) {",
        "                if (tighteningTo[j] <= to) {",
        "                    tighteningCause[kept] = tighteningCause[j];",
        "                    tighteningTo[kept++] = tighteningTo[j];",
        "                }",
        "            }",
        "            while (tighteningTo.length > kept) {",
        "                tighteningTo.pop();",
        "                tighteningCause.pop();",
        "            }",
        "        }",
        "    }",
        "",
        "    function _judgeStateTightening(MarketView memory v) internal view {",
        "        if (uint8(v.mode) != 2) return;",
        "        uint256 inForce;",
        "        for (uint256 j; j < tighteningTo.length; ++j) {",
        "            if (tighteningTo[j] < 2) continue;",
        "            if (tighteningCause[j] != 7) return;",
        "            ++inForce;",
        "        }",
        "        if (inForce == 0) return;",
        "        uint256 net = v.agg.netSize < 0 ? uint256(-v.agg.netSize) : uint256(v.agg.netSize);",
        "        uint256 notional = (net * v.price + 1e30 - 1) / 1e30;",
        "        uint256 required = (notional * v.risk.minBacking + 1e18 - 1) / 1e18;",
        "        assertLe(",
        "            v.poolEquity,",
        "            int256(required),",
        `            string.concat(${msg("still ReduceOnly (PoolBelowBacking) with pool equity above the required backing ")}, vm.toString(required))`,
        "        );",
        "    }",
      );
      everyTx("_followTightenings(r.logs);");
      everyStep("_judgeStateTightening(m);");
      break;
    }
    case "profit-can-close": {
      plan.property =
        "whoever is in profit can reduce or close whenever the mode allows it (refused only by the mode, an untrusted reading, its own price limit or its own margin at the execution price)";
      const legit = [
        "MarketNotAllowed",
        "MarketOracleNotValid",
        "MarketPriceLimit",
        "MarketAccountInsolvent",
      ].map((name) => {
        const error = marketAbi.find((i) => i.type === "error" && i.name === name);
        if (error?.type !== "error") throw new Error(`the market's ABI has no error ${name}`);
        return toFunctionSelector(`${name}(${error.inputs.map((i) => i.type).join(",")})`);
      });
      member(
        "    /// @dev The step being replayed, and the step in which each account's position last changed.",
        "    uint256 internal stepCount = 1;",
        "    mapping(address => uint256) internal movedInStep;",
        "",
        "    function _followMoved(Vm.Log[] memory logs) internal {",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (_is(logs[i], address(s.market), POSITION_MODIFIED) || _is(logs[i], address(s.market), LIQUIDATED)) {",
        "                movedInStep[address(uint160(uint256(logs[i].topics[1])))] = stepCount;",
        "            }",
        "        }",
        "    }",
        "",
        "    /// @dev Whether a close or reduce by `who` was refused for a reason other than the mode, an untrusted",
        "    ///      reading or its own price limit while it was in profit (`before`: the previous step's read, so judged",
        "    ///      only until the account's position first changes in the step).",
        "    function _winnerRefused(",
        "        Result memory r,",
        "        address who,",
        "        AccountView memory before,",
        "        uint8 mode,",
        "        int256 delta,",
        "        bool close",
        "    ) internal view returns (bool) {",
        "        if (r.ok || before.state.size == 0 || mode > 2 || movedInStep[who] == stepCount) return false;",
        "        if (r.ret.length >= 4) {",
        "            bytes4 sel = bytes4(r.ret);",
        `            if (${legit.map((s) => `sel == ${s}`).join(" || ")}) return false;`,
        "        }",
        "        if (!close) {",
        "            int256 size = before.state.size;",
        "            uint256 d = delta < 0 ? uint256(-delta) : uint256(delta);",
        "            uint256 sz = size < 0 ? uint256(-size) : uint256(size);",
        "            if ((delta > 0) == (size > 0) || d > sz) return false;",
        "        }",
        "        return before.equity - before.state.margin > 0;",
        "    }",
      );
      for (const t of txs) {
        const call = marketCall(t);
        if (call?.functionName !== "closePosition" && call?.functionName !== "modifyPosition") continue;
        const i = recording.accounts.findIndex((x) => x.toLowerCase() === t.tx.from.toLowerCase());
        if (i < 0) continue;
        const close = call.functionName === "closePosition";
        const delta = close ? 0n : (call.args[0] as bigint);
        add(
          plan.afterTx,
          t.id,
          `assertFalse(_winnerRefused(r, ${getAddress(t.tx.from)}, list[${i}], uint8(m.mode), ${delta}, ${close}), string.concat(${msg(`${oneLine(t.tx.call)} by ${getAddress(t.tx.from)}, in profit, reverted: `)}, vm.toString(r.ret)));`,
        );
      }
      everyTx("_followMoved(r.logs);");
      everyStep("++stepCount;");
      break;
    }
    case "withdrawn-profit-backed": {
      plan.property =
        "nobody withdraws profit that exists only at a price the market later abandons (no bad debt, no negative equity after it)";
      member(
        "    /// @dev Accounts that withdrew margin while open down to below the initial requirement.",
        "    mapping(address => bool) internal withdrewProfit;",
        "",
        "    function _followWithdrawnProfit(Vm.Log[] memory logs) internal {",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (_is(logs[i], address(s.market), BAD_DEBT)) {",
        "                address who = address(uint160(uint256(logs[i].topics[1])));",
        "                (uint256 deficit,,) = abi.decode(logs[i].data, (uint256, uint256, uint256));",
        "                assertFalse(",
        "                    withdrewProfit[who],",
        `                    string.concat(${msg("bad debt after profit was withdrawn while open: ")}, vm.toString(who), " deficit ", vm.toString(deficit))`,
        "                );",
        "            }",
        "        }",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (!_is(logs[i], address(s.market), WITHDRAWN)) continue;",
        "            AccountView memory v = s.lens.accountView(s.market, address(uint160(uint256(logs[i].topics[1]))));",
        "            if (v.state.size != 0 && v.state.margin < int256(v.initialRequired)) withdrewProfit[v.account] = true;",
        "        }",
        "    }",
        "",
        "    function _judgeNegativeAfterProfit(AccountView[] memory list) internal view {",
        "        for (uint256 i; i < list.length; ++i) {",
        "            if (!withdrewProfit[list[i].account] || list[i].state.size == 0) continue;",
        "            assertGe(",
        "                list[i].equity,",
        "                0,",
        `                string.concat(${msg("negative equity after profit was withdrawn while open: ")}, vm.toString(list[i].account))`,
        "            );",
        "        }",
        "    }",
      );
      everyTx("_followWithdrawnProfit(r.logs);");
      everyStep("_judgeNegativeAfterProfit(list);");
      break;
    }
    case "single-actor-take-bounded": {
      plan.property =
        `no single actor takes more than ${statedBounds.maxTakeBps} bps of the most the pool could have been worth, ` +
        `per ${statedBounds.profitWindow}s profit window of the market`;
      member(
        "    /// @dev Per actor, collateral taken out of the market and the pool less collateral put in.",
        "    mapping(address => int256) internal taken;",
        "    address[] internal takers;",
        "    mapping(address => bool) internal isTaker;",
        "    /// @dev The pool's value ceiling: the peak of its cash plus every margin, plus deposits since.",
        "    int256 internal poolValueCeiling;",
        "    /// @dev The market's profit windows (one room every close shares): when the last began, how many did.",
        "    uint256 internal windowStart;",
        "    uint256 internal windowCount;",
        '    bytes32 internal constant PROFIT_CAPPED = keccak256("ProfitCapped(address,int256,int256)");',
        "",
        "    function _putIn(address who, uint256 amount) internal {",
        "        taken[who] -= int256(amount);",
        "    }",
        "",
        "    function _tookOut(address who, uint256 amount) internal {",
        "        taken[who] += int256(amount);",
        "        if (!isTaker[who]) {",
        "            isTaker[who] = true;",
        "            takers.push(who);",
        "        }",
        "    }",
        "",
        "    function _baselineTakes(MarketView memory v, AccountView[] memory list) internal {",
        "        poolValueCeiling = v.agg.poolCash + int256(v.agg.totalMargin);",
        "        for (uint256 i; i < list.length; ++i) {",
        "            uint256 lp = v.poolShareSupply == 0 ? 0 : (list[i].lpShares * uint256(v.poolEquity)) / v.poolShareSupply;",
        "            _putIn(list[i].account, (list[i].state.margin > 0 ? uint256(list[i].state.margin) : 0) + lp);",
        "        }",
        "    }",
        "",
        "    function _profitClose() internal {",
        "        if (windowCount == 0 || block.timestamp >= windowStart + " +
          `${statedBounds.profitWindow}` +
          ") {",
        "            windowStart = block.timestamp;",
        "            ++windowCount;",
        "        }",
        "    }",
        "",
        "    function _followTakes(Vm.Log[] memory logs) internal {",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            Vm.Log memory l = logs[i];",
        "            if (_is(l, address(s.market), DEPOSITED)) {",
        "                uint256 amount = abi.decode(l.data, (uint256));",
        "                _putIn(address(uint160(uint256(l.topics[1]))), amount);",
        "                poolValueCeiling += int256(amount);",
        "            } else if (_is(l, address(s.market), POSITION_MODIFIED)) {",
        "                (,, int256 realised,,) = abi.decode(l.data, (int256, uint256, int256, uint256, int256));",
        "                if (realised > 0) _profitClose();",
        "            } else if (_is(l, address(s.market), PROFIT_CAPPED)) {",
        "                _profitClose();",
        "            } else if (_is(l, address(s.market), CLAIMED) || _is(l, address(s.market), WITHDRAWN)) {",
        "                _tookOut(address(uint160(uint256(l.topics[1]))), abi.decode(l.data, (uint256)));",
        "            } else if (_is(l, address(s.pool), POOL_DEPOSIT)) {",
        "                (uint256 assets,) = abi.decode(l.data, (uint256, uint256));",
        "                _putIn(address(uint160(uint256(l.topics[2]))), assets);",
        "                poolValueCeiling += int256(assets);",
        "            } else if (_is(l, address(s.pool), POOL_WITHDRAW)) {",
        "                (uint256 assets,) = abi.decode(l.data, (uint256, uint256));",
        "                _tookOut(address(uint160(uint256(l.topics[3]))), assets);",
        "            } else if (_is(l, address(s.pool), SETTLEMENT_CLAIMED)) {",
        "                (, uint256 assets) = abi.decode(l.data, (uint256, uint256));",
        "                _tookOut(address(uint160(uint256(l.topics[1]))), assets);",
        "            }",
        "        }",
        "    }",
        "",
        "    function _judgeTake(MarketView memory v) internal {",
        "        int256 value = v.agg.poolCash + int256(v.agg.totalMargin);",
        "        if (value > poolValueCeiling) poolValueCeiling = value;",
        "        uint256 windows = windowCount == 0 ? 1 : windowCount;",
        `        int256 cap = (poolValueCeiling * ${statedBounds.maxTakeBps} * int256(windows)) / 10_000;`,
        "        for (uint256 i; i < takers.length; ++i) {",
        "            assertLe(",
        "                taken[takers[i]],",
        "                cap,",
        `                string.concat(${msg("one actor took more than the stated fraction of the pool: ")}, vm.toString(takers[i]))`,
        "            );",
        "        }",
        "    }",
      );
      plan.start.push("_baselineTakes(m, list);");
      everyTx("_followTakes(r.logs);");
      everyStep("_judgeTake(m);");
      break;
    }
    case "front-run-bounded": {
      plan.property = `a trader's open-close around one oracle round (within ${statedBounds.roundTripBlocks} blocks) earns at most the move beyond ${statedBounds.frontRunThresholdBps} bps of notional`;
      member(
        "    struct Opened {",
        "        bool open;",
        "        uint256 blockNumber;",
        "        uint256 at;",
        "        uint256 roundsBefore;",
        "        uint256 fees;",
        "        int256 realised;",
        "        uint256 notional;",
        "        uint256 price;",
        "        uint256 roundPrice;",
        "    }",
        "",
        "    mapping(address => Opened) internal opened;",
        "    uint256 internal roundsAccepted;",
        "    uint256 internal acceptedPrice;",
        "",
        "    function _judgeTraderRoundTrip(Vm.Log[] memory logs) internal {",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (!_is(logs[i], address(s.oracle), PRICE_ACCEPTED)) continue;",
        "            ++roundsAccepted;",
        "            (acceptedPrice,,,) = abi.decode(logs[i].data, (uint256, uint256, uint256, uint256));",
        "        }",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            Vm.Log memory l = logs[i];",
        "            address who = address(uint160(uint256(l.topics.length > 1 ? l.topics[1] : bytes32(0))));",
        "            if (_is(l, address(s.market), LIQUIDATED)) {",
        "                delete opened[who];",
        "                continue;",
        "            }",
        "            if (!_is(l, address(s.market), POSITION_MODIFIED)) continue;",
        "            (int256 delta, uint256 price, int256 realised, uint256 fee, int256 newSize) =",
        "                abi.decode(l.data, (int256, uint256, int256, uint256, int256));",
        "            if (newSize - delta == 0) {",
        "                uint256 d = delta < 0 ? uint256(-delta) : uint256(delta);",
        "                opened[who] = Opened(",
        "                    true, block.number, block.timestamp, roundsAccepted, fee, 0, (d * price) / 1e30, price, _roundPrice(price)",
        "                );",
        "                continue;",
        "            }",
        "            Opened storage o = opened[who];",
        "            if (!o.open) continue;",
        "            o.fees += fee;",
        "            o.realised += realised;",
        "            if (newSize != 0) continue;",
        "            Opened memory done = o;",
        "            delete opened[who];",
        `            if (block.number - done.blockNumber > ${statedBounds.roundTripBlocks} || block.timestamp - done.at > ${statedBounds.roundTripSeconds}) continue;`,
        "            if (roundsAccepted == done.roundsBefore) continue;",
        "            uint256 move = _frontRunMove(price, done);",
        `            uint256 beyond = move > ${statedBounds.frontRunThresholdBps} ? move - ${statedBounds.frontRunThresholdBps} : 0;`,
        `            int256 bound = int256((done.notional * (beyond * 100 + move)) / 1_000_000 + ${UNIT});`,
        "            assertLe(",
        "                done.realised - int256(done.fees),",
        "                bound,",
        `                string.concat(${msg("an open-close around an oracle round earned more than the move beyond the stated threshold: ")}, vm.toString(who))`,
        "            );",
        "        }",
        "    }",
        "",
        "    /// @dev The last accepted round's price (the execution price before any was accepted).",
        "    function _roundPrice(uint256 price) internal view returns (uint256) {",
        "        return acceptedPrice == 0 ? price : acceptedPrice;",
        "    }",
        "",
        "    /// @dev The larger of the execution prices' move and the accepted rounds' move since the open (bps).",
        "    function _frontRunMove(uint256 price, Opened memory done) internal view returns (uint256) {",
        "        uint256 executed = _moveBps(price, done.price);",
        "        uint256 round = _moveBps(_roundPrice(price), done.roundPrice);",
        "        return round > executed ? round : executed;",
        "    }",
      );
      everyTx("_judgeTraderRoundTrip(r.logs);");
      break;
    }
    case "round-trip-bounded":
    case "outflow-room-not-consumed": {
      const round = f.invariant === "round-trip-bounded";
      plan.property = round
        ? `no LP round trip (redeem within ${statedBounds.roundTripBlocks} blocks of the deposit) around an oracle round earns more than its holding-time share + ${statedBounds.roundTripToleranceBps} bps`
        : `an LP round trip within ${statedBounds.roundTripBlocks} blocks leaves everyone else the outflow room they had before it, less the stated ${statedBounds.outflowReturnBps} bps`;
      member(...lpFlowMembers(round, msg));
      plan.start.push("_baselineRounds(m);");
      for (const t of txs) add(plan.afterTx, t.id, "_followLpFlows(r.logs, m);");
      if (!round) everyStep("_judgeOutflowRooms(m);");
      break;
    }
    case "no-estimator-liquidation": {
      plan.property = `an account that survived a move is not liquidated later by the volatility estimator alone (same price within ${statedBounds.samePriceBps} bps, same position, equity above what it survived with)`;
      member(
        "    struct HealthyMark {",
        "        bool set;",
        "        uint256 at;",
        "        uint256 price;",
        "        int256 size;",
        "        uint256 maintenance;",
        "        bool moved; // an accepted round since then was more than the band from its price",
        "    }",
        "",
        "    mapping(address => HealthyMark) internal healthyMark;",
        "",
        "    /// @dev Marks the accounts whose price an accepted round in these logs left (a step can move 10 % and back).",
        "    function _followMarkRounds(Vm.Log[] memory logs, AccountView[] memory list) internal {",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (!_is(logs[i], address(s.oracle), PRICE_ACCEPTED)) continue;",
        "            (uint256 price,,,) = abi.decode(logs[i].data, (uint256, uint256, uint256, uint256));",
        "            for (uint256 j; j < list.length; ++j) {",
        "                HealthyMark storage mark = healthyMark[list[j].account];",
        `                if (mark.set && _moveBps(price, mark.price) > ${statedBounds.samePriceBps}) mark.moved = true;`,
        "            }",
        "        }",
        "    }",
        "",
        "    function _followHealth(MarketView memory v, AccountView[] memory list) internal {",
        "        for (uint256 i; i < list.length; ++i) {",
        "            AccountView memory acct = list[i];",
        "            if (acct.state.size == 0) {",
        "                delete healthyMark[acct.account];",
        "                continue;",
        "            }",
        "            HealthyMark memory mark = healthyMark[acct.account];",
        `            if (mark.set && !mark.moved && mark.size == acct.state.size && _moveBps(v.price, mark.price) <= ${statedBounds.samePriceBps}) continue;`,
        "            if (acct.equity >= int256(acct.maintenanceRequired) && acct.maintenanceRequired > 0) {",
        "                healthyMark[acct.account] = HealthyMark(true, v.timestamp, v.price, acct.state.size, acct.maintenanceRequired, false);",
        "            } else {",
        "                delete healthyMark[acct.account];",
        "            }",
        "        }",
        "    }",
        "",
        "    /// @dev `list`: the accounts as the previous step left them.",
        "    function _judgeEstimatorLiquidation(Vm.Log[] memory logs, AccountView[] memory list) internal view {",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (!_is(logs[i], address(s.market), LIQUIDATED)) continue;",
        "            address who = address(uint160(uint256(logs[i].topics[1])));",
        "            (int256 size, uint256 price,,) = abi.decode(logs[i].data, (int256, uint256, uint256, uint256));",
        "            HealthyMark memory mark = healthyMark[who];",
        "            if (!mark.set || mark.moved || mark.size != size) continue;",
        "            for (uint256 j; j < list.length; ++j) {",
        "                if (list[j].account != who) continue;",
        `                if (_moveBps(price, mark.price) > ${statedBounds.samePriceBps} || list[j].equity < int256(mark.maintenance)) continue;`,
        "                revert(",
        "                    string.concat(",
        `                        ${msg("liquidated by the estimator alone at the price it survived: ")},`,
        "                        vm.toString(who),",
        '                        ", healthy since t=",',
        "                        vm.toString(mark.at),",
        '                        ", equity before ",',
        "                        vm.toString(list[j].equity),",
        '                        " >= maintenance then ",',
        "                        vm.toString(mark.maintenance)",
        "                    )",
        "                );",
        "            }",
        "        }",
        "    }",
      );
      everyTx("_judgeEstimatorLiquidation(r.logs, list);", "_followMarkRounds(r.logs, list);");
      everyStep("_followHealth(m, list);");
      break;
    }
    case "jump-confirmed": {
      plan.property =
        "an accepted round beyond the jump band is confirmed by a fresh secondary within the divergence band, or the primary published that level for jumpResetAfter";
      member(
        "    /// @dev The rounds the feeds published (successful setAnswer/setAnswerAt): answer and updatedAt.",
        "    int256[] internal primaryAnswers;",
        "    uint256[] internal primaryUpdatedAt;",
        "    int256 internal secondaryAnswer;",
        "    uint256 internal secondaryUpdatedAt;",
        "    bool internal secondaryPublished;",
        "    uint256 internal lastAcceptedPrice;",
        "",
        "    function _published(bool primary, int256 answer, uint256 updatedAt) internal {",
        "        if (primary) {",
        "            primaryAnswers.push(answer);",
        "            primaryUpdatedAt.push(updatedAt);",
        "        } else {",
        "            (secondaryAnswer, secondaryUpdatedAt, secondaryPublished) = (answer, updatedAt, true);",
        "        }",
        "    }",
        "",
        "    function _judgeJump(Vm.Log[] memory logs) internal {",
        "        uint256 band = s.oracle.params().jumpBand;",
        "        for (uint256 i; i < logs.length; ++i) {",
        "            if (!_is(logs[i], address(s.oracle), PRICE_ACCEPTED)) continue;",
        "            (uint256 price,,,) = abi.decode(logs[i].data, (uint256, uint256, uint256, uint256));",
        "            uint256 from = lastAcceptedPrice;",
        "            lastAcceptedPrice = price;",
        "            if (_moveBps(price, from) * 1e18 <= band * 10_000) continue;",
        "            bool confirmed = secondaryPublished && block.timestamp - secondaryUpdatedAt <= s.oracle.params().secondaryMaxAge",
        "                && _moveBps(price, uint256(secondaryAnswer) * 1e10) * 1e18 <= uint256(s.oracle.params().divergenceBand) * 10_000;",
        "            assertTrue(",
        "                confirmed || _persisted(price, band),",
        `                string.concat(${msg("a move beyond the jump band was accepted unconfirmed: from ")}, vm.toString(from), " to ", vm.toString(price))`,
        "            );",
        "        }",
        "    }",
        "",
        "    function _persisted(uint256 price, uint256 band) internal view returns (bool) {",
        "        uint256 since;",
        "        for (uint256 i = primaryAnswers.length; i > 0; --i) {",
        "            if (_moveBps(uint256(primaryAnswers[i - 1]) * 1e10, price) * 1e18 > band * 10_000) break;",
        "            since = primaryUpdatedAt[i - 1];",
        "        }",
        "        return since != 0 && block.timestamp - since >= s.oracle.params().jumpResetAfter;",
        "    }",
      );
      plan.start.push("lastAcceptedPrice = m.price;");
      for (const t of txs) {
        const call = feedCall(t);
        if (call && (call.functionName === "setAnswer" || call.functionName === "setAnswerAt")) {
          const primary = to(t, a.primaryFeed);
          const updatedAt = call.functionName === "setAnswerAt" ? (call.args[1] as bigint) : t.tx.timestamp;
          add(plan.afterTx, t.id, `if (r.ok) _published(${primary}, ${call.args[0]}, ${updatedAt});`);
        }
        add(plan.afterTx, t.id, "_judgeJump(r.logs);");
      }
      break;
    }
    default:
      return false;
  }
  plan.members.unshift(...common);
  return true;
}

/** The LP round-trip ledger (deposits paired with a redeem of the same owner within a few blocks). */
function lpFlowMembers(round: boolean, msg: (text: string) => string): string[] {
  const judge = round
    ? [
        "    function _judgeLpRoundTrip(Entry memory e, uint256 assets, uint256 shares) internal view {",
        "        if (roundAt.length == e.roundsBefore || block.timestamp - e.at >= s.pool.outflowWindow()) return;",
        "        uint256 part = shares < e.shares ? shares : e.shares;",
        "        uint256 out = (assets * part) / shares;",
        "        uint256 inn = (e.assets * part) / e.shares;",
        "        int256 profit = int256(out) - int256(inn);",
        "        // What the round paid this capital: its shares at the pool's equity at the mark as the redeem found it.",
        "        uint256 atMark = (part * (uint256(s.market.poolEquity()) + assets + 1)) / (s.pool.totalSupply() + shares + 1e6);",
        "        int256 paid = int256(atMark) - int256(inn);",
        "        uint256 last = roundAt[roundAt.length - 1];",
        "        uint256 during = roundAt.length - e.roundsBefore;",
        "        uint256 interval = roundAt.length > during ? last - roundAt[roundAt.length - during - 1] : last;",
        "        uint256 held = block.timestamp - e.at;",
        "        uint256 share = interval == 0 || paid <= 0 ? 0 : (uint256(paid) * (held < interval ? held : interval)) / interval;",
        `        uint256 bound = (inn * ${statedBounds.roundTripToleranceBps}) / 10_000 + ${UNIT} + share;`,
        "        assertLe(",
        "            profit,",
        "            int256(bound),",
        `            string.concat(${msg("an LP round trip around an oracle round earned more than its holding-time share: held ")}, vm.toString(held), "s of ", vm.toString(interval), "s")`,
        "        );",
        "    }",
      ]
    : [
        "    /// @dev Round trips completed in the current step, judged against the step's end state.",
        "    Trip[] internal roundTrips;",
        "",
        "    struct Trip {",
        "        Entry entry;",
        "        uint256 assets;",
        "        uint256 blocksApart;",
        "    }",
        "",
        "    function _judgeLpRoundTrip(Entry memory e, uint256 assets, uint256) internal {",
        "        roundTrips.push(Trip(e, assets, block.number - e.blockNumber));",
        "    }",
        "",
        "    function _judgeOutflowRooms(MarketView memory v) internal {",
        "        for (uint256 i; i < roundTrips.length; ++i) {",
        "            Trip memory t = roundTrips[i];",
        "            int256 extra = t.assets > t.entry.assets ? int256(t.assets - t.entry.assets) : int256(0);",
        "            int256 fall = t.entry.equityBefore > v.poolEquity ? t.entry.equityBefore - v.poolEquity : int256(0);",
        "            int256 othersOut = t.entry.othersNet > 0 ? t.entry.othersNet : int256(0);",
        "            int256 maxOutflow = int256(uint256(s.pool.maxOutflow()));",
        "            int256 before = int256(t.entry.roomBefore) - extra - othersOut - (maxOutflow * fall) / 1e18;",
        "            // Capital that stayed a whole window is any LP's; a shorter stay takes its stated share of the room.",
        "            if (block.timestamp - t.entry.at >= s.pool.outflowWindow()) continue;",
        "            int256 fresh = (maxOutflow * (v.poolEquity > 0 ? v.poolEquity : int256(0))) / 1e18 - othersOut - extra",
        "                - ((1e18 - maxOutflow) * int256(t.assets) * int256(block.timestamp - t.entry.at))",
        "                    / (1e18 * int256(s.pool.outflowWindow()));",
        "            int256 expected = before < fresh ? before : fresh;",
        "            // The protocol's stated share of the room that capital returning within the window may take.",
        `            int256 allowance = expected > 0 ? (expected * ${statedBounds.outflowReturnBps}) / 10_000 : int256(0);`,
        "            assertGe(",
        `                int256(v.poolOutflowAvailable) + ${UNIT} + allowance,`,
        "                expected,",
        `                string.concat(${msg("a round trip ")}, vm.toString(t.blocksApart), " block(s) apart consumed others' outflow room")`,
        "            );",
        "        }",
        "        delete roundTrips;",
        "    }",
      ];
  return [
    "    struct Entry {",
    "        uint256 blockNumber;",
    "        uint256 at;",
    "        uint256 assets;",
    "        uint256 shares;",
    "        uint256 roomBefore;",
    "        int256 equityBefore;",
    "        int256 othersNet;",
    "        uint256 roundsBefore;",
    "    }",
    "",
    "    /// @dev Accepted rounds' times (the baseline's first), and each LP's deposits still within the window.",
    "    uint256[] internal roundAt;",
    "    address[] internal lpOwners;",
    "    mapping(address => Entry[]) internal lpEntries;",
    "    mapping(address => bool) internal isLpOwner;",
    "",
    "    function _baselineRounds(MarketView memory v) internal {",
    "        roundAt.push(v.priceUpdatedAt);",
    "    }",
    "",
    "    function _others(address lp, int256 amount) internal {",
    "        for (uint256 i; i < lpOwners.length; ++i) {",
    "            if (lpOwners[i] == lp) continue;",
    "            Entry[] storage list = lpEntries[lpOwners[i]];",
    "            for (uint256 j; j < list.length; ++j) list[j].othersNet += amount;",
    "        }",
    "    }",
    "",
    "    /// @dev Keeps the owner's entries within the round-trip window, in blocks and less than an outflow window in",
    "    ///      time (in order); when `take`, removes and returns the latest of them (the deposit a redeem pairs with).",
    "    function _prune(address owner, bool take) internal returns (bool found, Entry memory last) {",
    "        Entry[] storage list = lpEntries[owner];",
    "        uint256 kept;",
    "        for (uint256 j; j < list.length; ++j) {",
    `            if (block.number - list[j].blockNumber > ${statedBounds.roundTripBlocks}) continue;`,
    "            if (block.timestamp - list[j].at >= s.pool.outflowWindow()) continue;",
    "            list[kept++] = list[j];",
    "        }",
    "        while (list.length > kept) list.pop();",
    "        if (take && kept > 0) {",
    "            (found, last) = (true, list[kept - 1]);",
    "            list.pop();",
    "        }",
    "    }",
    "",
    "    /// @dev `v`: the market as the previous step left it (room and equity before a deposit).",
    "    function _followLpFlows(Vm.Log[] memory logs, MarketView memory v) internal {",
    "        for (uint256 i; i < logs.length; ++i) {",
    "            if (_is(logs[i], address(s.oracle), PRICE_ACCEPTED)) roundAt.push(block.timestamp);",
    "        }",
    "        for (uint256 i; i < logs.length; ++i) {",
    "            Vm.Log memory l = logs[i];",
    "            if (_is(l, address(s.pool), POOL_DEPOSIT)) {",
    "                address owner = address(uint160(uint256(l.topics[2])));",
    "                (uint256 assets, uint256 shares) = abi.decode(l.data, (uint256, uint256));",
    "                _others(owner, -int256(assets));",
    "                if (!isLpOwner[owner]) {",
    "                    isLpOwner[owner] = true;",
    "                    lpOwners.push(owner);",
    "                }",
    "                lpEntries[owner].push(",
    "                    Entry(block.number, block.timestamp, assets, shares, v.poolOutflowAvailable, v.poolEquity, 0, roundAt.length)",
    "                );",
    "            } else if (_is(l, address(s.pool), POOL_WITHDRAW)) {",
    "                address owner = address(uint160(uint256(l.topics[3])));",
    "                (uint256 assets, uint256 shares) = abi.decode(l.data, (uint256, uint256));",
    "                _others(owner, int256(assets));",
    "                (bool found, Entry memory e) = _prune(owner, true);",
    "                if (found) _judgeLpRoundTrip(e, assets, shares);",
    "            }",
    "        }",
    "        for (uint256 i; i < lpOwners.length; ++i) _prune(lpOwners[i], false);",
    "    }",
    "",
    ...judge,
  ];
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
