// Global setup of the engine tier: the toolchain with the engine's tools once, and the summary table at the end.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { ensureToolchain } from "../../scripts/toolchain/paths";
import { readRows, summaryTable } from "../e2e/harness/summary";

export default function setup(project: TestProject): () => void {
  const started = Date.now();
  ensureToolchain(process.env, { engine: true });
  const toolchainSeconds = Math.round((Date.now() - started) / 100) / 10;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flipt-engine-summary-"));
  project.provide("e2eSummaryDir", dir);
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return () => {
    const rows = readRows(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`\nEngine tier summary (${rows.length} tests; toolchain setup ${toolchainSeconds}s this run)\n${summaryTable(rows)}\n\n`);
  };
}
