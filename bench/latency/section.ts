/**
 * The latency section (`npm run bench -- --only latency`): the measurement (measure.ts), its chart
 * beside the results file (chart.ts), its rows of the table (report.ts) and what fails the run: a
 * change or fault window that served an error or a value it must not, or a part that could not be
 * made.
 */
import { chartFileBeside, writeChart } from "../lib/chart";
import { errorMessage } from "../lib/outcome";
import { LOAD_STACK, TARGETS, fliptVersion } from "../lib/targets";
import { Section, SectionContext, firstLine, openLoopBlocker } from "../section";
import { latencyChartSpec } from "./chart";
import { LatencyResults, measureLatency } from "./measure";
import { latencyRows } from "./report";
import { latencySettings } from "./settings";

const TITLE = "5 latency";

async function measureWithChart({ supervisor, tools, options, machine, pinning, log }: SectionContext): Promise<LatencyResults> {
  const settings = latencySettings(options);
  const specs = {
    git: { ...TARGETS.ours, name: `latency-${TARGETS.ours.name}` },
    database: { ...TARGETS.database, name: `latency-${TARGETS.database.name}` },
  };
  log(`latency: open-loop steps (vegeta), Flipt on CPU ${pinning.flipt}, vegeta and the harness on CPU ${pinning.generator}`);
  const measured = await measureLatency(supervisor, tools, specs, settings, pinning, log);
  const file = chartFileBeside(options.out, "latency");
  try {
    const { rules } = settings;
    const spec = latencyChartSpec(measured.runs, {
      title: `Flipt ${fliptVersion(tools.fliptBin)?.split(" ")[0] ?? ""}: latency at a constant arrival rate, one core`,
      subtitle: [
        `${measured.method.tool}, open loop; each step ≥ ${rules.minSeconds} s${rules.minRequests > 0 ? ` and ≥ ${rules.minRequests.toLocaleString("en-US")} requests` : ""}`,
        `${LOAD_STACK} stack config and flags (${measured.method.flags} migrated flags), random entities${settings.repeats > 1 ? `; median of ${settings.repeats} ladders per point` : ""}`,
        "Flipt pinned to one core, vegeta and the harness to the other (taskset)",
        `${machine.cpus} × ${machine.cpuModel}${machine.clockSource ? `, clock source ${machine.clockSource}` : ""}, load average ${measured.loadAverageAtStart[0].toFixed(2)} at start`,
        "solid: Git storage (ours) · dashed: database storage",
      ],
      guides: [
        { latencyMs: rules.capacityP99Ms, label: `${rules.capacityP99Ms} ms: capacity (p99)` },
        { latencyMs: rules.stopP99Ms, label: `${rules.stopP99Ms} ms: the ladder stops (p99)` },
      ],
    });
    return { ...measured, chart: await writeChart(file, spec) };
  } catch (error) {
    return { ...measured, chartError: errorMessage(error) };
  }
}

function latencyProblems(results: LatencyResults): string[] {
  const problems: string[] = [];
  if (results.changeAndFaultError) problems.push(`latency: change and fault windows: ${firstLine(results.changeAndFaultError)}`);
  for (const w of results.changeAndFault?.windows ?? []) {
    if (!w.ok) problems.push(`latency: ${w.name}: ${w.latencyMs.errors} errors, ${w.unexpected} answers other than ${w.expected.join(" or ")}, served true ${w.served.true} / false ${w.served.false}`);
  }
  if (results.chartError) problems.push(`latency: chart: ${firstLine(results.chartError)}`);
  return problems;
}

export const latencySection: Section<LatencyResults> = {
  title: TITLE,
  blocker: openLoopBlocker,
  measure: measureWithChart,
  rows: (results, machine) => latencyRows(TITLE, results, machine),
  problems: latencyProblems,
};
