import { describe, expect, it } from "vitest";
import { resourceFit } from "../../../bench/footprint/fit";
import type { WindowFootprint } from "../../../bench/lib/processFootprint";

const MIB = 1024 * 1024;

function window(rssMiB: number, cpuMillicores: number): WindowFootprint {
  return {
    seconds: 10,
    cpuMillicores,
    cpuSeconds: cpuMillicores / 100,
    rssPeakBytes: rssMiB * MIB,
    rssMeanBytes: rssMiB * MIB,
    rssAnonPeakBytes: 20 * MIB,
    rssFilePeakBytes: (rssMiB - 20) * MIB,
    samples: 40,
  };
}

describe("resource fit", () => {
  const resources = { requests: { cpu: "50m", memory: "96Mi" }, limits: { cpu: "500m", memory: "256Mi" } };

  it.each([
    ["everything within the requests", 80, 90, 2, true, true, true],
    ["an idle RSS over the memory request", 111, 118, 2, false, true, false],
    ["a peak RSS over the memory limit", 111, 300, 2, false, false, false],
    ["idle CPU over the CPU request", 80, 90, 60, true, true, false],
  ])("judges %s", (_, idleMiB, loadedMiB, idleCpu, withinRequest, withinLimit, fits) => {
    const fit = resourceFit("dev", resources, window(idleMiB, idleCpu), window(loadedMiB, 1500), 200e-6);
    expect(fit).toMatchObject({ memoryWithinRequest: withinRequest, memoryWithinLimit: withinLimit, fits });
    expect(fit.memoryHeadroomBytes).toBe((256 - Math.max(idleMiB, loadedMiB)) * MIB);
  });

  it("turns the CPU an evaluation costs into evaluations per second at the CPU limit", () => {
    const fit = resourceFit("dev", resources, window(80, 2), window(90, 1500), 200e-6);
    expect(fit.requests).toEqual({ cpuMillicores: 50, memoryBytes: 96 * MIB });
    expect(fit.limits).toEqual({ cpuMillicores: 500, memoryBytes: 256 * MIB });
    expect(fit.evaluationsPerSecondAtCpuLimit).toBeCloseTo(2500);
  });

  it("names the setting that is no quantity", () => {
    const bad = { ...resources, limits: { cpu: "half", memory: "256Mi" } };
    expect(() => resourceFit("dev", bad, window(80, 2), window(90, 1500), 200e-6)).toThrow('dev cpuLimit "half" is not a Kubernetes quantity');
  });
});
