/**
 * The host a run's absolute figures came from: the CPU model and the kernel's clock source (a
 * virtual machine's clock can cost a syscall per timestamp). The steal share over the run comes
 * from /proc/stat (cpuShare.ts). Ratios measured in one run carry over between hosts; absolute
 * figures carry these with them.
 */
import * as fs from "node:fs";

const CPUINFO = "/proc/cpuinfo";
const CLOCK_SOURCE = "/sys/devices/system/clocksource/clocksource0/current_clocksource";

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
