import { describe, expect, it } from "vitest";
import type { LatencyResults } from "../../../bench/latency/measure";
import { kindSpreads } from "../../../bench/latency/repeats";
import { capacityRow, comparisonRate, stepRows, storageRatioRow } from "../../../bench/latency/report";
import type { MachineInfo } from "../../../bench/lib/host";
import { interferenceOf, kindRun, measurement, rules, step, stepOf } from "../steps";

const method: LatencyResults["method"] = {
  tool: "vegeta v12.13.0",
  description: "open loop",
  pinning: { flipt: "0", generator: "1" },
  rules,
  warmupSeconds: 5,
  timeoutSeconds: 5,
  targetsPerKind: 10_000,
  batchSize: 10,
  flags: 12,
  entities: "",
  repeats: 1,
};
const machine: MachineInfo = { cpus: 2, cpuModel: "AMD EPYC 7B13", clockSource: "kvm-clock", stealShare: 0.13, memoryGiB: 8, node: "20", os: "Linux", loadAverageAtStart: [0, 0, 0] };

describe("latency summary: ratios first", () => {
  const git = kindRun("git", "boolean", [step(250, 1.3), step(500, 1.3), step(1000, 1.3), step(2000, 2), step(4000, 8)]);
  const database = kindRun("database", "boolean", [step(250, 1.5), step(500, 1.6), step(1000, 2.6), step(2000, 14)]);
  const [gitSpread, databaseSpread] = kindSpreads([git, database]);

  it("compares p99 at the highest rate both storages measured within the capacity limit", () => {
    expect(comparisonRate(gitSpread, databaseSpread, rules)).toBe(1000);
  });

  it("leads with Git ÷ database from the same run, then the absolute figures with the host they came from", () => {
    expect(storageRatioRow("5 latency", gitSpread, databaseSpread, rules, machine)).toEqual([
      "5 latency",
      "summary: boolean (/evaluate/v1/boolean), Git ÷ database storage, same run",
      "capacity ×2.00 · p99 at 1,000 req/s ×0.50",
      "on 2 × AMD EPYC 7B13, clock source kvm-clock, steal 13.0 % of CPU time over the run: Git 2,000 req/s, p99 1.3 ms; database 1,000 req/s, p99 2.6 ms (p99 at 1,000 req/s)",
    ]);
  });

  it("says the ratios are medians when the ladders were repeated, and has no capacity ratio to no capacity", () => {
    const slowDatabase = (round: number) => kindRun("database", "boolean", [step(250, 6), step(500, 70)], round);
    const spreads = kindSpreads([git, slowDatabase(1), { ...git, round: 2 }, slowDatabase(2)]);
    const row = storageRatioRow("5 latency", spreads[0], spreads[1], rules, machine);
    expect(row[2]).toBe("capacity n/a · p99 at 250 req/s ×0.22; medians of 2 rounds");
    expect(row[3]).toContain("Git 2,000 req/s, p99 1.3 ms; database below 250 req/s, p99 6.0 ms");
  });
});

describe("latency report: capacity and disturbed steps", () => {
  it("says when a veto would have come from a disturbed step", () => {
    const run = kindRun("git", "boolean", [step(250, 8.2, { interference: interferenceOf(233, 40) }), step(500, 2.6), step(1000, 6)]);
    expect(capacityRow("5 latency", run, method)).toEqual([
      "5 latency",
      "capacity per core (p99 ≤ 5 ms): boolean (/evaluate/v1/boolean), Git storage (ours)",
      "500 req/s, p99 2.6 ms",
      "at 1,000 req/s p99 was 6.0 ms (resolved to 500 req/s); a veto would have come from a disturbed step: 250 req/s failed only while others + steal exceeded 100m, in every attempt, so it does not bound the capacity",
    ]);
  });

  it("says nothing of a veto when the lower step failed undisturbed, and the capacity is below the first rate", () => {
    const run = kindRun("git", "boolean", [step(250, 8.2, { interference: interferenceOf(60) }), step(500, 2.6)]);
    expect(capacityRow("5 latency", run, method).slice(2)).toEqual(["below 250 req/s", "at 250 req/s p99 was 8.2 ms"]);
  });

  it("keeps every attempt of a step in the report and marks the one that counts", () => {
    const attempts = [
      { ...measurement(250, 8.2, { interference: interferenceOf(233) }), number: 1, counted: false },
      { ...measurement(250, 1.3, { interference: interferenceOf(20, 5) }), number: 2, counted: true },
    ];
    const rows = stepRows("5 latency", "boolean, Git", stepOf(250, attempts), method);
    expect(rows.map((r) => r[1])).toEqual(["boolean, Git @ 250 req/s", "boolean, Git @ 250 req/s: attempt 1, not counted"]);
    expect(rows[0][2]).toContain("p99 1.3 ms");
    expect(rows[0][3]).toBe("250 req/s sent over 20 s; Flipt 400m (40 % of its core); others 20m + steal 5m on CPU 0, steal 0m on CPU 1; attempt 2 of 2 counts");
    expect(rows[1][2]).toContain("p99 8.2 ms");
    expect(rows[1][3]).toBe("others 233m + steal 0m on CPU 0, steal 0m on CPU 1: disturbed (over 100m)");
  });

  it("marks a refinement step, and states the capacity's resolution from the rate that failed above it", () => {
    const run = kindRun("git", "boolean", [step(250, 1), step(500, 1), step(1000, 2), step(2000, 3), step(4000, 60), step(2500, 4, { refinement: true }), step(3000, 6, { refinement: true })]);
    expect(stepRows("5 latency", "boolean, Git", run.steps[5], method)[0][3]).toContain("refinement step, between the capacity and the first failing rate");
    expect(stepRows("5 latency", "boolean, Git", run.steps[3], method)[0][3]).not.toContain("refinement");
    expect(capacityRow("5 latency", run, method).slice(2)).toEqual(["2,500 req/s, p99 4.0 ms", "at 3,000 req/s p99 was 6.0 ms (resolved to 500 req/s)"]);
  });

  it("marks a step whose every attempt was disturbed", () => {
    const [row] = stepRows("5 latency", "boolean, Git", step(250, 8.2, { interference: interferenceOf(150, 50) }), method);
    expect(row[3]).toContain("DISTURBED: over 100m in every attempt");
  });
});
