/**
 * A process's footprint as the kernel sees it: resident memory from /proc/<pid>/status and CPU time
 * from /proc/<pid>/stat (both cover every thread of the process), sampled over a window. The
 * footprint section compares Flipt's with the requests and limits the program sets.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { millicores } from "./stats";

export interface MemoryStatus {
  /** VmRSS: what a container's working set roughly is. */
  readonly rssBytes: number;
  /** RssAnon: heap and stacks, the part the kernel cannot drop under pressure. */
  readonly rssAnonBytes: number;
  /** RssFile: pages of the mapped binary, reclaimable page cache. */
  readonly rssFileBytes: number;
}

/** Reads the memory lines of /proc/<pid>/status (values in kB). */
export function parseProcStatus(text: string): MemoryStatus {
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text);
    if (!match) throw new Error(`/proc status has no ${field} line`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kib("VmRSS"), rssAnonBytes: kib("RssAnon"), rssFileBytes: kib("RssFile") };
}

/** utime + stime of /proc/<pid>/stat, in clock ticks. The command name may hold spaces and parentheses. */
export function parseProcStatCpuTicks(text: string): number {
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of proc(5); the slice starts at field 3 (state).
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot read CPU times from /proc stat: ${text.slice(0, 80)}`);
  return utime + stime;
}

let clockTicks: number | undefined;
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100; // USER_HZ on every Linux architecture we run on
    }
  }
  return clockTicks;
}

export function readMemory(pid: number): MemoryStatus {
  return parseProcStatus(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
}

export function readCpuSeconds(pid: number): number {
  return parseProcStatCpuTicks(fs.readFileSync(`/proc/${pid}/stat`, "utf8")) / clockTicksPerSecond();
}

export interface WindowFootprint {
  readonly seconds: number;
  readonly cpuMillicores: number;
  readonly cpuSeconds: number;
  readonly rssPeakBytes: number;
  readonly rssMeanBytes: number;
  readonly rssAnonPeakBytes: number;
  readonly rssFilePeakBytes: number;
  readonly samples: number;
}

const SAMPLE_EVERY_MS = 250;

/** Samples a process's memory every 250 ms and its CPU time at both ends of a window. */
export class FootprintSampler {
  private readonly startedAt = performance.now();
  private readonly startCpu: number;
  private readonly memory: MemoryStatus[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.startCpu = readCpuSeconds(pid);
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
  }

  private sample(): void {
    try {
      this.memory.push(readMemory(this.pid));
    } catch {
      // the process exited; stop() reports what was sampled
    }
  }

  stop(): WindowFootprint {
    clearInterval(this.timer);
    this.sample();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const cpuSeconds = readCpuSeconds(this.pid) - this.startCpu;
    const peak = (pick: (m: MemoryStatus) => number) => Math.max(...this.memory.map(pick));
    return {
      seconds,
      cpuSeconds,
      cpuMillicores: millicores(cpuSeconds, seconds),
      rssPeakBytes: peak((m) => m.rssBytes),
      rssMeanBytes: this.memory.reduce((sum, m) => sum + m.rssBytes, 0) / this.memory.length,
      rssAnonPeakBytes: peak((m) => m.rssAnonBytes),
      rssFilePeakBytes: peak((m) => m.rssFileBytes),
      samples: this.memory.length,
    };
  }
}

/** Samples a process over `fn` (or over a plain wait of `ms`). */
export async function sampleDuring<T>(pid: number, fn: () => Promise<T>): Promise<{ value: T; footprint: WindowFootprint }> {
  const sampler = new FootprintSampler(pid);
  try {
    const value = await fn();
    return { value, footprint: sampler.stop() };
  } catch (error) {
    sampler.stop();
    throw error;
  }
}

export interface RssSample {
  /** ms since the sampler started. */
  readonly atMs: number;
  readonly rssBytes: number;
}

/** A process's resident memory every `everyMs`, kept in full (the goruntime section counts excursions in it). */
export class RssSampler {
  private readonly startedAt = performance.now();
  private readonly samples: RssSample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs: number,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    try {
      this.samples.push({ atMs: performance.now() - this.startedAt, rssBytes: readMemory(this.pid).rssBytes });
    } catch {
      // the process exited; stop() returns what was sampled
    }
  }

  /** Stops sampling (again is harmless) and returns every sample. */
  stop(): readonly RssSample[] {
    clearInterval(this.timer);
    return this.samples;
  }
}
