/**
 * Loaded into a measured node process with `--import`: on exit it writes the process's peak
 * resident memory, VmHWM of /proc/self/status in KiB, to the file $BENCH_PEAK_RSS_FILE names.
 * VmHWM is the kernel's high-water mark of this process image alone; `process.resourceUsage().maxRSS`
 * (getrusage) also counts the pages of the forked parent before exec, so it can report the
 * parent's size for a small child.
 */
import * as fs from "node:fs";

/** The environment variable naming the file the peak is written to. */
export const PEAK_RSS_FILE_VARIABLE = "BENCH_PEAK_RSS_FILE";

/** VmHWM of a /proc/<pid>/status text, in KiB; undefined when the line is missing. */
export function vmHwmKib(status: string): number | undefined {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) : undefined;
}

const file = process.env[PEAK_RSS_FILE_VARIABLE];
if (file) {
  process.on("exit", () => {
    const kib = vmHwmKib(fs.readFileSync("/proc/self/status", "utf8"));
    if (kib !== undefined) fs.writeFileSync(file, `${kib}\n`);
  });
}
