import { describe, expect, it } from "vitest";
import { problems } from "../../bench/run";

describe("bench exit status", () => {
  it("lists every selected section that was not measured or failed, and nothing for a clean run", () => {
    const found = problems({
      propagation: { status: "not measured", reason: "Flipt is unavailable: no Flipt binary" },
      evaluation: { status: "failed", error: "wrk failed (exit 1):\nunable to connect" },
      footprint: { status: "not selected" },
      program: {
        status: "measured",
        results: { commands: [{ name: "npm test", command: "npm test", wallMs: 1000, exitCode: 1, detail: "failed (exit code 1): Tests  1 failed" }] },
      },
      tuning: { status: "not selected" },
    });
    expect(found).toEqual([
      "propagation: not measured: Flipt is unavailable: no Flipt binary",
      "evaluation: failed: wrk failed (exit 1):",
      "program: npm test: failed (exit code 1): Tests  1 failed",
    ]);
    expect(problems({ propagation: { status: "not selected" }, evaluation: { status: "not selected" }, footprint: { status: "not selected" }, program: { status: "measured", results: { commands: [] } }, tuning: { status: "not selected" } })).toEqual([]);
  });
});
