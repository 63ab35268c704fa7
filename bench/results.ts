/**
 * The shape of bench/results.json: the run (command, times, host, Flipt) and one outcome per
 * section, each section's results typed by the section itself; the reading of files written under
 * an older layout; and the sections a run keeps from the file it replaces. It imports the sections'
 * types only: report.ts prints the same data as a table.
 */
import type { EvaluationResults } from "./evaluation/section";
import type { FootprintResults } from "./footprint/section";
import type { GoRuntimeResults } from "./goruntime/measure";
import type { MachineInfo } from "./lib/host";
import type { SectionOutcome } from "./lib/outcome";
import type { RateStep, StepRules } from "./lib/rateSteps";
import type { KindRun } from "./latency/ladders";
import type { LatencyResults } from "./latency/measure";
import type { ProgramResults } from "./program/section";
import type { PropagationResults } from "./propagation/section";
import type { ScaleResults } from "./scale/measure";
import type { TransportResults } from "./transport/measure";
import type { TuningResults } from "./tuning/section";

/** Every section, in the order of the JSON and the table. */
export const SECTIONS = ["propagation", "evaluation", "footprint", "program", "tuning", "latency", "transport", "scale", "goruntime"] as const;
export type SectionName = (typeof SECTIONS)[number];

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
    readonly program: SectionOutcome<ProgramResults>;
    readonly tuning: SectionOutcome<TuningResults>;
    readonly latency: SectionOutcome<LatencyResults>;
    /** Before it was a section of its own, part of the scale section's results (read from there). */
    readonly transport: SectionOutcome<TransportResults>;
    /** Absent in files written before the section existed: read as not selected. */
    readonly scale: SectionOutcome<ScaleResults>;
    /** Absent in files written before the section existed (2026-12-03): read as not selected. */
    readonly goruntime: SectionOutcome<GoRuntimeResults>;
  };
  /**
   * Sections this run did not select, kept from the file it replaced, with the run that measured
   * each: `--only scale` does not throw away the latency figures.
   */
  readonly keptFrom?: Partial<Record<SectionName, RunRecord>>;
}

/** The run that measured a section. */
export interface RunRecord {
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

/** Each section's results, by name. */
export type SectionResults = { [K in SectionName]: Extract<BenchResults["sections"][K], { readonly status: "measured" }>["results"] };

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
  readonly sections: Omit<BenchResults["sections"], "latency" | "scale" | "transport" | "goruntime"> & { readonly latency: SectionOutcome<V1Latency> };
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
    sections: {
      ...v1.sections,
      transport: { status: "not selected" },
      scale: { status: "not selected" },
      goruntime: { status: "not selected" },
      latency: latency.status === "measured" ? { status: "measured", results: latencyFromV1(latency.results) } : latency,
    },
  };
}

/** A schema 2 file's sections; files written before the transport section have it inside the scale section, and none before the goruntime section have it. */
type StoredSections = Omit<BenchResults["sections"], "transport" | "scale" | "goruntime"> & {
  readonly transport?: SectionOutcome<TransportResults>;
  readonly goruntime?: SectionOutcome<GoRuntimeResults>;
  readonly scale?: SectionOutcome<ScaleResults & { readonly transport?: SectionOutcome<TransportResults> }>;
};

/**
 * A file from before the transport section: the scale section's transport part becomes the
 * transport section, kept from the run that measured the scale section; one from before the
 * goruntime section has it not selected.
 */
function withTransportSection(stored: Omit<BenchResults, "sections"> & { readonly sections: StoredSections }): BenchResults {
  const results = { ...stored, sections: { ...stored.sections, goruntime: stored.sections.goruntime ?? { status: "not selected" } } };
  const { transport, scale = { status: "not selected" } } = results.sections;
  if (transport !== undefined) return { ...results, sections: { ...results.sections, transport, scale } };
  if (scale.status !== "measured" || scale.results.transport === undefined) {
    return { ...results, sections: { ...results.sections, transport: { status: "not selected" }, scale } };
  }
  const { transport: part, ...scaleResults } = scale.results;
  const scaleRun = results.keptFrom?.scale;
  return {
    ...results,
    sections: { ...results.sections, transport: part, scale: { status: "measured", results: scaleResults } },
    ...(scaleRun ? { keptFrom: { ...results.keptFrom, transport: scaleRun } } : {}),
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
  if (parsed.schemaVersion === SCHEMA_VERSION) return withTransportSection(parsed as Parameters<typeof withTransportSection>[0]);
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
  const keptFrom: Partial<Record<SectionName, RunRecord>> = {};
  for (const name of SECTIONS) {
    const earlier = previous.sections[name];
    if (current.sections[name].status !== "not selected" || earlier.status === "not selected") continue;
    sections[name] = earlier;
    keptFrom[name] = previous.keptFrom?.[name] ?? { command: previous.command, startedAt: previous.startedAt, finishedAt: previous.finishedAt };
  }
  return { ...current, sections: sections as unknown as BenchResults["sections"], ...(Object.keys(keptFrom).length > 0 ? { keptFrom } : {}) };
}
