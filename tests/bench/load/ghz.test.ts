import { describe, expect, it } from "vitest";
import {
  GRPC_BOOLEAN_METHOD,
  GhzRunSpec,
  bytesField,
  callRate,
  fileDescriptor,
  ghzArgs,
  grpcCallData,
  grpcFrame,
  grpcMessages,
  parseGhzReport,
  parseReflectionResponse,
  protoset,
  summarizeCalls,
  wireFields,
  withoutImports,
} from "../../../bench/load/ghz";

/** A ghz JSON report as `--format=json` writes it: durations in ns, detail timestamps at each call's end. */
function report(details: { end: string; latencyMs: number; status: string; error?: string }[], count = details.length): string {
  return JSON.stringify({
    count,
    total: 3e9,
    latencyDistribution: [{ percentage: 99, latency: 1 }],
    details: details.map((d) => ({ timestamp: d.end, latency: d.latencyMs * 1e6, status: d.status, error: d.error ?? "" })),
  });
}

const spec: GhzRunSpec = {
  name: "grpc-500-1",
  address: "127.0.0.1:9000",
  method: GRPC_BOOLEAN_METHOD,
  protosetFile: "/tmp/x/flipt.protoset",
  dataFile: "/tmp/x/data.json",
  ratePerSecond: 500,
  durationSeconds: 10,
  timeoutSeconds: 5,
  cpus: "1",
  workDir: "/tmp/x",
};

describe("ghz runs", () => {
  it("sends at a constant rate, one call per tick without waiting for answers, and waits for the last answers", () => {
    const args = ghzArgs(spec);
    expect(args).toEqual(expect.arrayContaining(["--async", "--rps=500", "--load-schedule=const", "--duration=10s", "--duration-stop=wait", "--timeout=5s", "--format=json"]));
    expect(args).toContain("--protoset=/tmp/x/flipt.protoset");
    expect(args).toContain(`--call=${GRPC_BOOLEAN_METHOD}`);
    expect(args[args.length - 1]).toBe("127.0.0.1:9000");
  });

  it("sends a fixed number of calls as fast as it can for a check run", () => {
    const args = ghzArgs({ ...spec, ratePerSecond: 0, durationSeconds: undefined, total: 12 });
    expect(args).toContain("--total=12");
    expect(args.some((a) => a.startsWith("--rps") || a.startsWith("--duration"))).toBe(false);
  });

  it("evaluates the flags in turn for random entities, with the proto's field names", () => {
    const flags = [
      { namespace: "platform", key: "a" },
      { namespace: "platform", key: "b" },
    ];
    const data = grpcCallData(flags, 3, () => 0.5);
    expect(data.map((d) => d.flag_key)).toEqual(["a", "b", "a"]);
    expect(data[0]).toEqual({ namespace_key: "platform", flag_key: "a", entity_id: "org-50001", context: {} });
  });
});

describe("ghz reports", () => {
  const text = report([
    { end: "2026-12-02T02:26:00.010Z", latencyMs: 1.5, status: "OK" },
    { end: "2026-12-02T02:26:00.512Z", latencyMs: 2, status: "NotFound", error: "rpc error: code = NotFound desc = flag not found" },
    { end: "2026-12-02T02:26:06.000Z", latencyMs: 5000, status: "DeadlineExceeded", error: "rpc error: code = DeadlineExceeded" },
  ]);

  it("reads every call, its start being its end less its latency", () => {
    const { count, calls } = parseGhzReport(text);
    expect(count).toBe(3);
    expect(calls[0]).toEqual({ sentAtMs: Date.parse("2026-12-02T02:26:00.010Z") - 1.5, latencyMs: 1.5, status: "OK", error: "" });
  });

  it("counts a non-OK answer and a call without an answer as errors, their latencies in the percentiles", () => {
    const summary = summarizeCalls(parseGhzReport(text).calls);
    expect(summary).toMatchObject({ requests: 3, non200: 1, transportErrors: 1, errors: 2, p50: 2, max: 5000 });
  });

  it("refuses a report whose details do not cover every call, or that is not a report", () => {
    expect(() => parseGhzReport(report([{ end: "2026-12-02T02:26:00Z", latencyMs: 1, status: "OK" }], 2))).toThrow(/2 calls counted but 1 detailed/);
    expect(() => parseGhzReport("Summary:\n  Count: 3")).toThrow(/not a ghz JSON report/);
  });

  it("gives the rate the calls were started at", () => {
    const calls = Array.from({ length: 11 }, (_, i) => ({ sentAtMs: 1000 + i * 100, latencyMs: 1, status: "OK", error: "" }));
    expect(callRate(calls)).toBeCloseTo(10);
  });
});

describe("the schema from reflection", () => {
  const file = (name: string, deps: string[], extra: Buffer[] = []) =>
    Buffer.concat([bytesField(1, name), bytesField(2, "flipt.evaluation"), ...deps.map((d) => bytesField(3, d)), ...extra]);
  const gnostic = "gnostic/openapi/v3/annotations.proto";

  it("leaves out only the imports reflection cannot serve, keeping every other field", () => {
    const parsed = fileDescriptor(file("evaluation/evaluation.proto", ["google/protobuf/timestamp.proto", gnostic], [bytesField(4, Buffer.from([0x0a, 0x01, 0x41]))]));
    const dropped = withoutImports(parsed, new Set([gnostic]));
    expect(dropped.dependencies).toEqual(["google/protobuf/timestamp.proto"]);
    expect(wireFields(dropped.bytes).map((f) => f.number)).toEqual([1, 2, 3, 4]);
  });

  it("refuses to drop an import from a file with public imports (their indexes would shift)", () => {
    const parsed = fileDescriptor(file("a.proto", [gnostic], [Buffer.from([10 * 8, 0])]));
    expect(() => withoutImports(parsed, new Set([gnostic]))).toThrow(/public or weak imports/);
  });

  it("writes a FileDescriptorSet of the files", () => {
    const files = [fileDescriptor(file("a.proto", [])), fileDescriptor(file("b.proto", ["a.proto"]))];
    const set = wireFields(protoset(files));
    expect(set.map((f) => fileDescriptor(f.payload!).name)).toEqual(["a.proto", "b.proto"]);
  });

  it("reads the files or the error of a reflection answer, framed as gRPC frames them", () => {
    const answer = bytesField(4, Buffer.concat([bytesField(1, file("a.proto", [])), bytesField(1, file("b.proto", []))]));
    const [message] = grpcMessages(grpcFrame(answer));
    const parsed = parseReflectionResponse(message);
    expect("files" in parsed && parsed.files.map((f) => fileDescriptor(f).name)).toEqual(["a.proto", "b.proto"]);
    const error = bytesField(7, Buffer.concat([Buffer.from([0x08, 0x05]), bytesField(2, "proto: not found")]));
    expect(parseReflectionResponse(error)).toEqual({ error: "proto: not found" });
  });
});
