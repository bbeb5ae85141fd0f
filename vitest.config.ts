import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["harness/**/*.test.ts", "src-ts/**/*.test.ts", "tools/**/*.test.ts"],
    // Forks, not threads: every worker is a process whose exit hooks can kill the anvil nodes it started.
    pool: "forks",
    // In order: fail fast without a Foundry build, then make sure the typed ABIs match that build.
    globalSetup: ["harness/chain/requireBuild.globalSetup.ts", "harness/chain/freshBindings.globalSetup.ts"],
    setupFiles: ["harness/chain/stopLeakedNodes.setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
