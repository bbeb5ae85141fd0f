import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvil } from "../chain/anvil.js";
import { type ChainClients, createChainClients } from "../chain/clients.js";
import { parseReturns, SystemDeployError } from "./deploySystem.js";
import { deployAndBind, readSnapshot, type System } from "./system.js";

describe("deploySystem", () => {
  let clients: ChainClients;
  let system: System;

  beforeAll(async () => {
    const node = await startAnvil({ label: "deploy-system" });
    clients = await createChainClients({ node });
    system = await deployAndBind({ clients });
  }, 60_000);

  afterAll(async () => {
    await clients?.close();
    await clients?.node.stop();
  });

  it("wires every role the way the deploy script says", async () => {
    const a = system.addresses;
    expect(await system.market.read.pool()).toBe(a.pool);
    expect(await system.market.read.guardian()).toBe(a.guardian);
    expect(await system.market.read.owner()).toBe(a.timelock);
    expect(await system.oracle.read.owner()).toBe(a.timelock);
    expect(await system.pool.read.asset()).toBe(a.collateral);
    expect(await system.market.read.mode()).toBe(0);
  });

  it("reads the market and accounts in one Lens call", async () => {
    const account = clients.accounts[5];
    if (!account) throw new Error("need 6 dev accounts");
    const snap = await readSnapshot(system, [account]);
    expect(snap.market.market).toBe(system.addresses.market);
    expect(snap.market.price).toBe(2000n * 10n ** 18n);
    expect(snap.accounts).toHaveLength(1);
    expect(snap.accounts[0]?.account).toBe(account);
    expect(snap.accounts[0]?.state.size).toBe(0n);
  });

  it("gives the market the risk parameters asked for at construction", async () => {
    const defaults = await system.market.read.riskParams();
    // Out of governance's reach from the defaults (a parameter moves by at most a factor of two per change).
    const risk = { ...defaults, minBacking: 0n, skewScale: defaults.skewScale / 1000n };
    const other = await deployAndBind({ clients, risk, immediacyFee: 0n });
    expect(await other.market.read.riskParams()).toEqual(risk);
    expect(await system.market.read.riskParams()).toEqual(defaults);
    // The immediacy premium: the deployment's (Defaults.IMMEDIACY_FEE, 0.4 %) unless asked otherwise.
    expect(await other.market.read.immediacyFee()).toBe(0n);
    expect(await system.market.read.immediacyFee()).toBe(4n * 10n ** 15n);
  }, 60_000);

  it("refuses forge output without the expected returns", () => {
    expect(() => parseReturns('{"logs":[]}\n')).toThrow(SystemDeployError);
    expect(() =>
      parseReturns('{"returns":{"s":{"value":"(0x0000000000000000000000000000000000000001)"}}}'),
    ).toThrow(/7 addresses/);
  });
});
