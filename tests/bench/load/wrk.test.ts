import { describe, expect, it } from "vitest";
import { LoadSpec, parseWrkResult, wrkScript } from "../../../bench/load/wrk";

const flags = [
  { namespace: "platform", key: "kill_switches--gate--control_api" },
  { namespace: "maestro", key: "agent_authority--draft_and_confirm_default" },
];
const spec = (kind: LoadSpec["kind"]): LoadSpec => ({ kind, flags, batchSize: 10, connections: 16, threads: 2, durationSeconds: 15 });

describe("wrk load", () => {
  it("writes a script that posts to the endpoint of its kind, with every flag and a random entity", () => {
    const boolean = wrkScript(spec("boolean"));
    expect(boolean).toContain('local path = "/evaluate/v1/boolean"');
    expect(boolean).toContain('{"platform", "kill_switches--gate--control_api"}');
    expect(boolean).toContain('{"maestro", "agent_authority--draft_and_confirm_default"}');
    expect(boolean).toContain('"org-" .. math.random(1, 100000)');
    expect(wrkScript(spec("batch"))).toContain('local path = "/evaluate/v1/batch"');
  });

  it("refuses a flag key that would break out of a Lua string", () => {
    expect(() => wrkScript({ ...spec("boolean"), flags: [{ namespace: "platform", key: 'x"..os.exit()' }] })).toThrow("cannot go into the wrk script");
  });

  it("reads the figures from the script's result line, in requests per second and milliseconds", () => {
    const output = [
      "Running 15s test @ http://127.0.0.1:34959",
      '  2 threads and 16 connections',
      'BENCH_JSON {"requests":3000,"duration_us":15000000,"connect":0,"read":1,"write":0,"status":2,"timeout":3,"p50":1432,"p90":7176,"p99":22480,"max":62555,"mean":2924.9}',
    ];
    const result = parseWrkResult(output, spec("batch"));
    expect(result.requestsPerSecond).toBe(200);
    expect(result.evaluationsPerSecond).toBe(2000);
    expect(result.latencyMs).toEqual({ p50: 1.432, p90: 7.176, p99: 22.48, max: 62.555, mean: 2.9249 });
    expect(result.errors).toEqual({ connect: 0, read: 1, write: 0, status: 2, timeout: 3, total: 6 });
  });

  it("quotes wrk's output when the result line is missing", () => {
    expect(() => parseWrkResult(["unable to connect to 127.0.0.1:1 Connection refused"], spec("boolean"))).toThrow("Connection refused");
  });
});
