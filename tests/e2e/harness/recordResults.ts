// Setup file of the e2e tier: after each test (and its hooks), append its row to the summary.
import { beforeEach, inject } from "vitest";
import { appendRow } from "./summary";

beforeEach(({ onTestFinished }) => {
  onTestFinished(({ task }) => appendRow(inject("e2eSummaryDir"), task));
});
