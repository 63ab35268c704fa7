/**
 * The goruntime section (`npm run bench -- --only goruntime`): Go's memory limit and GOGC measured
 * on Flipt at 1,000 and 3,000 generated flags (measure.ts), one row per flag count and
 * configuration, the GOMEMLIMIT share's derivation, the method and the runtime; a run that could
 * not be measured, or a share that could not be derived, fails the run.
 */
import { disturbanceMillicores } from "../lib/cpuShare";
import { Row, formatMs, formatRate } from "../lib/format";
import { goConfigLabel } from "../lib/goEnvironment";
import { Section, openLoopBlocker } from "../section";
import { FailedGoRuntimeRun, GoRuntimeResults, GoRuntimeRun, isMeasuredGoRun, measureGoRuntime } from "./measure";
import { goRuntimeProfile } from "./profile";

const TITLE = "goruntime";

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
const mib = (value: number) => `${Math.round(value)} MiB`;

/** flags × config → RSS start/after/peak, OOM-near events, GC CPU, p99 @ 1,000 req/s, capacity per core. */
export function goRuntimeRunRow(run: GoRuntimeRun | FailedGoRuntimeRun, results: Pick<GoRuntimeResults, "oomNearThresholdMiB" | "rules">): Row {
  const name = `${formatRate(run.flags)} flags, ${goConfigLabel(run.config)}${run.config.gomemlimit === "set" && isMeasuredGoRun(run) ? ` (${run.environment.GOMEMLIMIT})` : ""}`;
  if (!isMeasuredGoRun(run)) return [TITLE, name, "FAILED", run.error.split("\n")[0]];
  const events = `${run.oomNear.events} OOM-near${run.oomNear.events > 0 ? ` (${run.oomNear.secondsAbove.toFixed(1)} s above ${mib(results.oomNearThresholdMiB)})` : ""}`;
  const gc = `GC ${percent(run.gc.syncs.shareOfFliptCpu)} of Flipt's CPU in the syncs, ${percent(run.gc.load.shareOfFliptCpu)} at ${formatRate(run.load.ratePerSecond)} req/s`;
  const disturbance = disturbanceMillicores(run.load.interference);
  const disturbed = disturbance > results.rules.maxDisturbanceMillicores ? `, DISTURBED: others + steal ${Math.round(disturbance)}m on Flipt's core` : "";
  const load = `p99 @ ${formatRate(run.load.ratePerSecond)} req/s ${formatMs(run.load.latencyMs.p99)}${run.load.latencyMs.errors > 0 ? ` (${run.load.latencyMs.errors} errors)` : ""}${disturbed}`;
  const c = run.capacity;
  const next = c.nextRatePerSecond === undefined ? "no higher rate measured" : `${formatRate(c.nextRatePerSecond)} failed: p99 ${formatMs(c.nextP99Ms!)}`;
  const cap = c.requestsPerSecond === undefined ? `capacity below ${formatRate(run.steps[0]?.ratePerSecond ?? 0)} req/s (${next})` : `capacity ${formatRate(c.requestsPerSecond)} req/s per core (${next})`;
  return [TITLE, name, `RSS ${mib(run.rssAfterStartMiB)} → ${mib(run.rssAfterSyncsMiB)} after ${run.sync.changeSyncs} syncs, peak ${mib(run.rssPeakMiB)} · ${events} · ${gc}`, `${load} · ${cap}`];
}

/** The GOMEMLIMIT the "set" runs had, and where its share came from. */
export function shareRow(results: Pick<GoRuntimeResults, "gomemlimit" | "gomemlimitError" | "memoryLimitMiB">): Row {
  const g = results.gomemlimit;
  if (!g) return [TITLE, "GOMEMLIMIT for the set runs", results.gomemlimitError ? `not derived: ${results.gomemlimitError}` : "no set run", ""];
  const d = g.derivation;
  const how = d
    ? `measured at ${formatRate(d.flags)} flags with GOMEMLIMIT unset: RSS less Go's runtime-managed memory (go_memstats_sys_bytes − heap_released) at most ${mib(d.overheadMiB)}; (${mib(d.memoryLimitMiB)} − ${mib(d.overheadMiB)} − ${Math.round(d.marginShare * 100)} % margin) ÷ ${mib(d.memoryLimitMiB)}, rounded down`
    : "given by --gomemlimit-share";
  return [TITLE, "GOMEMLIMIT for the set runs", `${g.value} = ${Math.round(g.share * 100)} % of memoryLimit ${mib(results.memoryLimitMiB)}`, how];
}

function goRuntimeRows(results: GoRuntimeResults): Row[] {
  const p = results.profile;
  const method: Row = [
    TITLE,
    "method",
    `Flipt pinned to CPU ${results.pinning.flipt}, ${p.syncs + 1} one-flag syncs at a ${p.pollIntervalSeconds} s poll, then ${p.loadSeconds} s at ${formatRate(p.loadRatePerSecond)} req/s (vegeta, random flags), then the ladder ${p.ladderRates.map(formatRate).join(", ")} req/s (${p.stepSeconds} s steps) and 500 req/s refinement steps`,
    `${results.oomNearDefinition}; ${results.cgroupNote}; ${results.environmentNote}; GC CPU from ${results.gcSource}`,
  ];
  const runtime: Row = [TITLE, "runtime", `${Math.round(results.tookSeconds / 60)} min (estimated ${Math.round(results.estimatedSeconds / 60)} min)`, ""];
  return [method, shareRow(results), ...results.runs.map((run) => goRuntimeRunRow(run, results)), runtime];
}

function goRuntimeProblems(results: GoRuntimeResults): string[] {
  const failed = results.runs.filter((run): run is FailedGoRuntimeRun => !isMeasuredGoRun(run)).map((run) => `goruntime: ${run.flags} flags, ${goConfigLabel(run.config)}: ${run.error.split("\n")[0]}`);
  return results.gomemlimitError ? [`goruntime: GOMEMLIMIT share: ${results.gomemlimitError}`, ...failed] : failed;
}

export const goRuntimeSection: Section<GoRuntimeResults> = {
  title: TITLE,
  blocker: openLoopBlocker,
  measure: ({ supervisor, tools, options, pinning, log }) => measureGoRuntime(supervisor, tools, goRuntimeProfile(options), pinning, log),
  rows: goRuntimeRows,
  problems: goRuntimeProblems,
};
