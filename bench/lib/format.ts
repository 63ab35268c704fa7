/**
 * How the report writes figures: durations, rates, ratios, spreads, the host they came from, and
 * the closed-loop load runs and footprints more than one section shows.
 */
import type { LatencySummary } from "../load/vegeta";
import type { MachineInfo } from "./host";
import type { LoadRatios, LoadRun } from "./loadRuns";
import type { WindowFootprint } from "./processFootprint";
import { Spread } from "./stats";

export type Row = readonly [section: string, measurement: string, result: string, comparison: string];

const MIB = 1024 * 1024;

/** 850 → "850 ms", 5300 → "5.3 s". */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatMicros(us: number): string {
  return us < 1000 ? `${us < 10 ? us.toFixed(1) : Math.round(us)} µs` : formatMs(us / 1000);
}

export function formatMiB(bytes: number): string {
  return `${Math.round(bytes / MIB)} MiB`;
}

export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString("en-US");
}

/** A ratio as `×1.76`, or `n/a` when it could not be computed. */
export function formatRatio(value: number | undefined): string {
  return value === undefined ? "n/a" : `×${value.toFixed(2)}`;
}

/** A median and its range across rounds: "1.3 ms (1.2 ms–1.6 ms)". */
export function formatSpread(spread: Spread, format: (value: number) => string): string {
  return `${format(spread.median)} (${format(spread.min)}–${format(spread.max)})`;
}

/** 0.1312 → "13.1 %". */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

/** The host absolute figures came from: "2 × AMD EPYC 7B13, clock source kvm-clock, steal 13.1 % of CPU time over the run". */
export function hostLabel(machine: MachineInfo): string {
  const clock = machine.clockSource === undefined ? "clock source not recorded" : `clock source ${machine.clockSource}`;
  const steal = machine.stealShare === undefined ? "steal not recorded" : `steal ${formatShare(machine.stealShare)} of CPU time over the run`;
  return `${machine.cpus} × ${machine.cpuModel}, ${clock}, ${steal}`;
}

/** "p50 0.41 ms · p90 … · p99.9 … · max … · 0 errors" */
export function latencySummary(l: LatencySummary): string {
  const errors = l.errors === 0 ? "0 errors" : `${l.errors} errors (${l.non200} non-200, ${l.transportErrors} no answer)`;
  return `p50 ${formatMs(l.p50)} · p90 ${formatMs(l.p90)} · p99 ${formatMs(l.p99)} · p99.9 ${formatMs(l.p999)} · max ${formatMs(l.max)} · ${errors}`;
}

/** "9,573 req/s · p50 1.3 ms · p99 31 ms · 0 errors", with the evaluations of a batch. */
export function formatLoadRun(run: LoadRun): string {
  const evaluations = run.kind === "batch" ? ` (${formatRate(run.evaluationsPerSecond)} evaluations/s)` : "";
  return `${formatRate(run.requestsPerSecond)} req/s${evaluations} · p50 ${formatMs(run.latencyMs.p50)} · p99 ${formatMs(run.latencyMs.p99)} · ${run.errors.total} errors`;
}

export function formatWindowFootprint(f: WindowFootprint): string {
  return `RSS ${formatMiB(f.rssPeakBytes)} (anon ${formatMiB(f.rssAnonPeakBytes)}) · CPU ${Math.round(f.cpuMillicores)}m over ${Math.round(f.seconds)} s`;
}

/** A load run's ratios to the run it is compared with (`against`). */
export function formatLoadRatios(ratios: LoadRatios, kind: "boolean" | "batch", against: string): string {
  if (kind === "batch") return `${formatRatio(ratios.batchRequestsPerSecond)} req/s, ${formatRatio(ratios.batchP99)} p99 of ${against}`;
  return `${formatRatio(ratios.booleanRequestsPerSecond)} req/s, ${formatRatio(ratios.booleanP99)} p99, ${formatRatio(ratios.cpuPerEvaluation)} CPU/evaluation of ${against}`;
}
