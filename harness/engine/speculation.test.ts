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
});
