/**
 * What else ran on Flipt's core while a step was measured: the core's busy time from /proc/stat
 * less Flipt's own CPU time ("others"), and the time the hypervisor withheld (steal) from Flipt's
 * core and from the load generator's. Flipt is pinned to its core, but other processes on the
 * machine are not kept off it, and a virtual machine's cores are not its own; a step they
 * disturbed is measured again, and every figure is kept.
 */
import * as fs from "node:fs";
import { clockTicksPerSecond, readCpuSeconds } from "./processFootprint";

export interface CpuTicks {
  /** user + nice + system + irq + softirq (guest time is inside user). */
  readonly busy: number;
  readonly steal: number;
  /** Every state: busy + idle + iowait + steal. */
  readonly total: number;
}

/** The cpu lines of /proc/stat: `all` from the aggregate `cpu` line, `cpus[n]` from `cpu<n>`. */
export interface ProcStat {
  readonly all: CpuTicks;
  readonly cpus: Readonly<Record<number, CpuTicks>>;
}

function cpuTicks(line: string): CpuTicks {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const fields = [user, nice, system, idle, iowait, irq, softirq, steal];
  if (!fields.every(Number.isFinite)) throw new Error(`cannot read /proc/stat line: ${line}`);
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

export function parseProcStat(text: string): ProcStat {
  let all: CpuTicks | undefined;
  const cpus: Record<number, CpuTicks> = {};
  for (const line of text.split("\n")) {
    const match = /^cpu(\d*)\s/.exec(line);
    if (!match) continue;
    if (match[1] === "") all = cpuTicks(line);
    else cpus[Number(match[1])] = cpuTicks(line);
  }
  if (!all) throw new Error("/proc/stat has no cpu line");
  return { all, cpus };
}

export function coreTicks(stat: ProcStat, cpu: number): CpuTicks {
  const ticks = stat.cpus[cpu];
  if (!ticks) throw new Error(`/proc/stat has no cpu${cpu} line`);
  return ticks;
}

/** The share of CPU time the hypervisor withheld between two samples (0–1). */
export function stealShare(before: CpuTicks, after: CpuTicks): number {
  const total = after.total - before.total;
  return total > 0 ? (after.steal - before.steal) / total : 0;
}

export interface Interference {
  /** CPU other processes used on Flipt's core (millicores). */
  readonly othersMillicores: number;
  /** CPU the hypervisor withheld from Flipt's core (millicores). */
  readonly stealMillicores: number;
  /** CPU the hypervisor withheld from the load generator's core (millicores); absent before schema 2. */
  readonly generatorStealMillicores?: number;
  /** Flipt's own CPU (millicores): at most 1000 on one core. */
  readonly fliptMillicores: number;
}

/** Others + steal on Flipt's core: the CPU Flipt could have had and did not (millicores). */
export function disturbanceMillicores(interference: Interference | undefined): number {
  return interference ? interference.othersMillicores + interference.stealMillicores : 0;
}

/** "others 40m + steal 12m on CPU 0, steal 3m on CPU 1": `cpus` names Flipt's core and the generator's. */
export function describeInterference(interference: Interference | undefined, cpus: { readonly flipt: string; readonly generator: string }): string {
  if (!interference) return "not measured";
  const { othersMillicores, stealMillicores, generatorStealMillicores } = interference;
  const generator = generatorStealMillicores === undefined ? "" : `, steal ${Math.round(generatorStealMillicores)}m on CPU ${cpus.generator}`;
  return `others ${Math.round(othersMillicores)}m + steal ${Math.round(stealMillicores)}m on CPU ${cpus.flipt}${generator}`;
}

export interface PinnedCores {
  readonly flipt: number;
  readonly generator: number;
}

export interface CpuWindow {
  readonly before: ProcStat;
  readonly after: ProcStat;
  readonly wallSeconds: number;
  readonly ticksPerSecond: number;
}

export function interference(window: CpuWindow, cores: PinnedCores, fliptCpuSeconds: number): Interference {
  const { before, after, wallSeconds, ticksPerSecond } = window;
  if (!(wallSeconds > 0)) throw new Error("no time elapsed");
  const perSecond = (ticks: number) => (ticks / ticksPerSecond / wallSeconds) * 1000;
  const delta = (cpu: number, field: keyof CpuTicks) => coreTicks(after, cpu)[field] - coreTicks(before, cpu)[field];
  const fliptMillicores = (fliptCpuSeconds / wallSeconds) * 1000;
  return {
    // Ticks are sampled at 100 Hz: Flipt's own time can round above the core's; never below zero.
    othersMillicores: Math.max(0, perSecond(delta(cores.flipt, "busy")) - fliptMillicores),
    stealMillicores: perSecond(delta(cores.flipt, "steal")),
    generatorStealMillicores: perSecond(delta(cores.generator, "steal")),
    fliptMillicores,
  };
}

export function readProcStat(): ProcStat {
  return parseProcStat(fs.readFileSync("/proc/stat", "utf8"));
}

/** Runs `fn` and reports what else used Flipt's core meanwhile (`pid` is Flipt, pinned there). */
export async function withInterference<T>(cores: PinnedCores, pid: number, fn: () => Promise<T>): Promise<{ value: T; interference: Interference }> {
  const before = readProcStat();
  const fliptBefore = readCpuSeconds(pid);
  const started = performance.now();
  const value = await fn();
  const window = { before, after: readProcStat(), wallSeconds: (performance.now() - started) / 1000, ticksPerSecond: clockTicksPerSecond() };
  return { value, interference: interference(window, cores, readCpuSeconds(pid) - fliptBefore) };
}
