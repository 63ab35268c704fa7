import { describe, expect, it } from "vitest";
import { vitestSummary } from "../../bench/program";
import { formatMs, formatRatio } from "../../bench/format";
import { evaluationRatioRow, formatTable } from "../../bench/report";
import { loadRatios } from "../../bench/results";

describe("bench report", () => {
  it.each([
    [0.4321, "0.43 ms"],
    [1.432, "1.4 ms"],
    [22.48, "22 ms"],
    [850, "850 ms"],
    [5300, "5.3 s"],
  ])("prints %s ms as %s", (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });

  it("prints a ratio, or n/a when there is none", () => {
    expect(formatRatio(3.284)).toBe("×3.28");
    expect(formatRatio(undefined)).toBe("n/a");
  });

  it("aligns the columns and wraps a long cell onto continuation lines", () => {
    const table = formatTable([["1 propagation", "dev", "median 5.1 s", "one two three four"]], 13);
    expect(table.split("\n")).toEqual([
      "| section       | measurement | result       | compared with |",
      "|---------------|-------------|--------------|---------------|",
      "| 1 propagation | dev         | median 5.1 s | one two three |",
      "|               |             |              | four          |",
    ]);
  });

  it("finds vitest's summary lines, colours or not", () => {
    const output = ["\u001b[2m Test Files \u001b[22m \u001b[1m\u001b[32m19 passed\u001b[39m\u001b[22m\u001b[90m (19)\u001b[39m", "      Tests  458 passed (458)"];
    expect(vitestSummary(output)).toBe("Test Files  19 passed (19); Tests  458 passed (458)");
    expect(vitestSummary(["npm ERR! missing script: test"])).toBe("");
  });
});

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
