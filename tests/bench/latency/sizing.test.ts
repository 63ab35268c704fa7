import { describe, expect, it } from "vitest";
import { stackSizing } from "../../../bench/latency/sizing";

describe("sizing", () => {
  const assumptions = { peakEvaluationsPerSecond: 10_000, plannedUtilisation: 0.5 };

  it("scales the per-core capacity by the CPU limit and plans pods at half of it", () => {
    // 4000/s per core: a 500m pod serves 2000/s, planned at 1000/s: 10 pods for 10,000/s.
    expect(stackSizing("dev", 500, 1, 4000, assumptions)).toEqual({ stack: "dev", cpuLimitMillicores: 500, evaluationsPerSecondPerPod: 2000, replicasForPeak: 10, configuredReplicas: 1 });
    expect(stackSizing("prod", 1000, 2, 4000, assumptions).replicasForPeak).toBe(5);
  });

  it("never plans fewer pods than the stack runs", () => {
    expect(stackSizing("prod", 1000, 2, 100_000, assumptions).replicasForPeak).toBe(2);
  });

  it("carries the autoscaler's maximum where the stack autoscales, and nothing for fixed replicas", () => {
    expect(stackSizing("prod", 1000, 2, 4000, assumptions, 10).autoscalingMaxReplicas).toBe(10);
    expect(stackSizing("dev", 500, 1, 4000, assumptions)).not.toHaveProperty("autoscalingMaxReplicas");
  });

  it("refuses to size from no capacity", () => {
    expect(() => stackSizing("prod", 1000, 2, 0, assumptions)).toThrow("no capacity to size prod from");
  });
});
