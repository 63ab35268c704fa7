import { describe, expect, it } from "vitest";
import { formatMs, formatRatio } from "../../bench/lib/format";
import { formatTable } from "../../bench/report";

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
});
