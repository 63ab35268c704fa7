import { describe, expect, it } from "vitest";
import { TRANSPORT_REQUESTS, transportLadder, transportRules, transportRun } from "../../../bench/transport/measure";
import { transportCapacity } from "../../../bench/transport/section";
import { step } from "../steps";

describe("transport comparison", () => {
  it("measures the rates given in ascending order, each once", () => {
    expect(transportLadder([1000, 250, 500, 250])).toEqual([250, 500, 1000]);
  });

  it.each([[[]], [[0, 250]], [[250.5]]])("refuses the ladder %j", (rates) => {
    expect(() => transportLadder(rates)).toThrow(/positive integers/);
  });

  it("keeps the latency section's rules, with this section's step length and no minimum request count", () => {
    const rules = transportRules(10);
    expect(rules).toMatchObject({ minSeconds: 10, minRequests: 0, capacityP99Ms: 5, stopP99Ms: 50, maxRemeasures: 1, refinementStepPerSecond: 500 });
  });

  it("reads each transport's capacity per core as the highest rate with p99 ≤ 5 ms and no errors, every lower rate too", () => {
    const rules = transportRules(10);
    const steps = [step(250, 2), step(500, 3), step(1000, 4.9), step(2000, 8), step(4000, 60)];
    const run = transportRun("grpc", "ghz v0.93.0", steps, rules);
    expect(run.capacity).toMatchObject({ requestsPerSecond: 1000, p99Ms: 4.9, nextRatePerSecond: 2000, nextP99Ms: 8 });
    expect(run.request).toBe(TRANSPORT_REQUESTS.grpc);
    const withErrors = transportRun("http", "vegeta v12.13.0", [step(250, 2), step(500, 3, { errors: 1 }), step(1000, 4)], rules);
    expect(withErrors.capacity.requestsPerSecond).toBe(250);
  });

  it("states each transport's capacity with the rate above it that failed, to within a refinement step", () => {
    const rules = transportRules(10);
    const steps = [step(250, 2), step(500, 3), step(1000, 3), step(2000, 4), step(4000, 15), step(2500, 4.5, { refinement: true }), step(3000, 7, { refinement: true })];
    expect(transportCapacity(transportRun("http", "vegeta", steps, rules))).toBe("capacity 2,500 req/s per core at p99 4.5 ms (3,000 req/s failed: p99 7.0 ms)");
    expect(transportCapacity(transportRun("http", "vegeta", [step(250, 6)], rules))).toBe("capacity: none (250 req/s failed: p99 6.0 ms)");
  });
});
