/**
 * The memory side of the goruntime section: OOM-near events counted in sampled RSS, the part of RSS
 * Go's runtime does not manage (and so GOMEMLIMIT cannot see), and the GOMEMLIMIT share of the
 * pod's memory limit that leaves room for it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { RssSample } from "../lib/processFootprint";

const MIB = 1024 * 1024;

export interface Excursions {
  /** Distinct excursions: maximal runs of consecutive samples above the threshold. */
  readonly events: number;
  /** Time between a sample above the threshold and the next sample, summed. */
  readonly secondsAbove: number;
  readonly peakBytes: number;
}

/** OOM-near events: each run of consecutive RSS samples above `thresholdBytes` is one event. */
export function excursionsAbove(samples: readonly RssSample[], thresholdBytes: number): Excursions {
  let events = 0;
  let msAbove = 0;
  samples.forEach((s, i) => {
    const above = s.rssBytes > thresholdBytes;
    if (above && (i === 0 || samples[i - 1].rssBytes <= thresholdBytes)) events++;
    if (above && i + 1 < samples.length) msAbove += samples[i + 1].atMs - s.atMs;
  });
  return { events, secondsAbove: msAbove / 1000, peakBytes: samples.reduce((max, s) => Math.max(max, s.rssBytes), 0) };
}

/** A Prometheus gauge's value from an exposition, or undefined. */
function gauge(exposition: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)$`, "m").exec(exposition);
  return match ? Number(match[1]) : undefined;
}

/**
 * The memory Go's runtime holds from the OS, as GOMEMLIMIT counts it: go_memstats_sys_bytes less
 * go_memstats_heap_released_bytes (returned to the OS). Undefined when the exposition lacks them.
 */
export function goManagedBytes(exposition: string): number | undefined {
  const sys = gauge(exposition, "go_memstats_sys_bytes");
  const released = gauge(exposition, "go_memstats_heap_released_bytes");
  return sys === undefined || released === undefined ? undefined : sys - released;
}

export interface ShareDerivation {
  readonly memoryLimitMiB: number;
  /** RSS less Go's runtime-managed memory (the mapped binary, C allocations): what GOMEMLIMIT cannot see. */
  readonly overheadMiB: number;
  /** Left free on top of it, as a share of the limit (for what the samples missed). */
  readonly marginShare: number;
  /** (limit − overhead − margin) ÷ limit, rounded down to a whole percent. */
  readonly share: number;
}

export function deriveShare(memoryLimitMiB: number, overheadMiB: number, marginShare: number): ShareDerivation {
  const free = memoryLimitMiB - overheadMiB - marginShare * memoryLimitMiB;
  if (!(free > 0)) throw new Error(`no room for Go's heap: ${overheadMiB.toFixed(0)} MiB outside Go's runtime and a ${Math.round(marginShare * 100)} % margin fill the ${memoryLimitMiB} MiB limit`);
  return { memoryLimitMiB, overheadMiB, marginShare, share: Math.floor((free / memoryLimitMiB) * 100) / 100 };
}

/** GOMEMLIMIT for a share of the limit, in whole MiB: "291MiB". */
export function gomemlimitValue(memoryLimitMiB: number, share: number): string {
  return `${Math.floor(memoryLimitMiB * share)}MiB`;
}

export function bytesToMiB(bytes: number): number {
  return bytes / MIB;
}

/**
 * Why OOM-near events are counted in sampled RSS rather than a cgroup's memory.events: where the
 * cgroup v2 hierarchy is mounted, and whether it offers the memory controller. `mountinfo` is
 * /proc/self/mountinfo; `controllers` reads a cgroup directory's cgroup.controllers.
 */
export function cgroupNote(mountinfo: string, controllers: (dir: string) => string | undefined): string {
  const mount = mountinfo
    .split("\n")
    .map((line) => line.split(" "))
    .find((fields) => fields[fields.indexOf("-") + 1] === "cgroup2")?.[4];
  if (mount === undefined) return "no cgroup v2 hierarchy is mounted here, so no memory.max/memory.events: OOM-near events are counted in sampled RSS";
  const list = (controllers(mount) ?? "").split(/\s+/).filter(Boolean);
  if (!list.includes("memory")) {
    return `cgroup v2 is mounted at ${mount} without the memory controller (it is on the v1 hierarchy, which this machine's own process accounting uses and the bench leaves alone): OOM-near events are counted in sampled RSS`;
  }
  return `cgroup v2 at ${mount} offers the memory controller, but the bench does not create cgroups: OOM-near events are counted in sampled RSS`;
}

/** cgroupNote for this machine. */
export function thisMachineCgroupNote(): string {
  const read = (dir: string) => {
    try {
      return fs.readFileSync(path.join(dir, "cgroup.controllers"), "utf8");
    } catch {
      return undefined;
    }
  };
  return cgroupNote(fs.readFileSync("/proc/self/mountinfo", "utf8"), read);
}
