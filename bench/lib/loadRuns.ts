/**
 * Closed-loop load runs, shared by the evaluation, footprint and tuning sections: one Flipt at a
 * time, started from a stack's rendered config, measured idle and then under the same wrk load
 * (boolean evaluations, then batches of ten), with its memory and CPU sampled from /proc
 * throughout. Each target is run once per bench run (LoadRuns), whichever of those sections asks.
 */
import * as path from "node:path";
import type { FlagRef } from "../../scripts/lib/flagFiles";
import { Supervisor, sleep } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { LoadKind, LoadResult, LoadSpec, runWrk } from "../load/wrk";
import { errorMessage } from "./outcome";
import { WindowFootprint, sampleDuring } from "./processFootprint";
import { ratio } from "./stats";
import { FliptTarget, TargetSpec, checkServesFlags, describeTarget, logBytes, servedFlags, startTarget } from "./targets";

export interface LoadSettings {
  readonly connections: number;
  readonly threads: number;
  readonly durationSeconds: number;
  /** An unmeasured run first, so connection setup and the first allocations are not measured. */
  readonly warmupSeconds: number;
  readonly batchSize: number;
  /** Wait after startup before the idle window. */
  readonly settleSeconds: number;
  /** Idle window; 0 uses the stack's poll interval, so that it holds one Git poll. */
  readonly idleSeconds: number;
}

export const LOAD_PROFILES: Record<"full" | "quick", LoadSettings> = {
  full: { connections: 16, threads: 2, durationSeconds: 15, warmupSeconds: 3, batchSize: 10, settleSeconds: 5, idleSeconds: 0 },
  quick: { connections: 16, threads: 2, durationSeconds: 5, warmupSeconds: 1, batchSize: 10, settleSeconds: 1, idleSeconds: 3 },
};

export interface LoadRun extends LoadResult {
  readonly footprint: WindowFootprint;
  /** Flipt's CPU time per evaluation (µs): machine-bound, but independent of the load generator's share. */
  readonly cpuMicrosPerEvaluation: number;
  /** Bytes Flipt logged per request at the configured level. */
  readonly logBytesPerRequest: number;
}

export interface TargetRun {
  readonly name: string;
  readonly description: string;
  readonly stack: string;
  readonly storage: TargetSpec["storage"];
  readonly changes: readonly string[];
  readonly idle?: WindowFootprint;
  readonly loads: Partial<Record<LoadKind, LoadRun>>;
}

export interface MeasureOptions {
  readonly kinds: readonly LoadKind[];
  readonly idle: boolean;
}

export async function measureLoad(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  target: FliptTarget,
  flags: readonly FlagRef[],
  kind: LoadKind,
  settings: LoadSettings,
): Promise<LoadRun> {
  const spec = (durationSeconds: number): LoadSpec => ({
    kind,
    flags,
    batchSize: settings.batchSize,
    connections: settings.connections,
    threads: settings.threads,
    durationSeconds,
  });
  const script = path.join(target.local.dir, `wrk-${kind}.lua`);
  if (settings.warmupSeconds > 0) await runWrk(supervisor, tools.wrkBin, target.url, spec(settings.warmupSeconds), script);
  const logBefore = logBytes(target);
  const { value, footprint } = await sampleDuring(target.pid, () => runWrk(supervisor, tools.wrkBin, target.url, spec(settings.durationSeconds), script));
  const evaluations = value.requests * (kind === "batch" ? settings.batchSize : 1);
  return {
    ...value,
    footprint,
    cpuMicrosPerEvaluation: evaluations > 0 ? (footprint.cpuSeconds / evaluations) * 1e6 : 0,
    logBytesPerRequest: value.requests > 0 ? (logBytes(target) - logBefore) / value.requests : 0,
  };
}

/** Starts the target, measures it idle (optionally) and under each kind of load, and stops it. */
export async function measureTarget(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  spec: TargetSpec,
  flags: readonly FlagRef[],
  settings: LoadSettings,
  options: MeasureOptions,
  log: (line: string) => void,
): Promise<TargetRun> {
  log(`load: starting ${spec.name} (${describeTarget(spec)})`);
  const target = await startTarget(supervisor, tools, spec);
  try {
    await checkServesFlags(target, flags);
    let idle: WindowFootprint | undefined;
    if (options.idle) {
      await sleep(settings.settleSeconds * 1000);
      const seconds = settings.idleSeconds || target.local.settings.git.pollIntervalSeconds;
      idle = (await sampleDuring(target.pid, () => sleep(seconds * 1000))).footprint;
    }
    const loads: Partial<Record<LoadKind, LoadRun>> = {};
    for (const kind of options.kinds) {
      const run = await measureLoad(supervisor, tools, target, flags, kind, settings);
      log(`load: ${spec.name} ${kind}: ${Math.round(run.requestsPerSecond)} req/s, p99 ${run.latencyMs.p99} ms, ${run.errors.total} errors`);
      loads[kind] = run;
    }
    return {
      name: spec.name,
      description: describeTarget(spec),
      stack: spec.stack,
      storage: spec.storage,
      changes: (spec.changes ?? []).map((c) => c.label),
      idle,
      loads,
    };
  } finally {
    await target.local.flipt.stop();
  }
}

export interface LoadRatios {
  /** Ours divided by the database-backed Flipt: above 1 means more requests per second. */
  readonly booleanRequestsPerSecond?: number;
  /** Below 1 means lower latency. */
  readonly booleanP50?: number;
  readonly booleanP99?: number;
  readonly batchRequestsPerSecond?: number;
  readonly batchP99?: number;
  /** Below 1 means less CPU per evaluation. */
  readonly cpuPerEvaluation?: number;
}

export function loadRatios(ours: TargetRun["loads"], other: TargetRun["loads"]): LoadRatios {
  const b = ours.boolean;
  const ob = other.boolean;
  const batch = ours.batch;
  const obatch = other.batch;
  return {
    booleanRequestsPerSecond: b && ob ? ratio(b.requestsPerSecond, ob.requestsPerSecond) : undefined,
    booleanP50: b && ob ? ratio(b.latencyMs.p50, ob.latencyMs.p50) : undefined,
    booleanP99: b && ob ? ratio(b.latencyMs.p99, ob.latencyMs.p99) : undefined,
    batchRequestsPerSecond: batch && obatch ? ratio(batch.requestsPerSecond, obatch.requestsPerSecond) : undefined,
    batchP99: batch && obatch ? ratio(batch.latencyMs.p99, obatch.latencyMs.p99) : undefined,
    cpuPerEvaluation: b && ob ? ratio(b.cpuMicrosPerEvaluation, ob.cpuMicrosPerEvaluation) : undefined,
  };
}

const KIND_ORDER: readonly LoadKind[] = ["boolean", "batch"];

/**
 * The load runs of one bench run: each target is started and measured once, when a section first
 * asks for it, and every later request is answered from that run (a failure included, logged once).
 * The sections ask in the order they are measured, evaluation (idle, boolean and batch) before
 * footprint (idle, boolean) before tuning (boolean): a later request never needs more than the
 * first one made.
 */
export class LoadRuns {
  private readonly measured = new Map<string, { readonly options: MeasureOptions; readonly run: TargetRun | Error }>();

  constructor(
    private readonly supervisor: Supervisor,
    private readonly tools: ToolchainPaths,
    readonly settings: LoadSettings,
    private readonly log: (line: string) => void,
  ) {}

  /** Measures each target not measured yet, in order; a failure is kept for run() to throw. */
  async measure(specs: readonly TargetSpec[], options: MeasureOptions): Promise<void> {
    for (const spec of specs) {
      if (this.measured.has(spec.name)) continue;
      const measureOptions = { idle: options.idle, kinds: KIND_ORDER.filter((k) => options.kinds.includes(k)) };
      this.measured.set(spec.name, { options: measureOptions, run: await this.measureTarget(spec, measureOptions) });
    }
  }

  /** A measured target's run; throws when it failed, or was not measured with what `options` needs. */
  run(spec: TargetSpec, options: MeasureOptions): TargetRun {
    const entry = this.measured.get(spec.name);
    if (entry === undefined) throw new Error(`${spec.name} was not run`);
    if ((options.idle && !entry.options.idle) || options.kinds.some((k) => !entry.options.kinds.includes(k))) {
      throw new Error(`${spec.name} was measured ${JSON.stringify(entry.options)}, before a section asked for ${JSON.stringify(options)}`);
    }
    if (entry.run instanceof Error) throw new Error(`${spec.name}: ${entry.run.message}`);
    return entry.run;
  }

  /** measure, then each target's run in order: the first failure throws. */
  async runs(specs: readonly TargetSpec[], options: MeasureOptions): Promise<TargetRun[]> {
    await this.measure(specs, options);
    return specs.map((spec) => this.run(spec, options));
  }

  private async measureTarget(spec: TargetSpec, options: MeasureOptions): Promise<TargetRun | Error> {
    try {
      return await measureTarget(this.supervisor, this.tools, spec, servedFlags(), this.settings, options, this.log);
    } catch (error) {
      this.log(`failed: ${spec.name}: ${errorMessage(error)}`);
      return error instanceof Error ? error : new Error(String(error));
    }
  }
}
