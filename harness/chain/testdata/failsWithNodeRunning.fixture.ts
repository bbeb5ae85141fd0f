// Run by a nested `vitest run` from anvil.test.ts (the main config only collects *.test.ts): a test that
// starts a node and fails without stopping it. The parent checks the node died with the run.
import { writeFileSync } from "node:fs";
import { test } from "vitest";
import { startAnvil } from "../anvil.js";

test("starts a node, then fails without stopping it", async () => {
  const node = await startAnvil({ label: "abandoned" });
  writeFileSync(process.env.BULKHEAD_PID_FILE ?? "/dev/null", String(node.pid));
  throw new Error("intentional test failure");
});
