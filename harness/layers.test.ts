import { describe, expect, it } from "vitest";
import { repoRoot } from "./chain/foundryBinary.js";
import { importsOf, layerOf, layers, repositoryImports, runtimeCycles, upwardImports } from "./layers.js";

describe("imports go one way", () => {
  const imports = repositoryImports(repoRoot, ["harness", "src-ts"]);

  it("every module imports only from its own layer or below", () => {
    expect(upwardImports(imports)).toEqual([]);
  });

  it("runtime imports have no cycle", () => {
    expect(runtimeCycles(imports)).toEqual([]);
  });

  it("every folder with TypeScript belongs to a layer", () => {
    const folders = new Set(imports.map((i) => i.from.split("/").slice(0, 2).join("/")));
    const outside = [...folders].filter((f) => !f.endsWith(".ts") && layerOf(`${f}/x.ts`) === undefined);
    expect(outside, `add them to layers in harness/layers.ts: ${layers.join(", ")}`).toEqual([]);
  });
});

describe("the checks themselves", () => {
  const modules = {
    "harness/invariants/a.ts": 'import { b } from "../scenario/b.js";',
    "harness/scenario/b.ts": 'import type { A } from "../invariants/a.js";\nexport { c } from "./c.js";',
    "harness/scenario/c.ts": 'const { b } = await import("./b.js");',
    "harness/scenario/c.test.ts": 'import { x } from "../cli/x.js";',
  };
  const imports = Object.entries(modules).flatMap(([file, text]) => importsOf(file, text));

  it("finds an upward import, type-only or not, but not from a test", () => {
    expect(upwardImports(imports)).toEqual(["harness/invariants/a.ts -> harness/scenario/b.ts"]);
    const typeOnly = importsOf("harness/model/m.ts", 'import { type S } from "../scenario/s.js";');
    expect(upwardImports(typeOnly)).toEqual(["harness/model/m.ts -> harness/scenario/s.ts (type)"]);
  });

  it("finds a runtime cycle through a re-export and a dynamic import, and ignores type-only ones", () => {
    expect(runtimeCycles(imports)).toEqual([["harness/scenario/b.ts", "harness/scenario/c.ts"]]);
    const typeCycle = [
      ...importsOf("harness/x/a.ts", 'import type { B } from "./b.js";'),
      ...importsOf("harness/x/b.ts", 'import { a } from "./a.js";'),
    ];
    expect(runtimeCycles(typeCycle)).toEqual([]);
  });
});
