import { defineConfig } from "vitest/config";
import projectConfig from "../../../vitest.config.js";
import { repoRoot } from "../foundryBinary.js";

// The project's test settings (pool, setup files), pointed at the fixture only; no global setup (the
// parent run already did it).
export default defineConfig({
  root: repoRoot,
  test: {
    ...projectConfig.test,
    include: ["harness/chain/testdata/failsWithNodeRunning.fixture.ts"],
    globalSetup: [],
  },
});
