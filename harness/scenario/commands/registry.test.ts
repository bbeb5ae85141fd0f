import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BadArgsError } from "./args.js";
import { commandSpecs, rebuildCommand } from "./registry.js";

describe("command registry", () => {
  it("every generated command rebuilds from its name and JSON args to the same command", () => {
    for (const spec of Object.values(commandSpecs)) {
      for (const command of fc.sample(spec.arbitrary, { numRuns: 20, seed: 5 })) {
        const args = JSON.parse(JSON.stringify(command.args()));
        const rebuilt = rebuildCommand(command.name, args);
        expect(rebuilt.name).toBe(spec.name);
        expect(rebuilt.args()).toEqual(command.args());
        expect(rebuilt.toString()).toBe(command.toString());
      }
    }
  });

  it("refuses unknown commands and malformed args with a message naming the field", () => {
    expect(() => rebuildCommand("teleport", {})).toThrow(BadArgsError);
    expect(() => rebuildCommand("deposit", { actor: "t99", units: 5 })).toThrow(
      /deposit: actor must be one of/,
    );
    expect(() => rebuildCommand("open", { actor: "t0", side: "up", leverageBps: 1, limitBps: 0 })).toThrow(
      /side must be one of long, short/,
    );
    expect(() => rebuildCommand("pricePath", { regime: "calm", moves: [], noiseBps: 0 })).toThrow(/moves/);
    expect(() => rebuildCommand("guardianEscalate", { to: 3, signers: [1, 1] })).toThrow(/two different/);
  });
});
