/**
 * What else ran on Flipt's core while a step was measured: the core's busy time from /proc/stat
 * less Flipt's own CPU time, and the time the hypervisor took (steal). Flipt is pinned to that
 * core, but other processes on the machine are not kept off it; a step they disturbed is measured
 * again, and the figure kept says how much they took.
 */
import * as fs from "node:fs";
import { clockTicksPerSecond, readCpuSeconds } from "./footprint";

export interface CpuTicks {
  /** user + nice + system + irq + softirq (guest time is inside user). */
  readonly busy: number;
  readonly steal: number;
}

/** The `cpu<n>` line of /proc/stat. */
export function parseProcStatCpu(text: string, cpu: number): CpuTicks {
  const line = text.split("\n").find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) throw new Error(`/proc/stat has no cpu${cpu} line`);
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  if (![user, nice, system, irq, softirq, steal].every(Number.isFinite)) throw new Error(`cannot read /proc/stat line: ${line}`);
  return { busy: user + nice + system + irq + softirq, steal };
}

export interface Interference {
  /** CPU other processes used on Flipt's core (millicores). */
  readonly othersMillicores: number;
  /** CPU the hypervisor withheld from that core (millicores). */
  readonly stealMillicores: number;
  /** Flipt's own CPU (millicores): at most 1000 on one core. */
  readonly fliptMillicores: number;
}

export function interference(before: CpuTicks, after: CpuTicks, fliptCpuSeconds: number, wallSeconds: number, ticksPerSecond: number): Interference {
  if (!(wallSeconds > 0)) throw new Error("no time elapsed");
  const perSecond = (ticks: number) => (ticks / ticksPerSecond / wallSeconds) * 1000;
  const fliptMillicores = (fliptCpuSeconds / wallSeconds) * 1000;
  return {
    // Ticks are sampled at 100 Hz: Flipt's own time can round above the core's; never below zero.
    othersMillicores: Math.max(0, perSecond(after.busy - before.busy) - fliptMillicores),
    stealMillicores: perSecond(after.steal - before.steal),
    fliptMillicores,
  };
}

function readCpuTicks(cpu: number): CpuTicks {
  return parseProcStatCpu(fs.readFileSync("/proc/stat", "utf8"), cpu);
}

/** Runs `fn` and reports what else used `cpu` meanwhile (`pid` is the process pinned there). */
export async function withInterference<T>(cpu: number, pid: number, fn: () => Promise<T>): Promise<{ value: T; interference: Interference }> {
  const before = readCpuTicks(cpu);
  const fliptBefore = readCpuSeconds(pid);
  const started = performance.now();
  const value = await fn();
  const wallSeconds = (performance.now() - started) / 1000;
  return { value, interference: interference(before, readCpuTicks(cpu), readCpuSeconds(pid) - fliptBefore, wallSeconds, clockTicksPerSecond()) };
}
