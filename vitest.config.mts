import { defineConfig } from "vitest/config";

// Fast tier: unit tests and the program under Pulumi mocks. The real-service
// tier lives in tests/e2e and runs through `npm run test:e2e` only.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    exclude: ["tests/e2e/**", "node_modules/**"],
    testTimeout: 20_000,
  },
});
