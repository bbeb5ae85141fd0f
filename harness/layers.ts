/**
 * Imports go one way. The TypeScript is stacked in layers, bottom first; a module imports only from its own
 * layer or below, and the modules' runtime imports have no cycle. Tests sit on top of everything (they may
 * import any layer) and are not checked. layers.test.ts runs this over the repository.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/** Bottom first. src-ts/ is the product (the keeper and what any client of the protocol needs). */
export const layers = [
  "src-ts/generated", // the typed ABIs generated from the build (the keeper's and the harness's)
  "src-ts/protocol",
  "src-ts/keeper",
  "harness/chain",
  "harness/system",
  "harness/fast",
  "harness/engine",
  "harness/coverage",
  "harness/model",
  "harness/invariants",
  "harness/scenario",
  "harness/runner",
  "harness/repro",
  "harness/bench",
  "harness/cli",
] as const;

export type Import = { from: string; to: string; typeOnly: boolean };

/** A module's relative imports (static, re-exports and dynamic), as repository paths of .ts files. */
export function importsOf(file: string, text: string): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  const out: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (!specifier.startsWith(".")) return;
    const to = path.posix.join(path.posix.dirname(file), specifier).replace(/\.js$/, ".ts");
    out.push({ from: file, to, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            bindings !== undefined &&
            ts.isNamedImports(bindings) &&
            bindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** The layer a repository path belongs to (its index in `layers`), or undefined outside them. */
export function layerOf(file: string): number | undefined {
  const i = layers.findIndex((layer) => file === layer || file.startsWith(`${layer}/`));
  if (i >= 0) return i;
  // Modules at the top of harness/ (this one) sit above every layer.
  return /^harness\/[^/]+\.ts$/.test(file) ? layers.length : undefined;
}

const isTest = (file: string) => /\.test\.ts$/.test(file);

/** Imports from a lower layer to a higher one, e.g. `harness/invariants/x.ts -> harness/scenario/y.ts`. */
export function upwardImports(imports: readonly Import[]): string[] {
  return imports
    .filter((i) => !isTest(i.from))
    .filter((i) => {
      const from = layerOf(i.from);
      const to = layerOf(i.to);
      return from !== undefined && to !== undefined && to > from;
    })
    .map((i) => `${i.from} -> ${i.to}${i.typeOnly ? " (type)" : ""}`);
}

/** Cycles of runtime imports (type-only imports vanish at run time), each as its modules. */
export function runtimeCycles(imports: readonly Import[]): string[][] {
  const next = new Map<string, string[]>();
  for (const i of imports) {
    if (i.typeOnly) continue;
    next.set(i.from, [...(next.get(i.from) ?? []), i.to]);
  }
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (next.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) connect(v);
  return cycles;
}

/** Every relative import of the .ts files under `roots` (repository-relative folders) in `repo`. */
export function repositoryImports(repo: string, roots: readonly string[]): Import[] {
  return roots.flatMap((root) =>
    readdirSync(path.join(repo, root), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))
      .map((f) => path.posix.join(root, f.split(path.sep).join("/")))
      .flatMap((file) => importsOf(file, readFileSync(path.join(repo, file), "utf8"))),
  );
}
