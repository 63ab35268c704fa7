import { describe, expect, it } from "vitest";
import { parseProcStatCpuTicks, parseProcStatus } from "../../../bench/lib/processFootprint";

describe("reading /proc", () => {
  it("reads resident memory, anonymous and file-backed, from /proc/<pid>/status", () => {
    const status = ["Name:\tflipt", "VmHWM:\t  120548 kB", "VmRSS:\t  119684 kB", "RssAnon:\t   21092 kB", "RssFile:\t   98592 kB", "RssShmem:\t       0 kB"].join("\n");
    expect(parseProcStatus(status)).toEqual({ rssBytes: 119684 * 1024, rssAnonBytes: 21092 * 1024, rssFileBytes: 98592 * 1024 });
  });

  it("names the missing line", () => {
    expect(() => parseProcStatus("Name:\tflipt\nVmRSS:\t 1 kB")).toThrow("no RssAnon line");
  });

  it("adds user and system CPU ticks, even when the command name holds spaces and parentheses", () => {
    const stat = "26369 (fl (i) pt) S 1 26369 26369 0 -1 4194560 5170 0 0 0 1096 37 0 0 20 0 9 0 123 0 0";
    expect(parseProcStatCpuTicks(stat)).toBe(1133);
  });
});
