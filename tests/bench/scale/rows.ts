/** Scale rows as the bench records them, for the findings and chart tests, and the limits they are judged by. */
import type { ScaleLimits } from "../../../bench/scale/findings";
import type { FliptScaleRow, ScaleRow } from "../../../bench/scale/flipt";

export const LIMITS: ScaleLimits = { startSeconds: 30, memoryLimitMiB: 384, memoryRequestMiB: 160, pollIntervalSeconds: 15, p99Ms: 5 };
const latency = (p99: number) => ({ requests: 15_000, p50: 0.5, p90: 1, p99, p999: p99 * 2, max: p99 * 3, non200: 0, transportErrors: 0, errors: 0 });

export function row(flags: number, figures: { start: number; rss: number; rssAfter: number; sync: number; p99: number }, historyCommits = 0, branch: FliptScaleRow["branch"] = "main"): FliptScaleRow {
  return {
    flags,
    namespaces: 4,
    historyCommits,
    branch,
    branchCommits: historyCommits + 1,
    repositoryMiB: 1,
    startSeconds: figures.start,
    rssAfterStartMiB: figures.rss,
    sync: { firstSeconds: figures.sync, firstSyncsCounted: 1, firstCommitToSyncedSeconds: 2, changeSyncs: 21, medianSeconds: figures.sync, maxSeconds: figures.sync, rssAfterMiB: figures.rssAfter },
    boolean: { ratePerSecond: 1000, durationSeconds: 15, sentPerSecond: 1000, latencyMs: latency(figures.p99) },
  };
}

export const ROWS: ScaleRow[] = [
  row(12, { start: 0.2, rss: 60, rssAfter: 70, sync: 0.01, p99: 1.2 }),
  row(1_000, { start: 0.8, rss: 130, rssAfter: 150, sync: 0.8, p99: 4.5 }),
  row(100, { start: 0.3, rss: 80, rssAfter: 90, sync: 0.08, p99: 1.3 }),
  row(10_000, { start: 4.8, rss: 574, rssAfter: 612, sync: 7.2, p99: 5.7 }),
];
