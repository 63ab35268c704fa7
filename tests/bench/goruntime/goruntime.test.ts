import { describe, expect, it } from "vitest";
import { GoRuntimeRun, goRuntimeRules, runOrder } from "../../../bench/goruntime/measure";
import { goRuntimeRunRow, shareRow } from "../../../bench/goruntime/section";
import { GO_RUNTIME_PROFILES, estimatedSeconds } from "../../../bench/goruntime/profile";
import { GO_CONFIGS, goEnvironment, parseGoConfigs } from "../../../bench/lib/goEnvironment";
import { envPrefix } from "../../../bench/lib/pinning";

describe("Go runtime configurations", () => {
  it("reads unset-<GOGC> and set-<GOGC> lists, each once, and says what it expected otherwise", () => {
    expect(parseGoConfigs("unset-100, set-200,unset-100")).toEqual([{ gomemlimit: "unset", gogc: 100 }, { gomemlimit: "set", gogc: 200 }]);
    expect(parseGoConfigs("set-0")).toBe('"set-0": expected unset-<GOGC> or set-<GOGC>, e.g. unset-100,set-200');
  });

  it("sets or removes GOMEMLIMIT and sets GOGC and the GC trace in Flipt's environment, whatever the render holds", () => {
    expect(goEnvironment({ gomemlimit: "unset", gogc: 200 }, undefined)).toEqual({ GOMEMLIMIT: undefined, GOGC: "200", GODEBUG: "gctrace=1" });
    expect(goEnvironment({ gomemlimit: "set", gogc: 100 }, "276MiB")).toEqual({ GOMEMLIMIT: "276MiB", GOGC: "100", GODEBUG: "gctrace=1" });
    expect(() => goEnvironment({ gomemlimit: "set", gogc: 100 }, undefined)).toThrow("set-100: no GOMEMLIMIT value to set");
    expect(envPrefix({ GOMEMLIMIT: undefined, GOGC: "200" })).toBe("env -u GOMEMLIMIT GOGC='200' ");
    expect(envPrefix({})).toBe("");
  });

  it("measures the largest flag count first, GOMEMLIMIT unset before set, so the share is measured before a run needs it", () => {
    const order = runOrder([1000, 3000], [GO_CONFIGS[2], GO_CONFIGS[0], GO_CONFIGS[3], GO_CONFIGS[1]]);
    expect(order.map((o) => `${o.flags}/${o.config.gomemlimit}-${o.config.gogc}`)).toEqual([
      "3000/unset-100", "3000/unset-200", "3000/set-100", "3000/set-200",
      "1000/unset-100", "1000/unset-200", "1000/set-100", "1000/set-200",
    ]);
  });

  it("estimates the full section within 25 minutes on one core, and the quick one within 3", () => {
    expect(estimatedSeconds(GO_RUNTIME_PROFILES.full)).toBeLessThan(25 * 60);
    expect(estimatedSeconds(GO_RUNTIME_PROFILES.quick)).toBeLessThan(3 * 60);
  });
});

describe("the goruntime table", () => {
  const window = (share: number) => ({ cycles: 10, gcCpuSeconds: share, fliptCpuSeconds: 1, wallSeconds: 10, shareOfFliptCpu: share, shareOfCore: share / 10 });
  const latencyMs = { requests: 15_000, p50: 0.4, p90: 0.8, p99: 2.1, p999: 4, max: 9, non200: 0, transportErrors: 0, errors: 0 };
  const run = {
    flags: 3000,
    config: { gomemlimit: "set", gogc: 200 },
    environment: { GOMEMLIMIT: "268MiB", GOGC: "200", GODEBUG: "gctrace=1" },
    startSeconds: 1.6,
    rssAfterStartMiB: 204.4,
    rssAfterSyncsMiB: 320.2,
    rssPeakMiB: 351,
    rssSamples: 800,
    oomNear: { events: 2, secondsAbove: 1.5, peakBytes: 351 * 1024 * 1024 },
    overheadMiB: 70,
    goManagedPeakMiB: 260,
    sync: { firstSeconds: 2.3, firstSyncsCounted: 1, firstCommitToSyncedSeconds: 3, changeSyncs: 21, medianSeconds: 2.3, maxSeconds: 2.6, rssAfterMiB: 320.2 },
    gc: { syncs: window(0.183), load: window(0.052), cycles: 300, cumulativePercent: 9 },
    load: { ratePerSecond: 1000, durationSeconds: 15, sentPerSecond: 1000, latencyMs, interference: { othersMillicores: 150, stealMillicores: 0, fliptMillicores: 300 } },
    steps: [],
    capacity: { requestsPerSecond: 2500, p99Ms: 4.2, nextRatePerSecond: 3000, nextP99Ms: 6.1, disturbedVetoRates: [] },
  } as const;
  const results = { oomNearThresholdMiB: 345.6, rules: goRuntimeRules(10) };

  it("has one row per flag count and configuration: RSS, OOM-near events, GC CPU, p99 at 1,000 req/s and capacity", () => {
    expect(goRuntimeRunRow(run as unknown as GoRuntimeRun, results)).toEqual([
      "goruntime",
      "3,000 flags, GOMEMLIMIT set, GOGC 200 (268MiB)",
      "RSS 204 MiB → 320 MiB after 21 syncs, peak 351 MiB · 2 OOM-near (1.5 s above 346 MiB) · GC 18.3 % of Flipt's CPU in the syncs, 5.2 % at 1,000 req/s",
      "p99 @ 1,000 req/s 2.1 ms, DISTURBED: others + steal 150m on Flipt's core · capacity 2,500 req/s per core (3,000 failed: p99 6.1 ms)",
    ]);
    expect(goRuntimeRunRow({ flags: 1000, config: { gomemlimit: "unset", gogc: 100 }, error: "Flipt exited\nlog" }, results)).toEqual(["goruntime", "1,000 flags, GOMEMLIMIT unset, GOGC 100", "FAILED", "Flipt exited"]);
  });

  it("states the GOMEMLIMIT the set runs had and how its share was measured", () => {
    const derivation = { memoryLimitMiB: 384, overheadMiB: 77, marginShare: 0.1, share: 0.69, flags: 3000 };
    expect(shareRow({ memoryLimitMiB: 384, gomemlimit: { share: 0.69, value: "264MiB", source: "measured", derivation } })).toEqual([
      "goruntime",
      "GOMEMLIMIT for the set runs",
      "264MiB = 69 % of memoryLimit 384 MiB",
      "measured at 3,000 flags with GOMEMLIMIT unset: RSS less Go's runtime-managed memory (go_memstats_sys_bytes − heap_released) at most 77 MiB; (384 MiB − 77 MiB − 10 % margin) ÷ 384 MiB, rounded down",
    ]);
    expect(shareRow({ memoryLimitMiB: 384, gomemlimitError: "no run at 3000 flags" })[2]).toBe("not derived: no run at 3000 flags");
  });
});
