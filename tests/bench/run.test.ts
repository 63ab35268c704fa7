import { describe, expect, it } from "vitest";
import { parseOptions, problems } from "../../bench/run";

describe("bench exit status", () => {
  it("lists every selected section that was not measured or failed, and nothing for a clean run", () => {
    const found = problems({
      propagation: { status: "not measured", reason: "Flipt is unavailable: no Flipt binary" },
      evaluation: { status: "failed", error: "wrk failed (exit 1):\nunable to connect" },
      footprint: { status: "not selected" },
      program: {
        status: "measured",
        results: { commands: [{ name: "npm test", command: "npm test", wallMs: 1000, exitCode: 1, detail: "failed (exit code 1): Tests  1 failed" }] },
      },
      tuning: { status: "not selected" },
      latency: { status: "not selected" },
      transport: { status: "not selected" },
      scale: { status: "not selected" },
      goruntime: { status: "not selected" },
    });
    expect(found).toEqual([
      "propagation: not measured: Flipt is unavailable: no Flipt binary",
      "evaluation: failed: wrk failed (exit 1):",
      "program: npm test: failed (exit code 1): Tests  1 failed",
    ]);
    expect(problems({ propagation: { status: "not selected" }, evaluation: { status: "not selected" }, footprint: { status: "not selected" }, program: { status: "measured", results: { commands: [] } }, tuning: { status: "not selected" }, latency: { status: "not selected" }, transport: { status: "not selected" }, scale: { status: "not selected" }, goruntime: { status: "not selected" } })).toEqual([]);
  });
});

describe("bench exit status, latency section", () => {
  const window = (name: string, ok: boolean) => ({
    name,
    description: "",
    seconds: 20,
    latencyMs: { requests: 20_000, p50: 0.5, p90: 0.8, p99: 2, p999: 4, max: 9, non200: ok ? 0 : 3, transportErrors: 0, errors: ok ? 0 : 3 },
    expected: [false, true],
    served: { true: 10_000, false: 9_997 },
    unexpected: 0,
    ok,
  });
  const latency = (windows: ReturnType<typeof window>[], extra: object = {}) =>
    ({
      status: "measured",
      results: { method: {}, loadAverageAtStart: [0.2, 0.3, 0.4], runs: [], sizing: { assumptions: {}, storage: "git", byKind: {} }, changeAndFault: { target: "", flag: "platform/x", ratePerSecond: 1000, pollInterval: "15s", windows }, chart: "bench/results-latency.svg", ...extra },
    }) as any;
  const none = { propagation: { status: "not selected" }, evaluation: { status: "not selected" }, footprint: { status: "not selected" }, program: { status: "not selected" }, tuning: { status: "not selected" }, transport: { status: "not selected" }, scale: { status: "not selected" }, goruntime: { status: "not selected" } } as const;

  it("fails the run when a change or fault window had errors or served a value it must not", () => {
    expect(problems({ ...none, latency: latency([window("commit synced", true), window("Git server down", false)]) })).toEqual([
      "latency: Git server down: 3 errors, 0 answers other than false or true, served true 10000 / false 9997",
    ]);
    expect(problems({ ...none, latency: latency([window("commit synced", true)]) })).toEqual([]);
  });

  it("fails the run when the windows or the chart could not be made", () => {
    expect(problems({ ...none, latency: latency([], { changeAndFault: undefined, changeAndFaultError: "no kill switch\nmore", chart: undefined, chartError: "vega failed" }) })).toEqual([
      "latency: change and fault windows: no kill switch",
      "latency: chart: vega failed",
    ]);
  });
});

describe("bench exit status, transport section", () => {
  const none = { propagation: { status: "not selected" }, evaluation: { status: "not selected" }, footprint: { status: "not selected" }, program: { status: "not selected" }, tuning: { status: "not selected" }, latency: { status: "not selected" }, scale: { status: "not selected" }, goruntime: { status: "not selected" } } as const;
  const transport = (refused?: string) => ({ status: "measured", results: { runs: [], refused } }) as any;

  it("fails the run when gRPC could not be measured, and not when every transport was", () => {
    expect(problems({ ...none, transport: transport("no ghz at /cache/ghz") })).toEqual(["transport: gRPC: no ghz at /cache/ghz"]);
    expect(problems({ ...none, transport: transport() })).toEqual([]);
    expect(problems({ ...none, transport: { status: "failed", error: "Flipt did not start\nits log" } })).toEqual(["transport: failed: Flipt did not start"]);
  });
});

describe("bench options: --only", () => {
  it("selects every section by default, or the ones listed, transport among them", () => {
    expect([...parseOptions([]).only]).toEqual(["propagation", "evaluation", "footprint", "program", "tuning", "latency", "transport", "scale", "goruntime"]);
    expect([...parseOptions(["--only", "transport"]).only]).toEqual(["transport"]);
    expect([...parseOptions(["--only", "scale,transport"]).only]).toEqual(["scale", "transport"]);
  });

  it("names the sections when one is unknown", () => {
    expect(() => parseOptions(["--only", "transports"])).toThrow('--only "transports": expected a comma-separated list of propagation, evaluation, footprint, program, tuning, latency, transport, scale, goruntime');
  });
});

describe("bench options: --repeat", () => {
  it("runs each latency ladder the given number of times, once by default", () => {
    expect(parseOptions(["--only", "latency", "--repeat", "3"]).repeats).toBe(3);
    expect(parseOptions(["--only", "latency"]).repeats).toBeUndefined();
  });

  it.each([
    [["--only", "latency", "--repeat", "0"], '--repeat "0": expected a whole number of ladders from 1 to 10'],
    [["--only", "latency", "--repeat", "2.5"], '--repeat "2.5": expected a whole number of ladders from 1 to 10'],
    [["--only", "latency", "--repeat", "11"], '--repeat "11": expected a whole number of ladders from 1 to 10'],
    [["--only", "evaluation", "--repeat", "3"], "--repeat repeats the latency ladders: select the latency section too"],
  ])("refuses %j", (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(message);
  });
});

describe("bench options: the goruntime section's share and configurations", () => {
  it("takes GOMEMLIMIT's share of memoryLimit in percent and the configurations to measure", () => {
    const options = parseOptions(["--only", "goruntime", "--gomemlimit-share", "75", "--goruntime-configs", "unset-100,set-200"]);
    expect(options.goRuntime).toEqual({ gomemlimitShare: 0.75, configs: [{ gomemlimit: "unset", gogc: 100 }, { gomemlimit: "set", gogc: 200 }] });
    expect(parseOptions(["--only", "goruntime"]).goRuntime).toEqual({});
  });

  it.each([
    [["--only", "goruntime", "--gomemlimit-share", "0"], '--gomemlimit-share "0": expected a percentage of memoryLimit from 1 to 100'],
    [["--only", "goruntime", "--gomemlimit-share", "101"], '--gomemlimit-share "101": expected a percentage of memoryLimit from 1 to 100'],
    [["--only", "goruntime", "--goruntime-configs", "limit-100"], '--goruntime-configs: "limit-100": expected unset-<GOGC> or set-<GOGC>, e.g. unset-100,set-200'],
    [["--only", "goruntime", "--goruntime-configs", "set-100"], "--goruntime-configs: the set configurations need GOMEMLIMIT's share measured with GOMEMLIMIT unset, or --gomemlimit-share"],
    [["--only", "latency", "--gomemlimit-share", "80"], "--gomemlimit-share and --goruntime-configs are the goruntime section's: select it too"],
  ])("refuses %j", (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(message);
  });
});
