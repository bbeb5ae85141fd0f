import { type Address, createWalletClient, custom, type Hash, type TransactionReceipt } from "viem";
import {
  type CreateKeeperParameters,
  createKeeper,
  type Keeper,
  type KeeperIo,
  type KeeperState,
} from "../../../src-ts/keeper/index.js";
import type { KeeperAction, KeeperActionKind } from "../../../src-ts/keeper/report.js";
import { COLLATERAL_DECIMALS } from "../../model/defaults.js";
import { calls } from "../calls.js";
import type { Planned, Step } from "../step.js";
import { assertOnChain, classify } from "./exec.js";
import type { World } from "./world.js";

/**
 * The project's off-chain keeper (src-ts/keeper/) running inside scenarios as part of the system under
 * test: a prompt one that liquidates everything it can each tick, and a slow one (one call per tick).
 */
export type ScenarioKeepers = { prompt: Keeper; slow: Keeper };

// The keepers' wallet clients hold no state of a run: made once per world (a viem client is costly to make).
const walletClients = new WeakMap<World, Map<Address, CreateKeeperParameters["walletClient"]>>();
function walletClientOf(w: World, account: Address): CreateKeeperParameters["walletClient"] {
  let byAccount = walletClients.get(w);
  if (!byAccount) {
    byAccount = new Map();
    walletClients.set(w, byAccount);
  }
  let client = byAccount.get(account);
  if (!client) {
    // A JSON-RPC account over the world's own connection: works for dev and impersonated accounts alike.
    client = createWalletClient({
      account,
      chain: w.clients.chain,
      transport: custom({ request: (args) => w.clients.publicClient.request(args) }),
    });
    byAccount.set(account, client);
  }
  return client;
}

/** Fresh keepers for one run (they discover accounts from the chain, and a reset rewinds it). */
export function createScenarioKeepers(w: World): ScenarioKeepers {
  const make = (account: Address, extra: Partial<CreateKeeperParameters>) =>
    createKeeper({
      publicClient: w.clients.publicClient as CreateKeeperParameters["publicClient"],
      walletClient: walletClientOf(w, account),
      market: w.system.addresses.market,
      lens: w.system.addresses.lens,
      ...extra,
    });
  const [k0, k1] = w.actors.keepers as [Address, Address];
  return { prompt: make(k0, {}), slow: make(k1, { maxLiquidationsPerTick: 1 }) };
}

/**
 * One keeper tick, mirrored into the model: every transaction it sent (in block order) is predicted by
 * the model at its block and compared with its receipt, like any other step transaction.
 */
export async function keeperTick(step: Step, keeper: Keeper, from: Address): Promise<void> {
  const { w } = step;
  if (step.speculative) {
    await keeper.tick(modelIo(step, from));
    return;
  }
  assertOnChain(w, "the keeper");
  const report = await keeper.tick();
  const sent: { kind: KeeperActionKind; account?: Address | undefined; hash: Hash }[] = [];
  for (const item of [...report.actions, ...report.errors] as (KeeperAction & { hash?: Hash })[]) {
    if (item.hash) sent.push({ kind: item.kind, account: item.account, hash: item.hash });
  }
  const receipts = await Promise.all(
    sent.map(
      (s) => w.clients.publicClient.getTransactionReceipt({ hash: s.hash }) as Promise<TransactionReceipt>,
    ),
  );
  const order = sent.map((s, i) => ({ s, receipt: receipts[i] as TransactionReceipt }));
  order.sort(
    (a, b) =>
      Number(a.receipt.blockNumber - b.receipt.blockNumber) ||
      a.receipt.transactionIndex - b.receipt.transactionIndex,
  );
  for (const { s, receipt } of order) {
    if (receipt.blockNumber !== w.clock.block + 1n) {
      throw new Error(
        `keeper transaction ${s.hash} in block ${receipt.blockNumber}, expected ${w.clock.block + 1n}`,
      );
    }
    w.clock.mined(receipt);
    const planned = plan(w, from, s.kind, s.account);
    step.mirror(planned, await classify(w, planned.request.label, receipt));
  }
}

/**
 * The keeper's reads and transactions on a step that runs on simulated blocks: it reads what the model
 * knows (the Lens view, the oracle's peek, checked against the chain after every step), checks each call
 * as an eth_call would (the model at the latest block, applied to nothing), and sends through the step,
 * one block per transaction as on the chain. A difference from what the real keeper would have done can
 * only change which runs confirm on mined blocks, never what is reported.
 */
function modelIo(step: Step, from: Address): KeeperIo {
  const { w, m } = step;
  const port = m.port;
  const { actors } = m;
  // Discovery order on the chain: the baseline's margin deposits first (world.ts fund), then the rest.
  const order = [actors.neverTrader, actors.attacker, ...actors.traders, ...actors.accounts];
  const accounts = () => {
    const seen = new Set<string>();
    return order.filter((a) => {
      const key = a.toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      const account = port.account(a);
      return account.margin !== 0n || account.size !== 0n;
    });
  };
  return {
    async head() {
      port.advanceTo(w.clock.latest);
      return { number: w.clock.block, timestamp: w.clock.latest, added: [], rescanned: false };
    },
    accounts,
    async readState(list) {
      port.advanceTo(w.clock.latest);
      const view = port.view(list);
      return {
        market: { ...view.market, blockNumber: w.clock.block },
        accounts: [...view.accounts],
        peek: port.peek(),
      } as unknown as KeeperState;
    },
    exitOpensAt: async () => port.exitOpensAt(),
    collateralDecimals: async () => COLLATERAL_DECIMALS,
    async transact(kind, account, expected) {
      const planned = plan(w, from, kind, account);
      const check = port.probe(planned.action, w.clock.latest);
      if (check.status === "reverted") {
        const revert = { name: check.error, text: check.error, raw: undefined };
        return expected.has(check.error)
          ? { kind: "skipped", revert }
          : { kind: "failed", message: check.error, revert };
      }
      const { actual } = await step.act(planned);
      if (actual.status === "reverted") return { kind: "failed", message: actual.error };
      return { kind: "done", result: undefined, receipt: actual.receipt };
    },
  };
}

function plan(w: World, from: Address, kind: KeeperActionKind, account: Address | undefined): Planned {
  const target = account as Address;
  const planned =
    kind === "liquidate"
      ? calls.liquidate(w, from, target)
      : kind === "settleLoss"
        ? calls.settleLoss(w, from, target)
        : kind === "realise"
          ? calls.realise(w, from, target)
          : kind === "settle"
            ? calls.settle(w, from)
            : calls.refresh(w, from);
  return { ...planned, request: { ...planned.request, label: `keeper ${planned.request.label}` } };
}
