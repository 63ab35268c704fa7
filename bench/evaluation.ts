/**
 * Evaluation latency, throughput and footprint: one Flipt at a time, started from a stack's
 * rendered config, measured idle and then under the same wrk load (boolean evaluations, then
 * batches of ten), with its memory and CPU sampled from /proc throughout.
 */
import * as path from "node:path";
import { Supervisor, sleep } from "../scripts/lib/processes";
import { ToolchainPaths } from "../scripts/toolchain/paths";
import { WindowFootprint, sampleDuring } from "./footprint";
import { FlagRef, LoadKind, LoadResult, LoadSpec, runWrk } from "./load";
import { FliptTarget, TargetSpec, checkServesFlags, describeTarget, logBytes, startTarget } from "./targets";

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
