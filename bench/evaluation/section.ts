/**
 * The evaluation section: the throughput ceiling, closed loop (wrk) against our prod configuration
 * with Git storage and against the same config with database storage, boolean evaluations and
 * batches, and their ratios. The load runs are shared with the footprint and tuning sections.
 */
import { Row, formatLoadRatios, formatLoadRun, formatMs, formatRate, formatRatio, hostLabel } from "../lib/format";
import type { MachineInfo } from "../lib/host";
import { LoadRatios, LoadSettings, TargetRun, loadRatios } from "../lib/loadRuns";
import { TARGETS, servedFlags } from "../lib/targets";
import { Section, wrkBlocker } from "../section";

export interface EvaluationResults {
  readonly load: LoadSettings & { readonly tool: string; readonly flags: number; readonly entities: string };
  readonly ours: TargetRun;
  readonly database: TargetRun;
  readonly oursToDatabase: LoadRatios;
}

const TITLE = "2 evaluation";
/** Idle first (the footprint section reads it too), then both kinds of load. */
const MEASURE = { idle: true, kinds: ["boolean", "batch"] } as const;

/** Ours ÷ database in the same run first (it carries over between hosts), then the absolute figures and their host. */
export function evaluationRatioRow(results: EvaluationResults, machine: MachineInfo): Row {
  const r = results.oursToDatabase;
  const ratios = `boolean ${formatRatio(r.booleanRequestsPerSecond)} req/s, ${formatRatio(r.booleanP99)} p99 · batch ${formatRatio(r.batchRequestsPerSecond)} req/s, ${formatRatio(r.batchP99)} p99 · ${formatRatio(r.cpuPerEvaluation)} CPU/evaluation`;
  const absolute = (name: string, run: TargetRun["loads"]["boolean"]) => (run ? `${name} ${formatRate(run.requestsPerSecond)} req/s, p99 ${formatMs(run.latencyMs.p99)}` : `${name} not measured`);
  return [
    TITLE,
    "summary: ours ÷ database storage, same run",
    ratios,
    `on ${hostLabel(machine)}, boolean: ${absolute("ours", results.ours.loads.boolean)}; ${absolute("database", results.database.loads.boolean)}`,
  ];
}

function evaluationRows(results: EvaluationResults, machine: MachineInfo): Row[] {
  const { load } = results;
  const rows: Row[] = [
    evaluationRatioRow(results, machine),
    [TITLE, "load", `${load.tool}: ${load.connections} connections, ${load.threads} threads, ${load.durationSeconds} s per run`, `${load.flags} flags in turn, entity ids ${load.entities}; closed loop, so latencies are at saturation of the shared cores`],
  ];
  for (const kind of ["boolean", "batch"] as const) {
    const label = kind === "boolean" ? "boolean" : `batch of ${load.batchSize}`;
    const ours = results.ours.loads[kind];
    const database = results.database.loads[kind];
    if (ours) rows.push([TITLE, `${label}: ours (${results.ours.description})`, formatLoadRun(ours), formatLoadRatios(results.oursToDatabase, kind, "database")]);
    if (database) rows.push([TITLE, `${label}: database (${results.database.description})`, formatLoadRun(database), ""]);
  }
  return rows;
}

export const evaluationSection: Section<EvaluationResults> = {
  title: TITLE,
  blocker: wrkBlocker,
  measure: async ({ loadRuns, machine }) => {
    const [ours, database] = await loadRuns.runs([TARGETS.ours, TARGETS.database], MEASURE);
    return {
      load: { ...loadRuns.settings, tool: machine.wrk ?? "wrk", flags: servedFlags().length, entities: "org-1…org-100000 at random" },
      ours,
      database,
      oursToDatabase: loadRatios(ours.loads, database.loads),
    };
  },
  rows: evaluationRows,
  problems: () => [],
};
