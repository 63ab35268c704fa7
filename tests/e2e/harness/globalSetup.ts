// Global setup of the e2e tier: the toolchain once for the whole run, and the summary table at the end.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { ensureToolchain, fliptUnavailableReason } from "../../../scripts/toolchain/paths";
import { readRows, summaryTable } from "./summary";

export default function setup(project: TestProject): () => void {
  const unavailable = fliptUnavailableReason(ensureToolchain());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flipt-e2e-summary-"));
  project.provide("e2eSummaryDir", dir);
  // An interrupted run skips the teardown; the directory still goes.
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return () => {
    const rows = readRows(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`\nEnd-to-end summary (${rows.length} tests)\n${summaryTable(rows)}\n\n`);
    if (unavailable) process.stdout.write(`Not run: every scenario that needs a running Flipt was skipped: ${unavailable}\n\n`);
  };
}
