import { describe, expect, it } from "vitest";
import { evaluationRatioRow } from "../../../bench/evaluation/section";
import { loadRatios } from "../../../bench/lib/loadRuns";

describe("evaluation summary: ratios first", () => {
  const load = (requestsPerSecond: number, p99: number, cpuMicrosPerEvaluation: number) =>
    ({ kind: "boolean", requestsPerSecond, evaluationsPerSecond: requestsPerSecond, latencyMs: { p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 2, mean: p99 / 3 }, cpuMicrosPerEvaluation }) as any;
  const ours = { name: "git-prod", loads: { boolean: load(18_000, 4, 50) } } as any;
  const database = { name: "database-prod", loads: { boolean: load(9000, 8, 100) } } as any;
  const machine = { cpus: 2, cpuModel: "AMD EPYC 7B13", clockSource: "kvm-clock", stealShare: 0.02, memoryGiB: 8, node: "20", os: "Linux", loadAverageAtStart: [0, 0, 0] };

  it("leads with ours ÷ database from the same run, then the boolean figures with the host they came from", () => {
    const row = evaluationRatioRow({ ours, database, oursToDatabase: loadRatios(ours.loads, database.loads) } as any, machine);
    expect(row).toEqual([
      "2 evaluation",
      "summary: ours ÷ database storage, same run",
      "boolean ×2.00 req/s, ×0.50 p99 · batch n/a req/s, n/a p99 · ×0.50 CPU/evaluation",
      "on 2 × AMD EPYC 7B13, clock source kvm-clock, steal 2.0 % of CPU time over the run, boolean: ours 18,000 req/s, p99 4.0 ms; database 9,000 req/s, p99 8.0 ms",
    ]);
  });
});
