import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ALERTS } from "../../builders/monitoring";
import { projectDir } from "../../settings/schema";

const OPERATING = fs.readFileSync(path.join(projectDir, "docs/operating.md"), "utf8");

/** The alert names of the rows of docs/operating.md's "Alert runbook" table (`| **Name** (…) | …`). */
function runbookAlerts(): string[] {
  const section = OPERATING.split(/^### Alert runbook$/m)[1]?.split(/^#{1,3} /m)[0] ?? "";
  return [...section.matchAll(/^\| \*\*(\w+)\*\*/gm)].map((m) => m[1]);
}

describe("the alert runbook in docs/operating.md", () => {
  it("has one row for every alert the PrometheusRule can hold, and none for an alert that does not exist", () => {
    expect(runbookAlerts().sort()).toEqual(Object.values(ALERTS).sort());
  });
});
