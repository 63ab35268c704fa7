import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { chartRows } from "../../bench/latency/chart";
import { reportHeader, reportRows } from "../../bench/report";
import { SCHEMA_VERSION, keepEarlierSections, parseBenchResults } from "../../bench/results";
import { projectDir } from "../../settings/schema";
import { latency } from "./steps";

const COMMITTED = path.join(projectDir, "bench", "results.json");
/** The committed file as it was before the goruntime section, the utilisation figure and the 500 req/s refinement (2026-12-02's runs). */
const OLDER = path.join(projectDir, "tests", "bench", "fixtures", "results-2026-12-02.json");

/** A latency section as schema 1 wrote it: the kept attempt only, with a count of attempts. */
function v1File(): string {
  const v1Step = (ratePerSecond: number, p99: number, attempts: number) => ({
    ratePerSecond,
    durationSeconds: 20,
    sentPerSecond: ratePerSecond,
    latencyMs: latency(p99),
    refinement: false,
    interference: { othersMillicores: 0, stealMillicores: 0, fliptMillicores: 300 },
    attempts,
  });
  const rules = { stopP99Ms: 50, capacityP99Ms: 5, minSentShare: 0.9, maxRate: 128000, minSeconds: 20, minRequests: 10000, maxInterferenceMillicores: 100, maxAttempts: 2 };
  const run = { storage: "git", kind: "ofrep", target: "latency-git-prod", flagsPerRequest: 1, fliptCpusAllowed: "0", steps: [v1Step(250, 1.5, 1), v1Step(500, 1.3, 2)], capacity: { requestsPerSecond: 500 } };
  const latencySection = { method: { tool: "vegeta", pinning: { flipt: "0", generator: "1" }, rules }, loadAverageAtStart: [0.3, 1.1, 1.8], runs: [run], sizing: { assumptions: {}, storage: "git", byKind: {} } };
  const none = { status: "not selected" };
  return JSON.stringify({
    schemaVersion: 1,
    machine: { cpus: 2, cpuModel: "Intel(R) Xeon(R) Processor", memoryGiB: 24, node: "20", os: "Linux", loadAverageAtStart: [0, 0, 0] },
    sections: { propagation: none, evaluation: none, footprint: none, program: none, tuning: none, latency: { status: "measured", results: latencySection } },
  });
}

describe("reading results files", () => {
  it("reads a schema 1 file as the current schema: the kept attempt numbered as it was, one round, the rules renamed", () => {
    const results = parseBenchResults(v1File(), "old.json");
    expect(results.schemaVersion).toBe(SCHEMA_VERSION);
    const latencySection = results.sections.latency;
    if (latencySection.status !== "measured") throw new Error("latency not measured");
    const { method, runs } = latencySection.results;
    expect(method.rules).toMatchObject({ maxDisturbanceMillicores: 100, maxRemeasures: 1 });
    expect(method.rules).not.toHaveProperty("maxAttempts");
    expect(method.repeats).toBe(1);
    expect(runs[0].round).toBe(1);
    expect(runs[0].steps.map((s) => s.attempts.map((a) => [a.number, a.counted, a.latencyMs.p99]))).toEqual([[[1, true, 1.5]], [[2, true, 1.3]]]);
  });

  it("reports a migrated step measured twice with the earlier attempt as not recorded", () => {
    const rows = reportRows(parseBenchResults(v1File(), "old.json"));
    const step500 = rows.find((r) => r[1].endsWith("@ 500 req/s"))!;
    expect(step500[3]).toContain("attempt 2 of 2 counts (1 earlier not recorded)");
  });

  /** Reads a results file and checks it reports and charts: one counted attempt a step, the summary rows, the chart. */
  function readAndReport(file: string) {
    const results = parseBenchResults(fs.readFileSync(file, "utf8"), file);
    expect(reportHeader(results)).toContain("host: ");
    const latencySection = results.sections.latency;
    if (latencySection.status !== "measured") throw new Error(`${file} has no latency section`);
    for (const run of latencySection.results.runs) for (const s of run.steps) expect(s.attempts.filter((a) => a.counted)).toHaveLength(1);
    expect(reportRows(results).some((r) => r[1].startsWith("summary: boolean"))).toBe(true);
    expect(chartRows(latencySection.results.runs).length).toBeGreaterThan(0);
    return { results, latency: latencySection.results };
  }

  it("reads the committed bench/results.json and reports and charts it", () => {
    readAndReport(COMMITTED);
  });

  it("reads a results file written before the goruntime section and the utilisation figure (2026-12-02's, kept as a fixture)", () => {
    const { results, latency } = readAndReport(OLDER);
    // Written before the goruntime section and the utilisation figure existed: read without them.
    expect(results.sections.goruntime).toEqual({ status: "not selected" });
    expect(latency.utilisation).toBeUndefined();
    expect(reportRows(results).some((r) => r[2].includes("then one step midway between the capacity and the next rate"))).toBe(true);
  });

  it("reads an older file's transport comparison, made inside the scale section, as the transport section", () => {
    const text = fs.readFileSync(OLDER, "utf8");
    const stored = JSON.parse(text);
    const results = parseBenchResults(text, OLDER);
    const transport = results.sections.transport;
    if (transport.status !== "measured" || results.sections.scale.status !== "measured") throw new Error("the committed results have no transport or scale section");
    expect(transport.results).toEqual(stored.sections.scale.results.transport.results);
    expect(transport.results.runs.map((run) => run.transport)).toEqual(["http", "ofrep", "grpc"]);
    expect(results.sections.scale.results).not.toHaveProperty("transport");
    expect(results.keptFrom?.transport).toBeUndefined();
    const rows = reportRows(results);
    expect(rows.filter((r) => r[1].startsWith("transport: ")).map((r) => r[0])).toEqual(["transport", "transport", "transport"]);
    expect(rows.some((r) => r[0] === "6 scale" && r[1].startsWith("transport"))).toBe(false);
  });

  it("names the file and what it expected for an unknown schema or text that is not JSON", () => {
    expect(() => parseBenchResults('{"schemaVersion": 7}', "bench/x.json")).toThrow("bench/x.json: schemaVersion 7: expected 1 or 2");
    expect(() => parseBenchResults("{", "bench/x.json")).toThrow("bench/x.json: not JSON");
  });
});

describe("a run of some sections keeps the others from the file it replaces", () => {
  const none = { status: "not selected" } as const;
  const sections = { propagation: none, evaluation: none, footprint: none, program: none, tuning: none, latency: none, transport: none, scale: none, goruntime: none };
  const file = (command: string, startedAt: string, picked: Partial<typeof sections> | Record<string, unknown>) =>
    ({ schemaVersion: SCHEMA_VERSION, command, startedAt, finishedAt: startedAt, quick: false, machine: {}, flipt: {}, sections: { ...sections, ...picked } }) as any;
  const latencyRun = file("npm run bench -- --only latency", "2026-12-01T00:00:00Z", { latency: { status: "measured", results: { runs: [] } } });

  it("takes the earlier measured section and names the run that measured it; this run's sections win", () => {
    const scaleRun = file("npm run bench -- --only scale", "2026-12-02T00:00:00Z", { scale: { status: "failed", error: "x" } });
    const written = keepEarlierSections(scaleRun, latencyRun);
    expect(written.sections.latency).toEqual(latencyRun.sections.latency);
    expect(written.sections.scale).toEqual({ status: "failed", error: "x" });
    expect(written.keptFrom).toEqual({ latency: { command: "npm run bench -- --only latency", startedAt: "2026-12-01T00:00:00Z", finishedAt: "2026-12-01T00:00:00Z" } });
    // Kept again by the next run: still named after the run that measured it.
    const next = keepEarlierSections(file("npm run bench -- --only program", "2026-12-03T00:00:00Z", {}), written);
    expect(next.keptFrom?.latency?.startedAt).toBe("2026-12-01T00:00:00Z");
    expect(next.keptFrom?.scale?.startedAt).toBe("2026-12-02T00:00:00Z");
  });

  it("keeps a transport comparison made inside a kept scale section as kept from the run that measured that section", () => {
    const scaleRun = { command: "npm run bench -- --only scale", startedAt: "2026-12-02T00:00:00Z", finishedAt: "2026-12-02T00:20:00Z" };
    const transport = { status: "measured", results: { runs: [] } };
    const { transport: _, ...older } = sections;
    void _;
    const stored = { ...latencyRun, keptFrom: { scale: scaleRun }, sections: { ...older, scale: { status: "measured", results: { flipt: [], transport } } } };
    const read = parseBenchResults(JSON.stringify(stored), "older.json");
    expect(read.sections.transport).toEqual(transport);
    expect(read.sections.scale).toEqual({ status: "measured", results: { flipt: [] } });
    expect(read.keptFrom).toEqual({ scale: scaleRun, transport: scaleRun });
    const next = keepEarlierSections(file("npm run bench -- --only latency", "2026-12-03T00:00:00Z", { latency: { status: "failed", error: "x" } }), read);
    expect(next.sections.transport).toEqual(transport);
    expect(next.keptFrom?.transport).toEqual(scaleRun);
  });

  it("reads a file whose scale section failed, or never had a transport part, with the transport section not selected", () => {
    const { transport: _, goruntime: __, ...older } = sections;
    void _, __;
    for (const scale of [{ status: "failed", error: "x" }, { status: "measured", results: { flipt: [] } }]) {
      const read = parseBenchResults(JSON.stringify({ ...latencyRun, sections: { ...older, scale } }), "older.json");
      expect(read.sections.transport).toEqual({ status: "not selected" });
      expect(read.sections.scale).toEqual(scale);
    }
  });

  it("keeps nothing without an earlier file, and reads a schema 2 file without a scale section as not selected", () => {
    const run = file("npm run bench", "2026-12-02T00:00:00Z", {});
    expect(keepEarlierSections(run, undefined)).toBe(run);
    const { scale, ...older } = sections;
    void scale;
    expect(parseBenchResults(JSON.stringify({ ...latencyRun, sections: older }), "older.json").sections.scale).toEqual({ status: "not selected" });
  });
});
