/**
 * The footprint section: Flipt's memory and CPU idle and under the closed-loop boolean load (the
 * runs the evaluation section shares), for prod with Git storage, dev and database storage, and
 * whether dev's and prod's requests and limits fit them.
 */
import { readStack } from "../../settings/stackFiles";
import { Row, formatMiB, formatMicros, formatRate, formatWindowFootprint } from "../lib/format";
import type { TargetRun } from "../lib/loadRuns";
import type { WindowFootprint } from "../lib/processFootprint";
import { TARGETS } from "../lib/targets";
import { Section, wrkBlocker } from "../section";
import { ResourceFit, stackFit } from "./fit";

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

const TITLE = "3 footprint";
const MEASURE = { idle: true, kinds: ["boolean"] } as const;

export const FOOTPRINT_NOTES = [
  "The machine's 2 cores are shared by Flipt, wrk (2 threads) and this process, so CPU under load is what Flipt got, not what it would take alone.",
  "RSS counts the mapped Flipt binary (RssFile, reclaimable page cache) as well as heap and stacks (RssAnon); a container's working set is close to RSS.",
];

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

function fitVerdict(fit: ResourceFit): string {
  const problems: string[] = [];
  if (!fit.memoryWithinRequest) problems.push("peak RSS above the memory request");
  if (!fit.memoryWithinLimit) problems.push("peak RSS above the memory limit");
  if (!fit.idleCpuWithinRequest) problems.push("idle CPU above the CPU request");
  const verdict = problems.length === 0 ? "fits" : `does not fit: ${problems.join(", ")}`;
  return `${verdict}; limit headroom ${formatMiB(fit.memoryHeadroomBytes)}; ≈${formatRate(fit.evaluationsPerSecondAtCpuLimit)} evaluations/s at the CPU limit`;
}

function footprintRows(results: FootprintResults): Row[] {
  const rows: Row[] = [];
  for (const run of results.runs) {
    if (run.idle) rows.push([TITLE, `${run.name} idle`, formatWindowFootprint(run.idle), run.description]);
    if (run.underBooleanLoad) {
      const perEvaluation = run.cpuMicrosPerEvaluation === undefined ? "" : ` · ${formatMicros(run.cpuMicrosPerEvaluation)} CPU/evaluation`;
      rows.push([TITLE, `${run.name} under boolean load`, `${formatWindowFootprint(run.underBooleanLoad)}${perEvaluation}`, ""]);
    }
  }
  for (const fit of results.fits) {
    const r = fit.requests;
    const l = fit.limits;
    rows.push([
      TITLE,
      `${fit.stack} requests / limits`,
      `cpu ${r.cpuMillicores}m / ${l.cpuMillicores}m · memory ${formatMiB(r.memoryBytes)} / ${formatMiB(l.memoryBytes)}`,
      fitVerdict(fit),
    ]);
  }
  return rows;
}

export const footprintSection: Section<FootprintResults> = {
  title: TITLE,
  blocker: wrkBlocker,
  measure: async ({ loadRuns }) => {
    const [ours, database, dev] = await loadRuns.runs([TARGETS.ours, TARGETS.database, TARGETS.dev], MEASURE);
    return {
      runs: [ours, dev, database].map(footprintRun),
      fits: [stackFit("dev", readStack("dev").settings.resources, dev), stackFit("prod", readStack("prod").settings.resources, ours)],
      notes: FOOTPRINT_NOTES,
    };
  },
  rows: footprintRows,
  problems: () => [],
};
