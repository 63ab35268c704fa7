/**
 * The scale chart: start to healthy, memory and sync time against the flag count, log axes, one
 * panel each with the prod stack's limit drawn across it. Pure (tested without rendering);
 * bench/lib/chart.ts renders it.
 */
import type { TopLevelSpec } from "vega-lite/build/index";
import type { FliptScaleRow } from "./flipt";
import type { ScaleLimits } from "./findings";

export const SCALE_MEASURES = {
  start: "start to healthy (s)",
  memory: "resident memory (MiB)",
  sync: "one sync after a one-flag commit (s)",
} as const;

export interface ScaleChartRow {
  readonly measure: string;
  readonly flags: number;
  readonly value: number;
  /** The line within a panel (memory: after start, after the syncs); "limit" rows draw the guide. */
  readonly line: string;
  readonly kind: "point" | "limit";
}

export function scaleChartRows(rows: readonly FliptScaleRow[], limits: ScaleLimits, syncs: number): ScaleChartRow[] {
  const sorted = [...rows].sort((a, b) => a.flags - b.flags);
  const points = sorted.flatMap((r): ScaleChartRow[] => [
    { measure: SCALE_MEASURES.start, flags: r.flags, value: r.startSeconds, line: "first clone and snapshot", kind: "point" },
    { measure: SCALE_MEASURES.memory, flags: r.flags, value: r.rssAfterStartMiB, line: "after start", kind: "point" },
    { measure: SCALE_MEASURES.memory, flags: r.flags, value: r.sync.rssAfterMiB, line: `after ${syncs + 1} syncs`, kind: "point" },
    { measure: SCALE_MEASURES.sync, flags: r.flags, value: r.sync.medianSeconds, line: `median of ${r.sync.changeSyncs}`, kind: "point" },
    { measure: SCALE_MEASURES.sync, flags: r.flags, value: r.sync.maxSeconds, line: `slowest of ${r.sync.changeSyncs}`, kind: "point" },
  ]);
  const limit = (measure: string, value: number, line: string): ScaleChartRow => ({ measure, flags: sorted[0]?.flags ?? 1, value, line, kind: "limit" });
  return [
    ...points,
    limit(SCALE_MEASURES.start, limits.startSeconds, `limit: ${limits.startSeconds} s`),
    limit(SCALE_MEASURES.memory, limits.memoryLimitMiB, `prod limit: ${limits.memoryLimitMiB} MiB`),
    limit(SCALE_MEASURES.sync, limits.pollIntervalSeconds, `prod poll interval: ${limits.pollIntervalSeconds} s`),
  ];
}

export function scaleChartSpec(rows: readonly FliptScaleRow[], limits: ScaleLimits, syncs: number, title: string, subtitle: readonly string[]): TopLevelSpec {
  const data = scaleChartRows(rows, limits, syncs);
  if (!data.some((r) => r.kind === "point")) throw new Error("no measured rows to chart");
  const maxFlags = Math.max(...data.map((r) => r.flags));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, subtitle: [...subtitle], anchor: "start" },
    data: { values: data as unknown as Record<string, unknown>[] },
    facet: { column: { field: "measure", type: "nominal", title: null, sort: Object.values(SCALE_MEASURES), header: { labelFontSize: 13, labelFontWeight: "bold" } } },
    spec: {
      width: 260,
      height: 260,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: "line", point: { filled: true, size: 40 }, strokeWidth: 2 },
          encoding: {
            x: { field: "flags", type: "quantitative", scale: { type: "log" }, title: "flags (log scale)", axis: { grid: true } },
            y: { field: "value", type: "quantitative", scale: { type: "log" }, title: "log scale", axis: { grid: true } },
            color: { field: "line", type: "nominal", title: null, legend: { orient: "bottom", direction: "vertical" } },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'limit'" }],
          mark: { type: "rule", color: "#c0392b", strokeDash: [4, 3] },
          encoding: { y: { field: "value", type: "quantitative" } },
        },
        {
          transform: [{ filter: "datum.kind === 'limit'" }],
          mark: { type: "text", align: "right", baseline: "bottom", dy: -2, color: "#c0392b", fontSize: 10 },
          encoding: { x: { datum: maxFlags }, y: { field: "value", type: "quantitative" }, text: { field: "line" } },
        },
      ],
    },
    resolve: { scale: { y: "independent", color: "independent" } },
    config: { font: "sans-serif", view: { stroke: "#ccc" }, legend: { labelLimit: 300 } },
  };
}
