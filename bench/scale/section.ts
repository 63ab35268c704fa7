/**
 * The scale section (`npm run bench -- --only scale`): how each cost grows with flags, repository
 * history and services (measure.ts), and the first user-facing limit each one breaks
 * (findings.ts); the chart beside the results file (chart.ts), the rows of the table and what
 * fails the run (report.ts).
 */
import { readStack } from "../../settings/stackFiles";
import { chartFileBeside, writeChart } from "../lib/chart";
import { errorMessage } from "../lib/outcome";
import { LOAD_STACK, fliptVersion } from "../lib/targets";
import { Section, SectionContext, openLoopBlocker } from "../section";
import { scaleChartSpec } from "./chart";
import { isMeasuredRow } from "./flipt";
import { SCALE_PROFILES, ScaleResults, measureScale } from "./measure";
import { SCALE_TITLE, scaleProblems, scaleRows } from "./report";

async function measureWithChart({ supervisor, tools, options, pinning, log }: SectionContext): Promise<ScaleResults> {
  const profile = SCALE_PROFILES[options.quick ? "quick" : "full"];
  log(`scale: Flipt on CPU ${pinning.flipt}, vegeta, ghz and the harness on CPU ${pinning.generator}; flags ${profile.flagCounts.join(", ")}; history ${profile.historyCommits.join(", ")} commits at ${profile.historyFlags} flags`);
  const measured = await measureScale(supervisor, tools, profile, readStack(LOAD_STACK).settings, pinning, log);
  const file = chartFileBeside(options.out, "scale");
  try {
    const rows = measured.flipt.filter(isMeasuredRow);
    const spec = scaleChartSpec(rows, measured.limits, profile.flipt.syncs, `Flipt ${fliptVersion(tools.fliptBin)?.split(" ")[0] ?? ""} with Git storage: cost against the flag count, one core`, [
      `generated flags (seed ${measured.seed}), ${LOAD_STACK} stack config with a ${profile.flipt.pollIntervalSeconds} s poll interval; Flipt pinned to one core (taskset)`,
      `sync: Flipt's flipt_git_sync_latency for a one-flag commit; memory: RSS after start and after ${profile.flipt.syncs + 1} one-flag commits`,
      `dashed: the ${LOAD_STACK} stack's limit (start ${measured.limits.startSeconds} s, memory limit ${measured.limits.memoryLimitMiB} MiB, poll interval ${measured.limits.pollIntervalSeconds} s)`,
    ]);
    return { ...measured, chart: await writeChart(file, spec) };
  } catch (error) {
    return { ...measured, chartError: errorMessage(error) };
  }
}

export const scaleSection: Section<ScaleResults> = {
  title: SCALE_TITLE,
  blocker: openLoopBlocker,
  measure: measureWithChart,
  rows: (results) => scaleRows(results),
  problems: scaleProblems,
};
