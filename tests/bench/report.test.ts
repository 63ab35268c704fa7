import { describe, expect, it } from "vitest";
import { vitestSummary } from "../../bench/program";
import { formatMs, formatRatio, formatTable } from "../../bench/report";

describe("bench report", () => {
  it.each([
    [0.4321, "0.43 ms"],
    [1.432, "1.4 ms"],
    [22.48, "22 ms"],
    [850, "850 ms"],
    [5300, "5.3 s"],
  ])("prints %s ms as %s", (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });

  it("prints a ratio, or n/a when there is none", () => {
    expect(formatRatio(3.284)).toBe("×3.28");
    expect(formatRatio(undefined)).toBe("n/a");
  });

  it("aligns the columns and wraps a long cell onto continuation lines", () => {
    const table = formatTable([["1 propagation", "dev", "median 5.1 s", "one two three four"]], 13);
    expect(table.split("\n")).toEqual([
      "| section       | measurement | result       | compared with |",
      "|---------------|-------------|--------------|---------------|",
      "| 1 propagation | dev         | median 5.1 s | one two three |",
      "|               |             |              | four          |",
    ]);
  });

  it("finds vitest's summary lines, colours or not", () => {
    const output = ["\u001b[2m Test Files \u001b[22m \u001b[1m\u001b[32m19 passed\u001b[39m\u001b[22m\u001b[90m (19)\u001b[39m", "      Tests  458 passed (458)"];
    expect(vitestSummary(output)).toBe("Test Files  19 passed (19); Tests  458 passed (458)");
    expect(vitestSummary(["npm ERR! missing script: test"])).toBe("");
  });
});
