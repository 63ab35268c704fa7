import { defineConfig } from "vitest/config";

// Engine tier (`npm run test:engine`): the real Pulumi engine and Kubernetes provider against a
// real control plane on loopback ports. One file at a time; scenarios within a file run in order.
export default defineConfig({
  test: {
    include: ["tests/engine/scenarios/**/*.test.ts"],
    fileParallelism: false,
    pool: "forks",
    // Pulumi's own await on a Deployment gives up after 10 minutes; a scenario gets a little more.
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    teardownTimeout: 60_000,
    // Builds/checks the engine toolchain once and prints the summary table at the end.
    globalSetup: ["tests/engine/globalSetup.ts"],
    // Records each test's result and figures for that table (shared with the e2e tier).
    setupFiles: ["tests/e2e/harness/recordResults.ts"],
  },
});
