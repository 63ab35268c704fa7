import { describe, expect, it } from "vitest";
import { MachineInfo, cpuModelName } from "../../../bench/lib/host";
import { reportHeader } from "../../../bench/report";
import { BenchResults, SCHEMA_VERSION } from "../../../bench/results";

const epyc = [
  "processor\t: 0",
  "vendor_id\t: AuthenticAMD",
  "cpu family\t: 25",
  "model\t\t: 1",
  "model name\t: AMD EPYC 7B13",
  "flags\t\t: fpu vme de pse tsc hypervisor",
  "",
  "processor\t: 1",
  "model name\t: AMD EPYC 7B13",
].join("\n");

function results(machine: MachineInfo): BenchResults {
  const none = { status: "not selected" } as const;
  return {
    schemaVersion: SCHEMA_VERSION,
    command: "npm run bench -- --only latency",
    startedAt: "2025-01-01T00:00:00.000Z",
    finishedAt: "2025-01-01T01:00:00.000Z",
    quick: false,
    machine,
    flipt: { binary: "/bin/flipt", version: "v1.61.1", provenance: "FLIPT_BIN=/bin/flipt" },
    sections: { propagation: none, evaluation: none, footprint: none, program: none, tuning: none, latency: none, transport: none, scale: none, goruntime: none },
  };
}

const machine: MachineInfo = { cpus: 2, cpuModel: "AMD EPYC 7B13", memoryGiB: 8, node: "20.20.2", os: "Linux 6.1.0", loadAverageAtStart: [0.1, 0.2, 0.3] };

describe("the host in the run header", () => {
  it("reads the CPU model from /proc/cpuinfo's first model name", () => {
    expect(cpuModelName(epyc)).toBe("AMD EPYC 7B13");
    expect(cpuModelName("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor  \n")).toBe("Intel(R) Xeon(R) Processor");
    expect(cpuModelName("processor\t: 0\nCPU part\t: 0xd0c\n")).toBeUndefined();
  });

  it("names the CPU model, the clock source and the steal share over the run", () => {
    const header = reportHeader(results({ ...machine, cpuModel: cpuModelName(epyc)!, clockSource: "kvm-clock", stealShare: 0.1312 })).split("\n");
    expect(header[1]).toBe("host: 2 × AMD EPYC 7B13, clock source kvm-clock, steal 13.1 % of CPU time over the run");
  });

  it("says so when a run from before schema 2 did not record them", () => {
    expect(reportHeader(results(machine)).split("\n")[1]).toBe("host: 2 × AMD EPYC 7B13, clock source not recorded, steal not recorded");
  });
});
