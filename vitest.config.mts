import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Fast tier: unit tests and the program under Pulumi mocks. The real-service tier
// (tests/e2e, `npm run test:e2e`) and the engine tier's scenarios (tests/engine/scenarios,
// `npm run test:engine`) run through their own commands only.
//
// Two projects, for speed: the program's tests set Pulumi's runtime mocks, which are global to a
// process, so each of their files gets a fresh module graph (isolated); every other test is
// plain code and shares its worker's modules with the files before it, which halves the tier's
// time (16.2 s → 8.2 s for the flags, settings, builders, monitoring, docs and lib tests).
// Vitest's default leaves one of two cores idle; a worker per core took the tier from 20.6 s to
// 13.9 s on this project's 2-core machines (2026-12-03).
const ISOLATED = ["tests/program/**/*.test.ts", "tests/settings/parse.test.ts"];
const NOT_FAST = ["tests/e2e/**", "tests/engine/scenarios/**", "node_modules/**"];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      { extends: true, test: { name: "unit", include: ["tests/**/*.test.ts"], exclude: [...NOT_FAST, ...ISOLATED], isolate: false } },
      { extends: true, test: { name: "program", include: ISOLATED, exclude: NOT_FAST, isolate: true } },
    ],
  },
});
