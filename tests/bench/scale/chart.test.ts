import { describe, expect, it } from "vitest";
import { SCALE_MEASURES, scaleChartRows, scaleChartSpec } from "../../../bench/scale/chart";
import type { FliptScaleRow } from "../../../bench/scale/flipt";
import { LIMITS, ROWS } from "./rows";

describe("scale chart", () => {
  it("draws start, memory after start and after the syncs, and sync against flags, with each panel's limit", () => {
    const rows = scaleChartRows(ROWS.filter((r): r is FliptScaleRow => !("error" in r)), LIMITS, 20);
    const memory = rows.filter((r) => r.measure === SCALE_MEASURES.memory && r.kind === "point");
    expect(memory.map((r) => [r.flags, r.line, r.value])).toEqual([
      [12, "after start", 60], [12, "after 21 syncs", 70],
      [100, "after start", 80], [100, "after 21 syncs", 90],
      [1_000, "after start", 130], [1_000, "after 21 syncs", 150],
      [10_000, "after start", 574], [10_000, "after 21 syncs", 612],
    ]);
    expect(rows.filter((r) => r.kind === "limit").map((r) => [r.measure, r.value])).toEqual([
      [SCALE_MEASURES.start, 30], [SCALE_MEASURES.memory, 384], [SCALE_MEASURES.sync, 15],
    ]);
    const spec = scaleChartSpec(ROWS as FliptScaleRow[], LIMITS, 20, "t", []) as any;
    expect(spec.spec.layer[0].encoding.x.scale.type).toBe("log");
    expect(spec.spec.layer[0].encoding.y.scale.type).toBe("log");
  });

  it("refuses to chart nothing", () => expect(() => scaleChartSpec([], LIMITS, 20, "t", [])).toThrow(/no measured rows/));
});
