// Global setup of the e2e tier: the toolchain once for the whole run, and the summary table at the end.
import type { TestProject } from "vitest/node";
import { ensureToolchain, fliptUnavailableReason } from "../../../scripts/toolchain/paths";
import { provideSummary } from "./summary";

export default function setup(project: TestProject): () => void {
  const unavailable = fliptUnavailableReason(ensureToolchain());
  const footer = unavailable && `Not run: every scenario that needs a running Flipt was skipped: ${unavailable}`;
  return provideSummary(project, "End-to-end summary", footer);
}
