import { describe, expect, it } from "vitest";
import type { FliptScaleRow } from "../../../bench/scale/flipt";
import { scaleChartRows, scaleChartSpec, SCALE_MEASURES } from "../../../bench/scale/chart";
import { findingText } from "../../../bench/scale/report";
import { kneeOf, quantityMiB, scaleFindings, scaleLimits, ScaleLimits, ScaleRow } from "../../../bench/scale/section";
import { stackSettings } from "../../../scripts/lib/localFlipt";

const LIMITS: ScaleLimits = { startSeconds: 30, memoryLimitMiB: 384, memoryRequestMiB: 160, pollIntervalSeconds: 15, p99Ms: 5 };
const latency = (p99: number) => ({ requests: 15_000, p50: 0.5, p90: 1, p99, p999: p99 * 2, max: p99 * 3, non200: 0, transportErrors: 0, errors: 0 });

function row(flags: number, figures: { start: number; rss: number; rssAfter: number; sync: number; p99: number }, historyCommits = 0, branch: FliptScaleRow["branch"] = "main"): FliptScaleRow {
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

const ROWS: ScaleRow[] = [
  row(12, { start: 0.2, rss: 60, rssAfter: 70, sync: 0.01, p99: 1.2 }),
  row(1_000, { start: 0.8, rss: 130, rssAfter: 150, sync: 0.8, p99: 4.5 }),
  row(100, { start: 0.3, rss: 80, rssAfter: 90, sync: 0.08, p99: 1.3 }),
  row(10_000, { start: 4.8, rss: 574, rssAfter: 612, sync: 7.2, p99: 5.7 }),
];

describe("scale findings: the first size over each limit a user would care about", () => {
  const findings = scaleFindings(ROWS, [{ flags: 1_000, historyCommits: 10_000, branch: "main", error: "start timed out" }, row(1_000, { start: 2.1, rss: 269, rssAfter: 400, sync: 0.5, p99: 4 }, 10_000)], LIMITS);
  const find = (limit: string, series: string) => findings.find((f) => f.limit === limit && f.series === series)!;

  it("orders rows by size whatever order they were measured in, and names the last size within", () => {
    expect(find("memory", "flags").firstOver).toEqual({ flags: 10_000, historyCommits: 0, value: 612 });
    expect(find("memory", "flags").lastWithin).toEqual({ flags: 1_000, historyCommits: 0, value: 150 });
    expect(find("p99", "flags").firstOver?.flags).toBe(10_000);
  });

  it("reports a limit no row breaks as within, with the largest size measured", () => {
    expect(find("start", "flags").firstOver).toBeUndefined();
    expect(find("start", "flags").lastWithin?.flags).toBe(10_000);
    expect(find("sync", "flags").firstOver).toBeUndefined();
  });

  it("judges the history rows on main apart from the flag counts, skipping failed rows", () => {
    expect(find("memory", "history").firstOver).toEqual({ flags: 1_000, historyCommits: 10_000, value: 400 });
    expect(findingText(find("memory", "history"))).toBe("memory > 384 MiB at 10,000 commits (400 MiB); moved by memoryLimit and memoryRequest (Pulumi.prod.yaml); on a long history, the flags mirror (gitRef: flags-mirror)");
  });

  it("the knee is the flag-count limit broken at the fewest flags", () => {
    const early = scaleFindings([...ROWS, row(5_000, { start: 2, rss: 300, rssAfter: 390, sync: 3, p99: 4.9 })], [], LIMITS);
    expect(kneeOf(early)?.limit).toBe("memory");
    expect(kneeOf(early)?.firstOver?.flags).toBe(5_000);
    expect(kneeOf(scaleFindings(ROWS.slice(0, 3), [], LIMITS))).toBeUndefined();
  });
});

describe("scale limits come from the prod stack's own settings", () => {
  it("reads the memory limit and request and the poll interval of Pulumi.prod.yaml", () => {
    const prod = stackSettings("prod");
    const limits = scaleLimits(prod);
    expect(limits.memoryLimitMiB).toBe(quantityMiB(prod.resources.limits.memory));
    expect(limits.pollIntervalSeconds).toBe(prod.git.pollIntervalSeconds);
    expect(limits.startSeconds).toBe(30);
    expect(limits.p99Ms).toBe(5);
  });

  it.each([
    ["384Mi", 384],
    ["1Gi", 1024],
    ["524288Ki", 512],
    ["1048576", 1],
  ])("quantity %s is %d MiB", (quantity, mib) => expect(quantityMiB(quantity)).toBe(mib));

  it("refuses a quantity it cannot read", () => expect(() => quantityMiB("lots")).toThrow(/memory quantity "lots"/));
});

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
