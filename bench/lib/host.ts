/**
 * The host a run's absolute figures came from: the CPU model and the kernel's clock source (a
 * virtual machine's clock can cost a syscall per timestamp), memory, Node, the load generators'
 * versions and the load average. The steal share over the run comes from /proc/stat (cpuShare.ts).
 * Ratios measured in one run carry over between hosts; absolute figures carry these with them.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { ToolchainPaths } from "../../scripts/toolchain/paths";

const CPUINFO = "/proc/cpuinfo";
const CLOCK_SOURCE = "/sys/devices/system/clocksource/clocksource0/current_clocksource";

export interface MachineInfo {
  readonly cpus: number;
  /** /proc/cpuinfo "model name". */
  readonly cpuModel: string;
  /** The kernel's clock source (kvm-clock, tsc, …); absent before schema 2. */
  readonly clockSource?: string;
  /** The hypervisor's share of all CPU time (0–1) over the whole run; absent before schema 2. */
  readonly stealShare?: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  readonly wrk?: string;
  readonly vegeta?: string;
  /** 1-, 5- and 15-minute load averages when the run started: other work on the machine. */
  readonly loadAverageAtStart: readonly number[];
}

/** The first `model name` of /proc/cpuinfo, or undefined when the architecture names none. */
export function cpuModelName(cpuinfo: string): string | undefined {
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1].trim();
}

function readOptional(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

export function readCpuModelName(): string | undefined {
  const text = readOptional(CPUINFO);
  return text === undefined ? undefined : cpuModelName(text);
}

/** e.g. "kvm-clock", "tsc", "hyperv_clocksource_tsc_page"; undefined where sysfs does not say. */
export function readClockSource(): string | undefined {
  return readOptional(CLOCK_SOURCE)?.trim() || undefined;
}

/** 1-, 5- and 15-minute load averages: other work on the machine. */
export function readLoadAverage(): number[] {
  return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
}

function firstLine(command: string, args: readonly string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return `${result.stdout ?? ""}${result.stderr ?? ""}`.split("\n").find((l) => l.trim() !== "");
}

/** This machine, as a run records it at its start (the steal share is added at the end). */
export function readMachineInfo(tools: ToolchainPaths): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: readCpuModelName() ?? cpus[0]?.model.trim() ?? "unknown",
    clockSource: readClockSource(),
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.versions.node,
    os: `${os.type()} ${os.release()}`,
    wrk: fs.existsSync(tools.wrkBin) ? firstLine(tools.wrkBin, ["-v"])?.replace(/\s*Copyright.*$/, "") : undefined,
    vegeta: fs.existsSync(tools.vegetaBin) ? firstLine(tools.vegetaBin, ["-version"])?.replace(/^Version:\s*/, "vegeta ") : undefined,
    loadAverageAtStart: readLoadAverage(),
  };
}
