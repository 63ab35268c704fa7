import { defineConfig } from "vitest/config";

// Fast tier: unit tests and the program under Pulumi mocks. The real-service tier
// (tests/e2e, `npm run test:e2e`) and the engine tier's scenarios (tests/engine/scenarios,
// `npm run test:engine`) run through their own commands only.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    exclude: ["tests/e2e/**", "tests/engine/scenarios/**", "node_modules/**"],
    testTimeout: 20_000,
  },
});
