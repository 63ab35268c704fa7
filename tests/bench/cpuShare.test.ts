import { describe, expect, it } from "vitest";
import { interference, parseProcStatCpu } from "../../bench/cpuShare";

const stat = ["cpu  259948 0 50029 102958 1158 0 3754 315 0 0", "cpu0 130307 5 23121 53682 211 7 2011 168 0 0", "cpu1 129641 0 26908 49276 946 0 1743 146 0 0", "intr 1"].join("\n");

describe("what else ran on Flipt's core", () => {
  it("reads a core's busy and steal ticks from /proc/stat, idle and iowait left out", () => {
    expect(parseProcStatCpu(stat, 0)).toEqual({ busy: 130307 + 5 + 23121 + 7 + 2011, steal: 168 });
    expect(parseProcStatCpu(stat, 1).steal).toBe(146);
    expect(() => parseProcStatCpu(stat, 2)).toThrow("no cpu2 line");
  });

  it("is the core's busy time less Flipt's own, per second of the window, in millicores", () => {
    // 20 s at 100 ticks/s: 1400 busy ticks = 700m; Flipt used 12 s of CPU = 600m; others 100m.
    const result = interference({ busy: 1000, steal: 10 }, { busy: 2400, steal: 30 }, 12, 20, 100);
    expect(result.fliptMillicores).toBe(600);
    expect(result.othersMillicores).toBeCloseTo(100);
    expect(result.stealMillicores).toBeCloseTo(10);
  });

  it("never reports less than nothing when tick rounding puts Flipt above the core", () => {
    expect(interference({ busy: 0, steal: 0 }, { busy: 1990, steal: 0 }, 20, 20, 100).othersMillicores).toBe(0);
  });
});
