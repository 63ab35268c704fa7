import { describe, expect, it } from "vitest";
import { VegetaResult, parseVegetaResult, sentRate, summarizeResults, vegetaTarget, vegetaTargetLines } from "../../../bench/load/vegeta";

const flags = [
  { namespace: "platform", key: "kill_switches--gate--control_api" },
  { namespace: "maestro", key: "agent_authority--draft_and_confirm_default" },
];
const decode = (body: string) => JSON.parse(Buffer.from(body, "base64").toString("utf8"));

describe("vegeta targets", () => {
  it("posts a boolean evaluation of the flag in turn for the entity", () => {
    const t = vegetaTarget("http://127.0.0.1:8080", "boolean", flags, 3, "org-7", 10);
    expect(t.url).toBe("http://127.0.0.1:8080/evaluate/v1/boolean");
    expect(t.header["Content-Type"]).toEqual(["application/json"]);
    expect(decode(t.body)).toEqual({ namespaceKey: "maestro", flagKey: "agent_authority--draft_and_confirm_default", entityId: "org-7", context: {} });
  });

  it("sends OFREP's single-flag evaluation with the namespace in Flipt's header and the entity as targeting key", () => {
    const t = vegetaTarget("http://127.0.0.1:8080", "ofrep", flags, 0, "org-7", 10);
    expect(t.url).toBe("http://127.0.0.1:8080/ofrep/v1/evaluate/flags/kill_switches--gate--control_api");
    expect(t.header["X-Flipt-Namespace"]).toEqual(["platform"]);
    expect(decode(t.body)).toEqual({ context: { targetingKey: "org-7" } });
  });

  it("puts batchSize flags from the one in turn into a batch, all for the same entity", () => {
    const body = decode(vegetaTarget("http://127.0.0.1:8080", "batch", flags, 1, "org-9", 3).body);
    expect(body.requests.map((r: { flagKey: string }) => r.flagKey)).toEqual([flags[1].key, flags[0].key, flags[1].key]);
    expect(new Set(body.requests.map((r: { entityId: string }) => r.entityId))).toEqual(new Set(["org-9"]));
  });

  it("writes one JSON target per line, each for a random entity in org-1…org-100000", () => {
    const draws = [0, 0.5, 0.999999];
    let i = 0;
    const lines = vegetaTargetLines("http://127.0.0.1:1", "boolean", flags, 3, 10, () => draws[i++]).trim().split("\n");
    expect(lines.map((l) => decode(JSON.parse(l).body).entityId)).toEqual(["org-1", "org-50001", "org-100000"]);
    expect(JSON.parse(lines[0]).method).toBe("POST");
  });
});

const result = (sentAtMs: number, latencyMs: number, code = 200, error = ""): VegetaResult => ({ sentAtMs, latencyMs, code, error });

describe("vegeta results", () => {
  it("reads a line of vegeta encode --to json: send time, latency in ms, status, body", () => {
    const line = JSON.stringify({
      attack: "boolean-1000",
      seq: 41,
      code: 200,
      timestamp: "2026-12-01T19:17:53.944815829Z",
      latency: 1_234_567,
      bytes_out: 98,
      bytes_in: 40,
      error: "",
      body: Buffer.from('{"enabled":true}').toString("base64"),
      method: "POST",
      url: "http://127.0.0.1:1/evaluate/v1/boolean",
      headers: { "Content-Type": ["application/json"] },
    });
    expect(parseVegetaResult(line)).toEqual({ sentAtMs: Date.UTC(2026, 11, 1, 19, 17, 53, 944), latencyMs: 1.234567, code: 200, error: "", body: '{"enabled":true}' });
  });

  it("reads a request that got no answer", () => {
    const line = '{"code":0,"timestamp":"2026-12-01T19:17:53Z","latency":5000000000,"error":"Post \\"http://127.0.0.1:1\\": context deadline exceeded","body":null}';
    expect(parseVegetaResult(line)).toMatchObject({ code: 0, latencyMs: 5000, body: undefined });
  });

  it("refuses a line that is not a result", () => {
    expect(() => parseVegetaResult('{"hello":"world"}')).toThrow("not a vegeta result");
  });

  it("takes nearest-rank percentiles over every request, failed ones included, and counts failures by kind", () => {
    const results = Array.from({ length: 1000 }, (_, i) => result(i, i + 1));
    results[10] = result(10, 5000, 0, "timeout");
    results[11] = result(11, 3, 503);
    const s = summarizeResults(results);
    expect(s).toMatchObject({ requests: 1000, p50: 501, p90: 901, p99: 991, p999: 1000, max: 5000, non200: 1, transportErrors: 1, errors: 2 });
  });

  it("measures the rate actually sent over the span of send times", () => {
    const results = Array.from({ length: 501 }, (_, i) => result(1000 + i * 2, 1));
    expect(sentRate(results)).toBeCloseTo(500);
    expect(sentRate([result(0, 1)])).toBe(0);
  });
});
