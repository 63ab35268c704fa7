/**
 * The goruntime section's measurement (issue 22 item 2): Flipt from the prod stack's rendered config
 * pinned to one core, serving generated flags, for each flag count and Go runtime configuration
 * (GOMEMLIMIT unset or set, GOGC): RSS after start, after 21 one-flag syncs and at its peak
 * (sampled throughout), OOM-near events, GC CPU (GODEBUG=gctrace=1) during the syncs and under
 * load, p99 at 1,000 req/s and the capacity per core (the one rate ladder, 500 req/s refinement).
 * GOMEMLIMIT's value for the "set" runs is a share of memoryLimit measured here: RSS less Go's
 * runtime-managed memory at the largest flag count with GOMEMLIMIT unset, less a margin.
 */
import * as fs from "node:fs";
import { renderStack } from "../../scripts/lib/renderedStack";
import { renderedFlipt } from "../../scripts/lib/fliptProcess";
import { Supervisor, sleep } from "../../scripts/lib/processes";
import { plural } from "../../scripts/lib/text";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { readStack } from "../../settings/stackFiles";
import { quantityValue } from "../../settings/validators";
import { LoadFigures, SyncFigures, attackAtRate, measureSyncs, randomBooleanFlagLines, startGeneratedFlipt } from "../lib/fliptAtScale";
import { GoConfig, goConfigId, goConfigLabel, goEnvironment } from "../lib/goEnvironment";
import { errorMessage } from "../lib/outcome";
import { Interference, describeInterference, withInterference } from "../lib/cpuShare";
import { CpuPinning, onCpus, pinnedCores } from "../lib/pinning";
import { RssSampler, readCpuSeconds, readMemory } from "../lib/processFootprint";
import { LadderLoad, climbLadders, fixedRates } from "../lib/rateLadder";
import { Capacity, DEFAULT_STEP_RULES, RateStep, StepRules, capacity } from "../lib/rateSteps";
import { LOAD_STACK, FliptTarget } from "../lib/targets";
import { GcWindow, gcWindow, lastProcessCycles, parseGcTrace } from "./gcTrace";
import { Excursions, ShareDerivation, bytesToMiB, deriveShare, excursionsAbove, goManagedBytes, gomemlimitValue, thisMachineCgroupNote } from "./memory";
import { GoRuntimeProfile, estimatedSeconds } from "./profile";

export interface GoRuntimeRun {
  readonly flags: number;
  readonly config: GoConfig;
  /** GOMEMLIMIT, GOGC and GODEBUG as Flipt's process got them (unset: absent). */
  readonly environment: Readonly<Record<string, string>>;
  readonly startSeconds: number;
  readonly rssAfterStartMiB: number;
  readonly rssAfterSyncsMiB: number;
  readonly rssPeakMiB: number;
  readonly rssSamples: number;
  readonly oomNear: Excursions;
  /** RSS less Go's runtime-managed memory, the largest over the run's scrapes (MiB). */
  readonly overheadMiB?: number;
  /** Go's runtime-managed memory at its largest (MiB). */
  readonly goManagedPeakMiB?: number;
  readonly sync: SyncFigures;
  readonly gc: { readonly syncs: GcWindow; readonly load: GcWindow; readonly cycles: number; readonly cumulativePercent?: number };
  /** The load after the syncs, with what else ran on Flipt's core meanwhile (it is measured once, not again when disturbed). */
  readonly load: LoadFigures & { readonly interference: Interference };
  readonly steps: readonly RateStep[];
  readonly capacity: Capacity;
}

export interface FailedGoRuntimeRun {
  readonly flags: number;
  readonly config: GoConfig;
  readonly error: string;
}

export const isMeasuredGoRun = (run: GoRuntimeRun | FailedGoRuntimeRun): run is GoRuntimeRun => !("error" in run);

export interface GoRuntimeResults {
  readonly profile: GoRuntimeProfile;
  readonly pinning: CpuPinning;
  readonly memoryLimitMiB: number;
  readonly oomNearThresholdMiB: number;
  readonly oomNearDefinition: string;
  /** Why a cgroup's memory.events is not what counts the events here. */
  readonly cgroupNote: string;
  /** GOMEMLIMIT and GOGC as prod's render gives them, and that each run sets or unsets them itself. */
  readonly environmentNote: string;
  readonly gcSource: string;
  readonly rules: StepRules;
  /** GOMEMLIMIT's share of memoryLimit for the "set" runs: measured (with its derivation) or given. */
  readonly gomemlimit?: { readonly share: number; readonly value: string; readonly source: "measured" | "--gomemlimit-share"; readonly derivation?: ShareDerivation & { readonly flags: number } };
  readonly gomemlimitError?: string;
  readonly runs: readonly (GoRuntimeRun | FailedGoRuntimeRun)[];
  readonly estimatedSeconds: number;
  readonly tookSeconds: number;
}

/** The ladder's rules: the latency section's, with this section's step length; a disturbed step is measured once more. */
export function goRuntimeRules(stepSeconds: number): StepRules {
  return { ...DEFAULT_STEP_RULES, minSeconds: stepSeconds, minRequests: 0, maxRemeasures: 1 };
}

/** The largest flag count first, GOMEMLIMIT unset before set in it: the share is measured before a run needs it. */
export function runOrder(flagCounts: readonly number[], configs: readonly GoConfig[]): { flags: number; config: GoConfig }[] {
  const counts = [...flagCounts].sort((a, b) => b - a);
  const ordered = [...configs].sort((a, b) => (a.gomemlimit === b.gomemlimit ? 0 : a.gomemlimit === "unset" ? -1 : 1));
  return counts.flatMap((flags) => ordered.map((config) => ({ flags, config })));
}

/** What prod's render gives Flipt of GOMEMLIMIT and GOGC. */
function renderedGoEnvironment(): string {
  const env = renderedFlipt(renderStack(LOAD_STACK)).serve.env;
  const value = (name: string) => env.find((v) => v.name === name)?.value;
  const [limit, gogc] = [value("GOMEMLIMIT"), value("GOGC")];
  return `${LOAD_STACK}'s render gives Flipt ${limit ? `GOMEMLIMIT=${limit}` : "no GOMEMLIMIT"} and ${gogc ? `GOGC=${gogc}` : "no GOGC"}; each run sets or unsets both itself (env -u / env NAME=value before Flipt), whatever the render holds`;
}

interface Context {
  readonly supervisor: Supervisor;
  readonly tools: ToolchainPaths;
  readonly profile: GoRuntimeProfile;
  readonly pinning: CpuPinning;
  readonly thresholdBytes: number;
  readonly rules: StepRules;
  readonly log: (line: string) => void;
}

/** GC cycles and Flipt's CPU over `fn`, from the gctrace lines in Flipt's stderr log. */
async function gcDuring<T>(target: FliptTarget, fn: () => Promise<T>): Promise<{ value: T; gc: GcWindow }> {
  const read = () => lastProcessCycles(parseGcTrace(fs.readFileSync(target.local.flipt.logFile, "utf8")));
  const before = read();
  const cpu = readCpuSeconds(target.pid);
  const started = performance.now();
  const value = await fn();
  const wall = (performance.now() - started) / 1000;
  const fliptCpu = readCpuSeconds(target.pid) - cpu;
  await sleep(200); // the last cycle's line reaches the log through a pipe
  return { value, gc: gcWindow(before, read(), fliptCpu, wall) };
}

function ladderLoad(context: Context, target: FliptTarget, lines: string, label: string): LadderLoad {
  const { supervisor, tools, pinning, profile, log } = context;
  return {
    name: "boolean",
    attack: async (name, rate, seconds) => {
      const figures = await attackAtRate(supervisor, tools, target, pinning, name, lines, rate, seconds, profile.timeoutSeconds);
      return { sentPerSecond: figures.sentPerSecond, latencyMs: figures.latencyMs };
    },
    onStep: (step) => log(`goruntime: ${label} @ ${step.ratePerSecond} req/s${step.refinement ? " (refinement)" : ""}: p99 ${step.latencyMs.p99.toFixed(2)} ms, ${step.latencyMs.errors} errors, Flipt ${Math.round(step.interference?.fliptMillicores ?? 0)}m`),
  };
}

async function measureRun(context: Context, flags: number, config: GoConfig, gomemlimit: string | undefined): Promise<GoRuntimeRun> {
  const { supervisor, tools, profile, pinning, log } = context;
  const environment = goEnvironment(config, gomemlimit);
  const label = `${flags} flags, ${goConfigLabel(config)}${gomemlimit ? ` (${gomemlimit})` : ""}`;
  log(`goruntime: starting Flipt (${label}) on CPU ${pinning.flipt}`);
  const name = `goruntime-${flags}-${goConfigId(config)}`;
  const { target, generated } = await startGeneratedFlipt(supervisor, tools, { name, flags, pollIntervalSeconds: profile.pollIntervalSeconds, environment }, pinning);
  const sampler = new RssSampler(target.pid, profile.sampleEveryMs);
  const overheads: number[] = [];
  const goManaged: number[] = [];
  const onExposition = (exposition: string) => {
    const go = goManagedBytes(exposition);
    if (go === undefined) return;
    overheads.push(readMemory(target.pid).rssBytes - go);
    goManaged.push(go);
  };
  try {
    await sleep(2000);
    const rssAfterStartMiB = bytesToMiB(readMemory(target.pid).rssBytes);
    onExposition(await target.local.flipt.metrics());
    const syncs = await gcDuring(target, () => measureSyncs(target, generated, profile, undefined, onExposition));
    onExposition(await target.local.flipt.metrics());
    log(`goruntime: ${label}: RSS ${rssAfterStartMiB.toFixed(0)} → ${syncs.value.rssAfterMiB.toFixed(0)} MiB after ${syncs.value.changeSyncs} syncs; GC ${(syncs.gc.shareOfFliptCpu * 100).toFixed(1)} % of Flipt's CPU`);
    const booleans = generated.flags.filter((f) => f.type === "BOOLEAN_FLAG_TYPE");
    const lines = randomBooleanFlagLines(target.url, booleans, profile.targets);
    const attack = () => attackAtRate(supervisor, tools, target, pinning, "load", lines, profile.loadRatePerSecond, profile.loadSeconds, profile.timeoutSeconds);
    const load = await gcDuring(target, () => withInterference(pinnedCores(pinning), target.pid, attack));
    log(`goruntime: ${label}: @ ${profile.loadRatePerSecond} req/s p99 ${load.value.value.latencyMs.p99.toFixed(2)} ms, ${load.value.value.latencyMs.errors} errors; GC ${(load.gc.shareOfFliptCpu * 100).toFixed(1)} % of Flipt's CPU; ${describeInterference(load.value.interference, pinning)}`);
    const [steps] = await climbLadders([ladderLoad(context, target, lines, label)], {
      rules: context.rules,
      plan: fixedRates(profile.ladderRates, context.rules),
      warmupSeconds: profile.warmupSeconds,
      pinning,
      fliptPid: target.pid,
    });
    const samples = sampler.stop();
    const cycles = lastProcessCycles(parseGcTrace(fs.readFileSync(target.local.flipt.logFile, "utf8")));
    const oomNear = excursionsAbove(samples, context.thresholdBytes);
    return {
      flags,
      config,
      environment: Object.fromEntries(Object.entries(environment).filter((e): e is [string, string] => e[1] !== undefined)),
      startSeconds: target.startSeconds,
      rssAfterStartMiB,
      rssAfterSyncsMiB: syncs.value.rssAfterMiB,
      rssPeakMiB: bytesToMiB(oomNear.peakBytes),
      rssSamples: samples.length,
      oomNear,
      overheadMiB: overheads.length > 0 ? bytesToMiB(Math.max(...overheads)) : undefined,
      goManagedPeakMiB: goManaged.length > 0 ? bytesToMiB(Math.max(...goManaged)) : undefined,
      sync: syncs.value,
      gc: { syncs: syncs.gc, load: load.gc, cycles: cycles.length, cumulativePercent: cycles[cycles.length - 1]?.cumulativePercent },
      load: { ...load.value.value, interference: load.value.interference },
      steps,
      capacity: capacity(steps, context.rules, 1),
    };
  } finally {
    sampler.stop();
    await target.local.flipt.stop();
  }
}

/** The share for the "set" runs: given, or derived from the largest non-Go resident memory of the unset runs at the largest flag count. */
function decideShare(profile: GoRuntimeProfile, memoryLimitMiB: number, runs: readonly (GoRuntimeRun | FailedGoRuntimeRun)[]): NonNullable<GoRuntimeResults["gomemlimit"]> {
  if (profile.gomemlimitShare !== undefined) return { share: profile.gomemlimitShare, value: gomemlimitValue(memoryLimitMiB, profile.gomemlimitShare), source: "--gomemlimit-share" };
  const largest = Math.max(...profile.flagCounts);
  const overheads = runs.filter(isMeasuredGoRun).filter((r) => r.flags === largest && r.config.gomemlimit === "unset" && r.overheadMiB !== undefined).map((r) => r.overheadMiB!);
  if (overheads.length === 0) throw new Error(`no run at ${largest} flags with GOMEMLIMIT unset measured Go's overhead: give --gomemlimit-share`);
  const derivation = deriveShare(memoryLimitMiB, Math.max(...overheads), profile.marginShare);
  return { share: derivation.share, value: gomemlimitValue(memoryLimitMiB, derivation.share), source: "measured", derivation: { ...derivation, flags: largest } };
}

export async function measureGoRuntime(supervisor: Supervisor, tools: ToolchainPaths, profile: GoRuntimeProfile, pinning: CpuPinning, log: (line: string) => void): Promise<GoRuntimeResults> {
  const started = performance.now();
  const limit = readStack(LOAD_STACK).settings.resources.limits.memory;
  const limitBytes = quantityValue(limit);
  if (limitBytes === undefined) throw new Error(`${LOAD_STACK} memoryLimit ${JSON.stringify(limit)} is not a Kubernetes quantity`);
  const memoryLimitMiB = bytesToMiB(limitBytes);
  const thresholdBytes = profile.oomNearShare * memoryLimitMiB * 1024 * 1024;
  const rules = goRuntimeRules(profile.stepSeconds);
  const estimate = estimatedSeconds(profile);
  log(`goruntime: ${profile.flagCounts.join(", ")} flags × ${profile.configs.map(goConfigId).join(", ")}; about ${plural(Math.max(1, Math.round(estimate / 60)), "minute")}`);
  const context: Context = { supervisor, tools, profile, pinning, thresholdBytes, rules, log };
  const runs: (GoRuntimeRun | FailedGoRuntimeRun)[] = [];
  let gomemlimit: GoRuntimeResults["gomemlimit"];
  let gomemlimitError: string | undefined;
  await onCpus(pinning.generator, async () => {
    for (const { flags, config } of runOrder(profile.flagCounts, profile.configs)) {
      try {
        if (config.gomemlimit === "set" && gomemlimit === undefined) {
          gomemlimit = decideShare(profile, memoryLimitMiB, runs);
          log(`goruntime: GOMEMLIMIT=${gomemlimit.value} (${Math.round(gomemlimit.share * 100)} % of ${memoryLimitMiB} MiB, ${gomemlimit.source})`);
        }
        runs.push(await measureRun(context, flags, config, config.gomemlimit === "set" ? gomemlimit!.value : undefined));
      } catch (error) {
        if (config.gomemlimit === "set" && gomemlimit === undefined) gomemlimitError = errorMessage(error);
        log(`goruntime: ${flags} flags, ${goConfigLabel(config)}: failed: ${errorMessage(error)}`);
        runs.push({ flags, config, error: errorMessage(error) });
      }
    }
  });
  return {
    profile,
    pinning,
    memoryLimitMiB,
    oomNearThresholdMiB: bytesToMiB(thresholdBytes),
    oomNearDefinition: `an OOM-near event is one excursion of Flipt's RSS, sampled every ${profile.sampleEveryMs} ms from healthy to stop, above ${Math.round(profile.oomNearShare * 100)} % of ${LOAD_STACK}'s memoryLimit (${Math.round(bytesToMiB(thresholdBytes))} MiB): consecutive samples above count once`,
    cgroupNote: thisMachineCgroupNote(),
    environmentNote: renderedGoEnvironment(),
    gcSource: "GODEBUG=gctrace=1: each cycle's CPU (sweep and mark termination, assists, background marking; idle-time marking left out, as Go's own figure does) over the cycles that finished in the window, against Flipt's own CPU from /proc",
    rules,
    gomemlimit,
    gomemlimitError,
    runs: [...runs].sort((a, b) => a.flags - b.flags || profile.configs.indexOf(a.config) - profile.configs.indexOf(b.config)),
    estimatedSeconds: estimate,
    tookSeconds: (performance.now() - started) / 1000,
  };
}
