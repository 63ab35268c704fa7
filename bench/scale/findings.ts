/**
 * The limits a user would care about, from the prod stack's own settings (start, memory, sync,
 * p99), and per limit the first size of the scale rows over it: the findings, and the knee.
 */
import { Settings } from "../../settings/types";
import { FliptScaleRow, ScaleRow, isMeasuredRow } from "./flipt";

/** The limits a user would care about, from the prod stack's own settings. */
export interface ScaleLimits {
  readonly startSeconds: number;
  readonly memoryLimitMiB: number;
  readonly memoryRequestMiB: number;
  readonly pollIntervalSeconds: number;
  readonly p99Ms: number;
}

export const START_LIMIT_SECONDS = 30;
export const P99_LIMIT_MS = 5;

export type LimitName = "start" | "memory" | "sync" | "p99";

export interface LimitFinding {
  readonly limit: LimitName;
  /** "flags": the flag-count rows; "history": the history rows on main. */
  readonly series: "flags" | "history";
  readonly threshold: number;
  readonly unit: string;
  /** The first row (by size) over the threshold, with its value; absent when none is. */
  readonly firstOver?: { readonly flags: number; readonly historyCommits: number; readonly value: number };
  /** The largest row within the threshold before it. */
  readonly lastWithin?: { readonly flags: number; readonly historyCommits: number; readonly value: number };
  /** The stack setting that moves the limit, or the fix. */
  readonly moves: string;
}

const MIB = 1024 * 1024;

/** Kubernetes memory quantities (Mi, Gi, M, plain bytes) in MiB. */
export function quantityMiB(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(value);
  if (!match) throw new Error(`memory quantity ${JSON.stringify(value)}: expected a number with Ki, Mi, Gi, K, M or G`);
  const factor = { Ki: 1024, Mi: MIB, Gi: 1024 * MIB, K: 1e3, M: 1e6, G: 1e9, "": 1 }[match[2] ?? ""]!;
  return (Number(match[1]) * factor) / MIB;
}

export function scaleLimits(prod: Settings): ScaleLimits {
  return {
    startSeconds: START_LIMIT_SECONDS,
    memoryLimitMiB: quantityMiB(prod.resources.limits.memory),
    memoryRequestMiB: quantityMiB(prod.resources.requests.memory),
    pollIntervalSeconds: prod.git.pollIntervalSeconds,
    p99Ms: P99_LIMIT_MS,
  };
}

interface LimitSpec {
  readonly limit: LimitName;
  readonly unit: string;
  readonly threshold: (limits: ScaleLimits) => number;
  readonly value: (row: FliptScaleRow) => number | undefined;
  readonly moves: string;
}

const LIMIT_SPECS: readonly LimitSpec[] = [
  { limit: "start", unit: "s", threshold: (l) => l.startSeconds, value: (r) => r.startSeconds, moves: "nothing in the stack: the startup probe allows 300 s; fewer flags per Flipt (a namespace per instance) or the flags mirror" },
  {
    limit: "memory",
    unit: "MiB",
    threshold: (l) => l.memoryLimitMiB,
    value: (r) => Math.max(r.rssAfterStartMiB, r.sync.rssAfterMiB),
    moves: "memoryLimit and memoryRequest (Pulumi.prod.yaml); on a long history, the flags mirror (gitRef: flags-mirror)",
  },
  { limit: "sync", unit: "s", threshold: (l) => l.pollIntervalSeconds, value: (r) => r.sync.maxSeconds, moves: "gitPollInterval (Pulumi.prod.yaml), and cpuLimit: a sync is CPU-bound" },
  { limit: "p99", unit: "ms", threshold: (l) => l.p99Ms, value: (r) => r.boolean?.latencyMs.p99, moves: "replicas and cpuLimit: the rate per core, not the flag count, sets it (latency section)" },
];

function judge(rows: readonly ScaleRow[], series: LimitFinding["series"], limits: ScaleLimits, size: (r: FliptScaleRow) => number): LimitFinding[] {
  const measured = rows.filter(isMeasuredRow).sort((a, b) => size(a) - size(b));
  return LIMIT_SPECS.map((spec) => {
    const threshold = spec.threshold(limits);
    let lastWithin: LimitFinding["lastWithin"];
    for (const row of measured) {
      const value = spec.value(row);
      if (value === undefined) continue;
      const at = { flags: row.flags, historyCommits: row.historyCommits, value };
      if (value > threshold) return { limit: spec.limit, series, threshold, unit: spec.unit, firstOver: at, lastWithin, moves: spec.moves };
      lastWithin = at;
    }
    return { limit: spec.limit, series, threshold, unit: spec.unit, lastWithin, moves: spec.moves };
  });
}

/** Per limit, the first flag count (history 0) and the first history length (on main) that break it. */
export function scaleFindings(flipt: readonly ScaleRow[], history: readonly ScaleRow[], limits: ScaleLimits): LimitFinding[] {
  const onMain = history.filter((r) => r.branch === "main");
  const baseline = flipt.filter((r) => r.historyCommits === 0);
  return [...judge(baseline, "flags", limits, (r) => r.flags), ...judge(onMain, "history", limits, (r) => r.historyCommits)];
}

/** The knee: of the flag-count findings, the limit broken at the smallest flag count. */
export function kneeOf(findings: readonly LimitFinding[]): LimitFinding | undefined {
  return findings.filter((f) => f.series === "flags" && f.firstOver).sort((a, b) => a.firstOver!.flags - b.firstOver!.flags)[0];
}
