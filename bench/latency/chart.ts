/**
 * The latency-vs-rate chart of the latency section: a Vega-Lite spec built from the measured steps
 * (with --repeat, their medians across rounds; pure, so it is tested without rendering), rendered
 * by lib/chart.ts.
 */
import type { TopLevelSpec } from "vega-lite/build/index";
import type { Storage } from "../lib/targets";
import type { RequestKind } from "../load/vegeta";
import type { KindRun } from "./ladders";
import { kindSpreads } from "./repeats";

export const KIND_LABELS: Record<RequestKind, string> = {
  boolean: "boolean (/evaluate/v1/boolean)",
  ofrep: "OFREP (/ofrep/v1/evaluate/flags/{key})",
  batch: "batch of 10 (/evaluate/v1/batch)",
};

export const STORAGE_LABELS: Record<Storage, string> = {
  git: "Git storage (ours)",
  database: "database storage (SQLite)",
};

export interface ChartRow {
  readonly percentile: "p50" | "p99";
  readonly kind: string;
  readonly storage: string;
  readonly ratePerSecond: number;
  readonly latencyMs: number;
}

/** One row per rate and percentile: the data the chart draws (the median across rounds, of the counted attempts). */
export function chartRows(runs: readonly KindRun[]): ChartRow[] {
  return kindSpreads(runs).flatMap((spread) =>
    spread.steps.flatMap((step) =>
      (["p50", "p99"] as const).map((percentile) => ({
        percentile,
        kind: KIND_LABELS[spread.kind],
        storage: STORAGE_LABELS[spread.storage],
        ratePerSecond: step.ratePerSecond,
        latencyMs: step[`${percentile}Ms`].median,
      })),
    ),
  );
}

export interface ChartOptions {
  readonly title: string;
  readonly subtitle: readonly string[];
  /** Horizontal guides: the capacity limit and the stop rule. */
  readonly guides: readonly { readonly latencyMs: number; readonly label: string }[];
}

/** p50 and p99 side by side, both axes log scale, colour per request kind, dash per storage. */
export function latencyChartSpec(runs: readonly KindRun[], options: ChartOptions): TopLevelSpec {
  const rows = chartRows(runs);
  if (rows.length === 0) throw new Error("no measured steps to chart");
  const maxRate = Math.max(...rows.map((r) => r.ratePerSecond));
  // One row per panel, so each guide is drawn once per panel rather than once per data point.
  const perPanel = [{ aggregate: [{ op: "count" as const, as: "n" }], groupby: ["percentile"] }];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: options.title, subtitle: [...options.subtitle], anchor: "start" },
    data: { values: rows as unknown as Record<string, unknown>[] },
    facet: { column: { field: "percentile", type: "nominal", title: null, sort: ["p50", "p99"], header: { labelFontSize: 14, labelFontWeight: "bold" } } },
    spec: {
      width: 380,
      height: 300,
      layer: [
        {
          mark: { type: "line", point: { filled: true, size: 40 }, strokeWidth: 2 },
          encoding: {
            x: { field: "ratePerSecond", type: "quantitative", scale: { type: "log" }, title: "arrival rate (requests/s, log scale)", axis: { grid: true } },
            y: { field: "latencyMs", type: "quantitative", scale: { type: "log" }, title: "latency (ms, log scale)", axis: { grid: true } },
            color: { field: "kind", type: "nominal", title: "request kind", legend: { orient: "bottom", direction: "vertical" } },
            strokeDash: { field: "storage", type: "nominal", title: "storage", legend: { orient: "bottom", direction: "vertical" } },
            shape: { field: "storage", type: "nominal", title: "storage", legend: { orient: "bottom", direction: "vertical" } },
          },
        },
        ...options.guides.flatMap((guide) => [
          { transform: perPanel, mark: { type: "rule" as const, color: "#888", strokeDash: [3, 3] }, encoding: { y: { datum: guide.latencyMs } } },
          {
            transform: perPanel,
            mark: { type: "text" as const, align: "right" as const, baseline: "bottom" as const, dy: -2, color: "#555", fontSize: 10 },
            encoding: { x: { datum: maxRate }, y: { datum: guide.latencyMs }, text: { value: guide.label } },
          },
        ]),
      ],
    },
    resolve: { scale: { y: "shared", x: "shared" } },
    // Without a canvas Vega estimates text widths generously: room for the longest legend label.
    config: { font: "sans-serif", view: { stroke: "#ccc" }, legend: { labelLimit: 400 } },
  };
}
