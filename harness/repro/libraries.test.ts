// The build's linked libraries, from its link references, and forge's library deployments recognised by their
// init code (what the generated Foundry test sends again before the system's own transactions).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { concat, getContractAddress, type Hex, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../chain/foundryBinary.js";
import { create2Deployer, libraryDeployment, linkedLibraries } from "./libraries.js";

describe("linked libraries", () => {
  it("lists every library Market links, as the build's link references name them", async () => {
    const market = JSON.parse(await readFile(path.join(repoRoot, "out/Market.sol/Market.json"), "utf8")) as {
      bytecode: { linkReferences: Record<string, Record<string, unknown>> };
    };
    const referenced = Object.entries(market.bytecode.linkReferences).flatMap(([file, names]) =>
      Object.keys(names).map((name) => `${file}:${name}`),
    );
    expect(referenced.length).toBeGreaterThan(0);
    const ids = (await linkedLibraries(repoRoot)).map((l) => l.id);
    for (const id of referenced) expect(ids).toContain(id);
  });

  it("recognises a library deployed through the CREATE2 deployer, and nothing else", async () => {
    const libraries = await linkedLibraries(repoRoot);
    const [first] = libraries;
    if (!first) throw new Error("no linked library in the build");
    const salt = toHex(5n, { size: 32 });
    const input = concat([salt, first.initCode]);
    expect(libraryDeployment({ to: create2Deployer, input }, libraries)).toEqual({
      id: first.id,
      salt,
      address: getContractAddress({
        opcode: "CREATE2",
        from: create2Deployer,
        salt,
        bytecode: first.initCode,
      }),
    });
    expect(libraryDeployment({ to: null, input: first.initCode }, libraries)).toBeUndefined();
    const altered = `${input.slice(0, -2)}${input.endsWith("00") ? "01" : "00"}` as Hex;
    expect(libraryDeployment({ to: create2Deployer, input: altered }, libraries)).toBeUndefined();
  });

  it("reads a link placeholder in a library's own code as any address", () => {
    const placeholder = `__$${"ab".repeat(17)}$__`;
    const library = { id: "src/L.sol:L", initCode: `0x6001${placeholder}6002` as Hex };
    const input = `0x${"00".repeat(32)}6001${"12".repeat(20)}6002` as Hex;
    expect(libraryDeployment({ to: create2Deployer, input }, [library])?.id).toBe("src/L.sol:L");
    const other = `0x${"00".repeat(32)}6001${"12".repeat(20)}6003` as Hex;
    expect(libraryDeployment({ to: create2Deployer, input: other }, [library])).toBeUndefined();
  });
});
