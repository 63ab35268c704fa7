/**
 * The shape of bench/results.json, the pure functions that derive the reported figures (ratios,
 * resource fit) from the measured runs, and the reading of files written under an older schema.
 * report.ts prints the same data as a table.
 */
import { ResourceSettings } from "../settings/types";
import { ClientSideResults } from "./clientSide";
import { LoadRun, LoadSettings, TargetRun } from "./evaluation";
import { ResourceFit, WindowFootprint, resourceFit } from "./footprint";
import { TimedCommand } from "./program";
import { PropagationResults } from "./propagation";
import { ratio } from "./stats";
import type { KindRun, LatencyResults } from "./latency";
import { RateStep, StepRules } from "./rateSteps";
import type { ScaleResults } from "./scale/section";
import { GitBackendRun } from "./tuning";

export const SECTIONS = ["propagation", "evaluation", "footprint", "program", "tuning", "latency", "scale"] as const;
export type SectionName = (typeof SECTIONS)[number];

/** Sections that need a running Flipt server. */
export const FLIPT_SECTIONS: readonly SectionName[] = ["propagation", "evaluation", "footprint", "tuning", "latency", "scale"];

export type SectionOutcome<T> =
  | { readonly status: "measured"; readonly results: T }
  | { readonly status: "not measured"; readonly reason: string }
  | { readonly status: "failed"; readonly error: string }
  | { readonly status: "not selected" };

/** What a measurement that ran ends as: its results, or why it failed. */
export type Attempted<T> = Extract<SectionOutcome<T>, { readonly status: "measured" | "failed" }>;

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs `fn`; a failure becomes a failed outcome (said to `onFailure`) instead of ending the run. */
export async function attempt<T>(fn: () => Promise<T>, onFailure: (message: string) => void): Promise<Attempted<T>> {
  try {
    return { status: "measured", results: await fn() };
  } catch (error) {
    onFailure(errorMessage(error));
    return { status: "failed", error: errorMessage(error) };
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

export interface EvaluationResults {
  readonly load: LoadSettings & { readonly tool: string; readonly flags: number; readonly entities: string };
  readonly ours: TargetRun;
  readonly database: TargetRun;
  readonly oursToDatabase: LoadRatios;
}

export interface FootprintRun {
  readonly name: string;
  readonly description: string;
  readonly idle?: WindowFootprint;
  readonly underBooleanLoad?: WindowFootprint;
  readonly underBatchLoad?: WindowFootprint;
  readonly cpuMicrosPerEvaluation?: number;
}

export interface FootprintResults {
  readonly runs: readonly FootprintRun[];
  readonly fits: readonly ResourceFit[];
  readonly notes: readonly string[];
}

export interface TuningVariant {
  readonly name: string;
  readonly description: string;
  readonly question: string;
  readonly baseline: string;
  readonly boolean: LoadRun;
  readonly baselineBoolean: LoadRun;
  readonly ratios: LoadRatios;
}

export interface TuningResults {
  readonly variants: readonly TuningVariant[];
  readonly gitBackends?: readonly GitBackendRun[];
  readonly gitBackendsError?: string;
  readonly clientSide?: ClientSideResults;
  readonly clientSideError?: string;
}

export interface ProgramSectionResults {
  readonly commands: readonly TimedCommand[];
}

export interface MachineInfo {
  readonly cpus: number;
  /** /proc/cpuinfo "model name". */
  readonly cpuModel: string;
  /** The kernel's clock source (kvm-clock, tsc, …); absent before schema 2. */
  readonly clockSource?: string;
  /** The hypervisor's share of all CPU time (0–1) over the whole run; absent before schema 2. */
  readonly stealShare?: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  readonly wrk?: string;
  readonly vegeta?: string;
  /** 1-, 5- and 15-minute load averages when the run started: other work on the machine. */
  readonly loadAverageAtStart: readonly number[];
}

/**
 * 2: steal per step (both cores) and the run's steal share, every attempt of a step with the one
 * that counts, the ladder's round and, from a --repeat run, the spreads across rounds.
 */
export const SCHEMA_VERSION = 2;

export interface BenchResults {
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly quick: boolean;
  readonly machine: MachineInfo;
  readonly flipt: { readonly binary: string; readonly version?: string; readonly unavailableReason?: string; readonly provenance: string };
  readonly sections: {
    readonly propagation: SectionOutcome<PropagationResults>;
    readonly evaluation: SectionOutcome<EvaluationResults>;
    readonly footprint: SectionOutcome<FootprintResults>;
    readonly program: SectionOutcome<ProgramSectionResults>;
    readonly tuning: SectionOutcome<TuningResults>;
    readonly latency: SectionOutcome<LatencyResults>;
    /** Absent in files written before the section existed: read as not selected. */
    readonly scale: SectionOutcome<ScaleResults>;
  };
  /**
   * Sections this run did not select, kept from the file it replaced, with the run that measured
   * each: `--only scale` does not throw away the latency figures.
   */
  readonly keptFrom?: Partial<Record<SectionName, { readonly command: string; readonly startedAt: string; readonly finishedAt: string }>>;
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

export function footprintRun(run: TargetRun): FootprintRun {
  return {
    name: run.name,
    description: run.description,
    idle: run.idle,
    underBooleanLoad: run.loads.boolean?.footprint,
    underBatchLoad: run.loads.batch?.footprint,
    cpuMicrosPerEvaluation: run.loads.boolean?.cpuMicrosPerEvaluation,
  };
}

/** A stack's requests and limits against the run made from its own rendered config. */
export function stackFit(stack: string, resources: ResourceSettings, run: TargetRun): ResourceFit {
  const loaded = run.loads.boolean;
  if (!run.idle || !loaded) throw new Error(`${run.name} was not measured both idle and under load`);
  return resourceFit(stack, resources, run.idle, loaded.footprint, loaded.cpuMicrosPerEvaluation / 1e6);
}

export const FOOTPRINT_NOTES = [
  "The machine's 2 cores are shared by Flipt, wrk (2 threads) and this process, so CPU under load is what Flipt got, not what it would take alone.",
  "RSS counts the mapped Flipt binary (RssFile, reclaimable page cache) as well as heap and stacks (RssAnon); a container's working set is close to RSS.",
];

type V1Rules = Omit<StepRules, "maxDisturbanceMillicores" | "maxRemeasures"> & { readonly maxInterferenceMillicores: number; readonly maxAttempts: number };
/** v1 kept the last attempt only, and counted the attempts made. */
type V1Step = Omit<RateStep, "attempts"> & { readonly attempts?: number };
type V1Run = Omit<KindRun, "round" | "steps"> & { readonly steps: readonly V1Step[] };
type V1Latency = Omit<LatencyResults, "method" | "runs"> & {
  readonly method: Omit<LatencyResults["method"], "rules" | "repeats"> & { readonly rules: V1Rules };
  readonly runs: readonly V1Run[];
};
type V1Results = Omit<BenchResults, "schemaVersion" | "sections"> & {
  readonly schemaVersion: 1;
  readonly sections: Omit<BenchResults["sections"], "latency"> & { readonly latency: SectionOutcome<V1Latency> };
};

/** The step's one kept attempt, numbered as it was: earlier attempts were not recorded. */
function stepFromV1({ attempts, ...step }: V1Step): RateStep {
  const { sentPerSecond, latencyMs, interference } = step;
  return { ...step, attempts: [{ number: attempts ?? 1, sentPerSecond, latencyMs, interference, counted: true }] };
}

/** v1's threshold applied to others only (steal was recorded, not counted); the value carries over. */
function rulesFromV1({ maxInterferenceMillicores, maxAttempts, ...rules }: V1Rules): StepRules {
  return { ...rules, maxDisturbanceMillicores: maxInterferenceMillicores, maxRemeasures: maxAttempts - 1 };
}

function latencyFromV1(latency: V1Latency): LatencyResults {
  return {
    ...latency,
    method: { ...latency.method, rules: rulesFromV1(latency.method.rules), repeats: 1 },
    runs: latency.runs.map((run) => ({ ...run, round: 1, steps: run.steps.map(stepFromV1) })),
  };
}

function resultsFromV1(v1: V1Results): BenchResults {
  const latency = v1.sections.latency;
  return {
    ...v1,
    schemaVersion: SCHEMA_VERSION,
    sections: { ...v1.sections, scale: { status: "not selected" }, latency: latency.status === "measured" ? { status: "measured", results: latencyFromV1(latency.results) } : latency },
  };
}

/** A results file as the current schema, whichever schema wrote it; `source` names it in errors. */
export function parseBenchResults(text: string, source: string): BenchResults {
  let parsed: { readonly schemaVersion?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (error) {
    throw new Error(`${source}: not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (parsed.schemaVersion === SCHEMA_VERSION) {
    const results = parsed as BenchResults;
    return { ...results, sections: { ...results.sections, scale: results.sections.scale ?? { status: "not selected" } } };
  }
  if (parsed.schemaVersion === 1) return resultsFromV1(parsed as V1Results);
  throw new Error(`${source}: schemaVersion ${JSON.stringify(parsed.schemaVersion)}: expected 1 or ${SCHEMA_VERSION}`);
}

/**
 * The results to write: this run's, with every section it did not select taken from the file it
 * replaces (and named in keptFrom with the run that measured it), so that one section can be
 * measured again on its own.
 */
export function keepEarlierSections(current: BenchResults, previous: BenchResults | undefined): BenchResults {
  if (previous === undefined) return current;
  const sections = { ...current.sections } as Record<SectionName, SectionOutcome<unknown>>;
  const keptFrom: NonNullable<BenchResults["keptFrom"]> = {};
  for (const name of SECTIONS) {
    const earlier = previous.sections[name];
    if (current.sections[name].status !== "not selected" || earlier.status === "not selected") continue;
    sections[name] = earlier;
    (keptFrom as Record<string, unknown>)[name] = previous.keptFrom?.[name] ?? { command: previous.command, startedAt: previous.startedAt, finishedAt: previous.finishedAt };
  }
  return { ...current, sections: sections as unknown as BenchResults["sections"], ...(Object.keys(keptFrom).length > 0 ? { keptFrom } : {}) };
}
