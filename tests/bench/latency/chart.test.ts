import { describe, expect, it } from "vitest";
import { chartRows, latencyChartSpec } from "../../../bench/latency/chart";
import { renderSvg } from "../../../bench/lib/chart";
import { kindRun, step } from "../steps";

const runs = [
  kindRun("git", "boolean", [step(250, 1.1, { p50: 0.4 }), step(500, 1.6, { p50: 0.45 }), step(1000, 3.2, { p50: 0.5 })]),
  kindRun("database", "boolean", [step(250, 2.5, { p50: 0.6 }), step(500, 9, { p50: 0.8 })]),
  kindRun("git", "ofrep", [step(250, 1.2, { p50: 0.42 })]),
];
const options = { title: "latency", subtitle: ["vegeta"], guides: [{ latencyMs: 5, label: "5 ms: capacity (p99)" }] };

describe("latency chart", () => {
  it("draws p50 and p99 of every step, labelled by request kind and storage", () => {
    const rows = chartRows(runs);
    expect(rows).toHaveLength(2 * 6);
    expect(rows).toContainEqual({ percentile: "p99", kind: "boolean (/evaluate/v1/boolean)", storage: "database storage (SQLite)", ratePerSecond: 500, latencyMs: 9 });
    expect(rows).toContainEqual({ percentile: "p50", kind: "OFREP (/ofrep/v1/evaluate/flags/{key})", storage: "Git storage (ours)", ratePerSecond: 250, latencyMs: 0.42 });
  });

  it("draws the median across rounds when the ladders were repeated", () => {
    const repeated = [...runs, kindRun("git", "boolean", [step(250, 1.5, { p50: 0.5 })], 2), kindRun("git", "boolean", [step(250, 1.3, { p50: 0.3 })], 3)];
    const git250 = chartRows(repeated).filter((r) => r.storage === "Git storage (ours)" && r.kind === "boolean (/evaluate/v1/boolean)" && r.ratePerSecond === 250);
    expect(git250).toEqual([
      { percentile: "p50", kind: "boolean (/evaluate/v1/boolean)", storage: "Git storage (ours)", ratePerSecond: 250, latencyMs: 0.4 },
      { percentile: "p99", kind: "boolean (/evaluate/v1/boolean)", storage: "Git storage (ours)", ratePerSecond: 250, latencyMs: 1.3 },
    ]);
  });

  it("puts rate and latency on log scales, p50 and p99 in two panels, kind as colour and storage as dash", () => {
    const spec = latencyChartSpec(runs, options) as any;
    expect(spec.facet.column).toMatchObject({ field: "percentile", sort: ["p50", "p99"] });
    const line = spec.spec.layer[0].encoding;
    expect(line.x).toMatchObject({ field: "ratePerSecond", scale: { type: "log" }, title: "arrival rate (requests/s, log scale)" });
    expect(line.y).toMatchObject({ field: "latencyMs", scale: { type: "log" }, title: "latency (ms, log scale)" });
    expect(line.color.field).toBe("kind");
    expect(line.strokeDash.field).toBe("storage");
    expect(spec.spec.layer[1].encoding.y).toEqual({ datum: 5 });
  });

  it("refuses to chart nothing", () => {
    expect(() => latencyChartSpec([], options)).toThrow("no measured steps");
  });

  it("renders to an SVG with the axis titles, legend entries and guide", async () => {
    const svg = await renderSvg(latencyChartSpec(runs, options));
    expect(svg.startsWith("<svg")).toBe(true);
    for (const text of ["arrival rate (requests/s, log scale)", "latency (ms, log scale)", "request kind", "Git storage (ours)", "database storage (SQLite)", "5 ms: capacity (p99)", "p99"]) {
      expect(svg).toContain(text);
    }
  });
});
