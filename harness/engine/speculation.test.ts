// Speculation's own bookkeeping, without a node.
import { describe, expect, it } from "vitest";
import type { FastChain } from "../fast/fastChain.js";
import { Speculation } from "./speculation.js";

describe("Speculation.atBase", () => {
  it("asks the chain once per key while the base stands, and again after a failed read", async () => {
    const s = new Speculation({} as FastChain);
    let asked = 0;
    const read = async () => ++asked;
    expect(await s.atBase("nonce", read)).toBe(1);
    expect(await s.atBase("nonce", read)).toBe(1);
    expect(await s.atBase("delay", read)).toBe(2);
    const failing = () => Promise.reject(new Error("node down"));
    await expect(s.atBase("hash", failing)).rejects.toThrow("node down");
    expect(await s.atBase("hash", read)).toBe(3);
  });

  it("shares the baseline's reads between runs until a run's commit moves its base", async () => {
    const baseline = new Map<string, Promise<unknown>>();
    let asked = 0;
    const read = async () => ++asked;
    expect(await new Speculation({} as FastChain, baseline).atBase("nonce", read)).toBe(1);
    const next = new Speculation({} as FastChain, baseline);
    expect(await next.atBase("nonce", read)).toBe(1);
    next.chainTouched = true; // what a commit sets before it mines
    expect(await next.atBase("nonce", read)).toBe(2);
    expect(await new Speculation({} as FastChain, baseline).atBase("nonce", read)).toBe(1);
  });
});

describe("Speculation.read", () => {
  const lens = "0x00000000000000000000000000000000000000aa";
  const trader = "0x00000000000000000000000000000000000000bb";
  it("asks a read once per block while nothing runs between (a step that added no block)", () => {
    const s = new Speculation({} as FastChain);
    expect(s.read(lens, "0x01")).toEqual({ base: 0 });
    expect(s.read(lens, "0x01")).toEqual({ base: 0 });
    expect(s.read(lens, "0x02")).toEqual({ base: 1 });
    expect(s.block(10n, 120n, [{ from: trader, to: lens, data: "0x99" }])).toEqual([{ block: 0, call: 0 }]);
    expect(s.read(lens, "0x01")).toEqual({ block: 0, call: 1 });
    expect(s.read(lens, "0x02")).toEqual({ block: 0, call: 2 });
    expect(s.read(lens, "0x01")).toEqual({ block: 0, call: 1 });
    // The block's own transaction is no read: the same calldata asked as a read is a new call.
    expect(s.read(lens, "0x99")).toEqual({ block: 0, call: 3 });
    s.block(11n, 132n, []);
    expect(s.read(lens, "0x01")).toEqual({ block: 1, call: 0 });
  });
});
