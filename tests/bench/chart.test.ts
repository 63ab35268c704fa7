import { describe, expect, it } from "vitest";
import { chartRows, latencyChartSpec, renderSvg } from "../../bench/chart";
import type { KindRun } from "../../bench/latency";
import { RateStep } from "../../bench/rateSteps";

function step(ratePerSecond: number, p50: number, p99: number): RateStep {
  return {
    ratePerSecond,
    durationSeconds: 20,
    sentPerSecond: ratePerSecond,
    refinement: false,
    latencyMs: { requests: ratePerSecond * 20, p50, p90: p99 / 2, p99, p999: p99 * 2, max: p99 * 3, non200: 0, transportErrors: 0, errors: 0 },
  };
}

function run(storage: KindRun["storage"], kind: KindRun["kind"], steps: RateStep[]): KindRun {
  return { storage, kind, target: `latency-${storage}`, flagsPerRequest: kind === "batch" ? 10 : 1, fliptCpusAllowed: "0", steps, capacity: {} };
}

const runs = [
  run("git", "boolean", [step(250, 0.4, 1.1), step(500, 0.45, 1.6), step(1000, 0.5, 3.2)]),
  run("database", "boolean", [step(250, 0.6, 2.5), step(500, 0.8, 9)]),
  run("git", "ofrep", [step(250, 0.42, 1.2)]),
];
const options = { title: "latency", subtitle: ["vegeta"], guides: [{ latencyMs: 5, label: "5 ms: capacity (p99)" }] };

describe("latency chart", () => {
  it("draws p50 and p99 of every step, labelled by request kind and storage", () => {
    const rows = chartRows(runs);
    expect(rows).toHaveLength(2 * 6);
    expect(rows).toContainEqual({ percentile: "p99", kind: "boolean (/evaluate/v1/boolean)", storage: "database storage (SQLite)", ratePerSecond: 500, latencyMs: 9 });
    expect(rows).toContainEqual({ percentile: "p50", kind: "OFREP (/ofrep/v1/evaluate/flags/{key})", storage: "Git storage (ours)", ratePerSecond: 250, latencyMs: 0.42 });
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
