import { describe, expect, it } from "vitest";
import { cgroupNote, deriveShare, excursionsAbove, goManagedBytes, gomemlimitValue } from "../../../bench/goruntime/memory";

const MIB = 1024 * 1024;
const samples = (mib: number[]) => mib.map((m, i) => ({ atMs: i * 150, rssBytes: m * MIB }));

describe("OOM-near events", () => {
  it("counts each run of consecutive samples above the threshold once, with the time above and the peak", () => {
    const found = excursionsAbove(samples([300, 350, 351, 340, 352, 360, 300, 346]), 345.6 * MIB);
    expect(found.events).toBe(3);
    expect(found.secondsAbove).toBeCloseTo(0.6, 6); // 2 + 2 intervals of 150 ms; the last sample has none after it
    expect(found.peakBytes).toBe(360 * MIB);
  });

  it("has none when RSS stays at or under the threshold", () => {
    expect(excursionsAbove(samples([100, 345, 345]), 345 * MIB)).toEqual({ events: 0, secondsAbove: 0, peakBytes: 345 * MIB });
  });
});

describe("the memory GOMEMLIMIT sees, and its share of the limit", () => {
  const exposition = ["# HELP go_memstats_sys_bytes x", "go_memstats_sys_bytes 1.84466e+07", "go_memstats_heap_released_bytes 581632", "process_resident_memory_bytes 8.0859136e+07"].join("\n");

  it("is Go's memory from the OS less what it released, from Flipt's metrics", () => {
    expect(goManagedBytes(exposition)).toBe(18_446_600 - 581_632);
    expect(goManagedBytes("go_goroutines 14")).toBeUndefined();
  });

  it("leaves the limit less the measured overhead and the margin, rounded down to a whole percent", () => {
    // 384 MiB limit, 66 MiB outside Go, 10 % margin: (384 - 66 - 38.4) / 384 = 72.8 % → 72 %.
    expect(deriveShare(384, 66, 0.1)).toEqual({ memoryLimitMiB: 384, overheadMiB: 66, marginShare: 0.1, share: 0.72 });
    expect(gomemlimitValue(384, 0.72)).toBe("276MiB");
    expect(() => deriveShare(128, 120, 0.1)).toThrow("no room for Go's heap: 120 MiB outside Go's runtime and a 10 % margin fill the 128 MiB limit");
  });
});

describe("why OOM-near events come from sampled RSS", () => {
  const mountinfo = "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory";

  it("names a cgroup v2 mount without the memory controller", () => {
    expect(cgroupNote(mountinfo, () => "")).toContain("cgroup v2 is mounted at /sys/fs/cgroup/unified without the memory controller");
    expect(cgroupNote(mountinfo, () => "cpu io memory pids")).toContain("offers the memory controller, but the bench does not create cgroups");
    expect(cgroupNote("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory", () => undefined)).toContain("no cgroup v2 hierarchy is mounted here");
  });
});
