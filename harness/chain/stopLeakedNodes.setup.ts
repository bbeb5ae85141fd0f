import { afterAll } from "vitest";
import { killAllNodesSync } from "./liveNodes.js";

// Safety net for each test file: a suite that failed before its own cleanup, or forgot it, leaves no
// anvil running into the next file. Registered first, so it runs after the file's own afterAll hooks.
afterAll(() => {
  killAllNodesSync("SIGTERM");
});
