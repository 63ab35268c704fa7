import { describe, expect, it } from "vitest";
import { kneeOf, quantityMiB, scaleFindings, scaleLimits } from "../../../bench/scale/findings";
import { findingText } from "../../../bench/scale/report";
import { LIMITS, ROWS, row } from "./rows";
import { readStack } from "../../../settings/stackFiles";

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
    const prod = readStack("prod").settings;
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
