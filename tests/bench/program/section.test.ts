import { describe, expect, it } from "vitest";
import { vitestSummary } from "../../../bench/program/section";

describe("the program section's figures", () => {
  it("finds vitest's summary lines, colours or not", () => {
    const output = ["\u001b[2m Test Files \u001b[22m \u001b[1m\u001b[32m19 passed\u001b[39m\u001b[22m\u001b[90m (19)\u001b[39m", "      Tests  458 passed (458)"];
    expect(vitestSummary(output)).toBe("Test Files  19 passed (19); Tests  458 passed (458)");
    expect(vitestSummary(["npm ERR! missing script: test"])).toBe("");
  });
});
