import { defineConfig } from "vitest/config";

// Real-service tier (`npm run test:e2e`): Flipt, PostgreSQL and a Git server on loopback ports.
// One file at a time (they measure timings and share two cores); every wait is bounded.
export default defineConfig({
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    fileParallelism: false,
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    // Installs/builds the toolchain once and prints the summary table (scenario, result, figures) at the end.
    globalSetup: ["tests/e2e/harness/globalSetup.ts"],
    // Records each test's result and figures for that table.
    setupFiles: ["tests/e2e/harness/recordResults.ts"],
  },
});
