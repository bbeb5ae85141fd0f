// The native forge and anvil executables (never the npm wrappers, whose exit status is always 0): one home
// for the rule, in tools/, shared with the gate and the install step.
export {
  FoundryBinaryNotFoundError,
  type FoundryTool,
  foundryBinary,
  repoRoot,
} from "../../tools/foundryBinary.mjs";
