// Global setup of the engine tier: the toolchain with the engine's tools once, and the summary table at the end.
import type { TestProject } from "vitest/node";
import { ensureToolchain } from "../../scripts/toolchain/paths";
import { provideSummary } from "../e2e/harness/summary";

export default function setup(project: TestProject): () => void {
  const started = Date.now();
  ensureToolchain(process.env, { engine: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return provideSummary(project, `Engine tier summary (toolchain setup ${seconds}s this run)`);
}
