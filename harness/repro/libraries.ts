/**
 * The libraries a build links, and how `forge script` put them on the node. Forge links external libraries at
 * deploy time: before the script's own transactions it sends one transaction per library from the broadcaster,
 * through the deterministic CREATE2 deployer when the chain has it (anvil does). Those transactions take the
 * broadcaster's first nonces, so a Foundry test that deploys through the same script code must send them too
 * for every later address to match the node's. The list comes from the build's link references, never from
 * a list of names, so a library added to the build is mapped without a change here.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { type Address, getContractAddress, type Hex } from "viem";

/** The deterministic CREATE2 deployer forge script deploys libraries through (predeployed on anvil). */
export const create2Deployer: Address = "0x4e59b44847b379578588920cA78FbF26c0B4956C";

export type LinkedLibrary = {
  /** `src/libraries/MarketAccounting.sol:MarketAccounting`: what `vm.getCode` takes. */
  id: string;
  /** The library's init code as built, with `__$…$__` placeholders where it links another library. */
  initCode: Hex;
};

/** How forge script deployed one library: its artifact, the CREATE2 salt it used and where the code went. */
export type LibraryDeployment = { id: string; salt: Hex; address: Address };

type Artifact = {
  bytecode?: { object?: string; linkReferences?: Record<string, Record<string, unknown>> };
  metadata?: { settings?: { compilationTarget?: Record<string, string> } };
};

/** Every library some contract of the build at `root` links (from `out/`'s link references), sorted by id. */
export async function linkedLibraries(root: string): Promise<LinkedLibrary[]> {
  const out = path.join(root, "out");
  const files = (await readdir(out, { recursive: true })).filter(
    (f) => f.endsWith(".json") && !f.startsWith("build-info"),
  );
  const linked = new Set<string>();
  for (const file of files) {
    const text = await readFile(path.join(out, file), "utf8");
    // Most artifacts link nothing: parse only those that do.
    if (!/"linkReferences":\{"/.test(text)) continue;
    const artifact = JSON.parse(text) as Artifact;
    for (const [source, names] of Object.entries(artifact.bytecode?.linkReferences ?? {})) {
      for (const name of Object.keys(names)) linked.add(`${source}:${name}`);
    }
  }
  const libraries: LinkedLibrary[] = [];
  for (const id of [...linked].sort()) {
    const [source, name] = id.split(":") as [string, string];
    let object: string | undefined;
    for (const file of files.filter((f) => path.basename(f) === `${name}.json`)) {
      const artifact = JSON.parse(await readFile(path.join(out, file), "utf8")) as Artifact;
      if (artifact.metadata?.settings?.compilationTarget?.[source] === name)
        object = artifact.bytecode?.object;
    }
    if (!object) throw new Error(`the build in ${out} links ${id} but has no artifact for it`);
    libraries.push({ id, initCode: (object.startsWith("0x") ? object : `0x${object}`) as Hex });
  }
  return libraries;
}

/**
 * The library a deployment transaction deployed through the CREATE2 deployer (calldata: salt, then init
 * code), or undefined for any other transaction.
 */
export function libraryDeployment(
  tx: { to: Address | null; input: Hex },
  libraries: readonly LinkedLibrary[],
): LibraryDeployment | undefined {
  if (tx.to?.toLowerCase() !== create2Deployer.toLowerCase()) return undefined;
  const salt = `0x${tx.input.slice(2, 66)}` as Hex;
  const initCode = `0x${tx.input.slice(66)}`.toLowerCase();
  const library = libraries.find((l) => sameCode(l.initCode, initCode));
  if (!library) return undefined;
  const address = getContractAddress({
    opcode: "CREATE2",
    from: create2Deployer,
    salt,
    bytecode: initCode as Hex,
  });
  return { id: library.id, salt, address };
}

/** Equal code, where the artifact's link placeholders (`__$<34 hex>$__`) stand for any address. */
function sameCode(artifact: Hex, deployed: string): boolean {
  const code = artifact.toLowerCase();
  if (code.length !== deployed.length) return false;
  const placeholder = /__\$[0-9a-f]{34}\$__/g;
  let from = 0;
  for (const match of code.matchAll(placeholder)) {
    if (code.slice(from, match.index) !== deployed.slice(from, match.index)) return false;
    from = match.index + match[0].length;
  }
  return code.slice(from) === deployed.slice(from);
}
