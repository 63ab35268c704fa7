/**
 * The latency section's rows of the bench table: the ratio of Git to database storage first (it
 * carries over between hosts), then the method, every step with every attempt, the spreads across
 * rounds, the capacities (saying when a disturbed step was kept from vetoing one), sizing, Flipt's
 * highest CPU utilisation with p99 held, the change and fault windows and the chart.
 */
import { plural } from "../../scripts/lib/text";
import { describeInterference } from "../lib/cpuShare";
import { Row, formatMs, formatRate, formatRatio, formatSpread, hostLabel, latencySummary } from "../lib/format";
import type { MachineInfo } from "../lib/host";
import { FIRST_RATES, RateStep, StepRules, isDisturbed, refinementRule } from "../lib/rateSteps";
import { ratio } from "../lib/stats";
import { REQUEST_KINDS } from "../load/vegeta";
import { KIND_LABELS, STORAGE_LABELS } from "./chart";
import type { KindRun } from "./ladders";
import type { LatencyResults } from "./measure";
import type { StackSizing } from "./sizing";
import { KindSpread, StepSpread, kindSpreads } from "./repeats";
import { LatencyUtilisation, UtilisationReading, coreShare } from "./utilisation";

type Method = LatencyResults["method"];

/** A capacity per core as the report writes it: 0 is a round in which no rate passed. */
function capacityValue(requestsPerSecond: number): string {
  return requestsPerSecond > 0 ? `${formatRate(requestsPerSecond)} req/s` : `below ${formatRate(FIRST_RATES[0])} req/s`;
}

/**
 * The rate the two storages' p99 is compared at: the highest both measured with a median p99
 * within the capacity limit in both, else the lowest both measured.
 */
export function comparisonRate(git: KindSpread, database: KindSpread, rules: StepRules): number | undefined {
  const common = git.steps.filter((g) => database.steps.some((d) => d.ratePerSecond === g.ratePerSecond)).map((g) => g.ratePerSecond);
  const p99 = (spread: KindSpread, rate: number) => spread.steps.find((s) => s.ratePerSecond === rate)!.p99Ms.median;
  const within = common.filter((rate) => p99(git, rate) <= rules.capacityP99Ms && p99(database, rate) <= rules.capacityP99Ms);
  return within.length > 0 ? Math.max(...within) : common[0];
}

/** Ratios measured in the same run first, then the absolute figures with the host they came from. */
export function storageRatioRow(title: string, git: KindSpread, database: KindSpread, rules: StepRules, machine: MachineInfo): Row {
  const rate = comparisonRate(git, database, rules);
  const at = (spread: KindSpread): StepSpread | undefined => spread.steps.find((s) => s.ratePerSecond === rate);
  const [gitStep, databaseStep] = [at(git), at(database)];
  const capacityRatio = ratio(git.capacityRequestsPerSecond.median, database.capacityRequestsPerSecond.median);
  const p99Ratio = gitStep && databaseStep ? ratio(gitStep.p99Ms.median, databaseStep.p99Ms.median) : undefined;
  const medians = git.rounds > 1 || database.rounds > 1 ? `; medians of ${git.rounds} rounds` : "";
  const ratios = `capacity ${formatRatio(capacityRatio)}${rate === undefined ? "" : ` · p99 at ${formatRate(rate)} req/s ${formatRatio(p99Ratio)}`}${medians}`;
  const absolute = (name: string, spread: KindSpread, step: StepSpread | undefined) =>
    `${name} ${capacityValue(spread.capacityRequestsPerSecond.median)}${step ? `, p99 ${formatMs(step.p99Ms.median)}` : ""}`;
  return [
    title,
    `summary: ${KIND_LABELS[git.kind]}, Git ÷ database storage, same run`,
    ratios,
    `on ${hostLabel(machine)}: ${absolute("Git", git, gitStep)}; ${absolute("database", database, databaseStep)}${rate === undefined ? "" : ` (p99 at ${formatRate(rate)} req/s)`}`,
  ];
}

function summaryRows(title: string, spreads: readonly KindSpread[], rules: StepRules, machine: MachineInfo): Row[] {
  return REQUEST_KINDS.flatMap((kind) => {
    const git = spreads.find((s) => s.kind === kind && s.storage === "git");
    const database = spreads.find((s) => s.kind === kind && s.storage === "database");
    return git && database ? [storageRatioRow(title, git, database, rules, machine)] : [];
  });
}

function methodRow(title: string, results: LatencyResults): Row {
  const { method } = results;
  const { rules, pinning } = method;
  const load = results.loadAverageAtStart.map((l) => l.toFixed(2)).join(" / ");
  const remeasure = `a step with others + steal on CPU ${pinning.flipt} over ${rules.maxDisturbanceMillicores}m is measured again, up to ${plural(rules.maxRemeasures, "more time")}, and its least disturbed attempt counts`;
  return [
    title,
    "method",
    `${method.tool}, ${method.description}; up from ${formatRate(FIRST_RATES[0])} req/s until p99 > ${rules.stopP99Ms} ms or errors, ${refinementRule(rules)}; ${plural(method.repeats, "ladder")} per kind and storage`,
    `open loop; Flipt pinned to CPU ${pinning.flipt} (one core: every rate is per core), vegeta and the harness to CPU ${pinning.generator} (taskset); ${remeasure}; load average at start ${load}`,
  ];
}

/** "620m (62 % of its core)": Flipt's own CPU over a step. */
function fliptCpu(millicores: number): string {
  return `${Math.round(millicores)}m (${Math.round(coreShare(millicores) * 100)} % of its core)`;
}

/**
 * Per kind and storage, the highest utilisation of Flipt's core at which p99 held: what an
 * autoscaler's target is taken from. Kubernetes' averageUtilization is a share of the CPU request,
 * so the figure is also given as that share for prod's request.
 */
export function utilisationRows(title: string, utilisation: LatencyUtilisation, rules: StepRules): Row[] {
  const { prodCpu } = utilisation;
  return utilisation.byKind.map((ku): Row => {
    const label = `highest CPU with p99 ≤ ${rules.capacityP99Ms} ms: ${KIND_LABELS[ku.kind]}, ${STORAGE_LABELS[ku.storage]}`;
    const round = (r: UtilisationReading | undefined, i: number) =>
      `${ku.rounds.length > 1 ? `round ${i + 1}: ` : ""}${r ? `${fliptCpu(r.fliptMillicores)} at ${formatRate(r.ratePerSecond)} req/s, p99 ${formatMs(r.p99Ms)}` : "no step within capacity"}`;
    const perRound = ku.rounds.map(round).join(" · ");
    if (!ku.fliptMillicores) return [title, label, perRound, ""];
    const m = ku.fliptMillicores.median;
    const result = ku.rounds.length > 1 ? `median ${formatSpread(ku.fliptMillicores, (v) => `${Math.round(v)}m`)}; ${perRound}` : perRound;
    const ofRequest = `as an HPA target (a share of the CPU request): ${Math.round((m / prodCpu.requestMillicores) * 100)} % of ${prodCpu.stack}'s cpuRequest ${prodCpu.requestMillicores}m, ${Math.round((m / prodCpu.limitMillicores) * 100)} % of its cpuLimit ${prodCpu.limitMillicores}m`;
    return [title, label, result, ofRequest];
  });
}

/** "attempt 2 of 3 counts"; undefined for a step measured once. */
function countedNote(step: RateStep): string | undefined {
  const counted = step.attempts.find((a) => a.counted);
  const made = Math.max(...step.attempts.map((a) => a.number));
  if (!counted || made === 1) return undefined;
  const unrecorded = made - step.attempts.length;
  return `attempt ${counted.number} of ${made} counts${unrecorded > 0 ? ` (${unrecorded} earlier not recorded)` : ""}`;
}

/** The step's counted figures, then a row for each attempt that did not count. */
export function stepRows(title: string, label: string, step: RateStep, method: Method): Row[] {
  const { rules, pinning } = method;
  const name = `${label} @ ${formatRate(step.ratePerSecond)} req/s`;
  const notes = [`${formatRate(step.sentPerSecond)} req/s sent over ${step.durationSeconds} s`];
  if (step.interference) notes.push(`Flipt ${fliptCpu(step.interference.fliptMillicores)}; ${describeInterference(step.interference, pinning)}`);
  const counted = countedNote(step);
  if (counted) notes.push(counted);
  if (isDisturbed(step.interference, rules)) notes.push(`DISTURBED: over ${rules.maxDisturbanceMillicores}m in every attempt`);
  if (step.refinement) notes.push("refinement step, between the capacity and the first failing rate");
  if (step.stopReason) notes.push(`stop: ${step.stopReason}`);
  const uncounted = step.attempts.filter((a) => !a.counted);
  return [
    [title, name, latencySummary(step.latencyMs), notes.join("; ")],
    ...uncounted.map((a): Row => {
      const disturbed = isDisturbed(a.interference, rules) ? `: disturbed (over ${rules.maxDisturbanceMillicores}m)` : "";
      return [title, `${name}: attempt ${a.number}, not counted`, latencySummary(a.latencyMs), `${describeInterference(a.interference, pinning)}${disturbed}`];
    }),
  ];
}

function runLabel(run: KindRun, method: Method): string {
  return `${KIND_LABELS[run.kind]}, ${STORAGE_LABELS[run.storage]}${method.repeats > 1 ? `, round ${run.round}` : ""}`;
}

/** The capacity of one ladder, and when a lower step was kept from vetoing it because it failed only while disturbed. */
export function capacityRow(title: string, run: KindRun, method: Method): Row {
  const c = run.capacity;
  const { rules } = method;
  const resolved = c.requestsPerSecond !== undefined && c.nextRatePerSecond !== undefined ? ` (resolved to ${formatRate(c.nextRatePerSecond - c.requestsPerSecond)} req/s)` : "";
  const next = c.nextRatePerSecond === undefined ? "no higher rate measured" : `at ${formatRate(c.nextRatePerSecond)} req/s p99 was ${formatMs(c.nextP99Ms!)}${resolved}`;
  const found =
    c.requestsPerSecond === undefined
      ? `below ${formatRate(run.steps[0]?.ratePerSecond ?? 0)} req/s`
      : `${formatRate(c.requestsPerSecond)} req/s${run.flagsPerRequest > 1 ? ` (${formatRate(c.evaluationsPerSecond!)} evaluations/s)` : ""}, p99 ${formatMs(c.p99Ms!)}`;
  const vetoes = c.disturbedVetoRates ?? [];
  const veto =
    vetoes.length === 0
      ? ""
      : `; a veto would have come from a disturbed step: ${vetoes.map(formatRate).join(", ")} req/s failed only while others + steal exceeded ${rules.maxDisturbanceMillicores}m, in every attempt, so it does not bound the capacity`;
  return [title, `capacity per core (p99 ≤ ${rules.capacityP99Ms} ms): ${runLabel(run, method)}`, found, `${next}${veto}`];
}

/** Per step and for the capacity: the median and range across rounds (only for more than one). */
function spreadRows(title: string, spreads: readonly KindSpread[], method: Method): Row[] {
  return spreads.flatMap((ks) => {
    const label = `${KIND_LABELS[ks.kind]}, ${STORAGE_LABELS[ks.storage]}`;
    const steps = ks.steps.map((st): Row => [
      title,
      `${label} @ ${formatRate(st.ratePerSecond)} req/s: ${st.rounds} of ${ks.rounds} rounds`,
      `p50 ${formatSpread(st.p50Ms, formatMs)} · p99 ${formatSpread(st.p99Ms, formatMs)}`,
      "median (range) of the counted attempts",
    ]);
    const capacity: Row = [title, `capacity per core (p99 ≤ ${method.rules.capacityP99Ms} ms), median of ${ks.rounds} rounds: ${label}`, formatSpread(ks.capacityRequestsPerSecond, capacityValue), ""];
    return [...steps, capacity];
  });
}

/** "configured: 1", or with autoscaling "autoscaled 2-10: the maximum covers it" (or does not). */
function configuredPods(st: StackSizing): string {
  if (st.autoscalingMaxReplicas === undefined) return `configured: ${st.configuredReplicas}`;
  const covers = st.replicasForPeak <= st.autoscalingMaxReplicas ? "covers it" : "does not cover it: raise autoscalingMaxReplicas";
  return `autoscaled ${st.configuredReplicas}-${st.autoscalingMaxReplicas}: the maximum ${covers}`;
}

function sizingRows(title: string, sizing: LatencyResults["sizing"]): Row[] {
  const { assumptions } = sizing;
  return Object.entries(sizing.byKind).flatMap(([kind, stacks]) =>
    (stacks ?? []).map((st): Row => [
      title,
      `sizing ${st.stack}: ${KIND_LABELS[kind as keyof typeof KIND_LABELS]}, ${STORAGE_LABELS[sizing.storage]}`,
      `≈${formatRate(st.evaluationsPerSecondPerPod)} evaluations/s per pod at its CPU limit ${st.cpuLimitMillicores}m`,
      `${st.replicasForPeak} replicas for a peak of ${formatRate(assumptions.peakEvaluationsPerSecond)} evaluations/s at ${Math.round(assumptions.plannedUtilisation * 100)} % of capacity (${configuredPods(st)})`,
    ]),
  );
}

function changeAndFaultRows(title: string, results: LatencyResults): Row[] {
  const cf = results.changeAndFault;
  if (!cf) return results.changeAndFaultError ? [[title, "change and fault windows", "failed", results.changeAndFaultError]] : [];
  return cf.windows.map((w): Row => {
    const syncErrors = w.gitSyncErrors === undefined ? "" : `; ${w.gitSyncErrors} failed Git syncs`;
    return [
      title,
      `${formatRate(cf.ratePerSecond)} req/s on ${cf.flag}: ${w.name} (${Math.round(w.seconds)} s)`,
      `${w.latencyMs.requests} requests · p99 ${formatMs(w.latencyMs.p99)} · max ${formatMs(w.latencyMs.max)} · ${w.latencyMs.errors} errors · ${w.latencyMs.non200} non-200`,
      `${w.ok ? "ok" : "VIOLATED"}: served true ${w.served.true} / false ${w.served.false}, allowed ${w.expected.join(" or ")}, ${w.unexpected} other answers${syncErrors}`,
    ];
  });
}

export function latencyRows(title: string, results: LatencyResults, machine: MachineInfo): Row[] {
  const { method } = results;
  const spreads = kindSpreads(results.runs);
  const byRate = (a: RateStep, b: RateStep) => a.ratePerSecond - b.ratePerSecond;
  return [
    ...summaryRows(title, spreads, method.rules, machine),
    methodRow(title, results),
    ...results.runs.flatMap((run) => [...run.steps].sort(byRate).flatMap((step) => stepRows(title, runLabel(run, method), step, method))),
    ...(method.repeats > 1 ? spreadRows(title, spreads, method) : []),
    ...results.runs.map((run) => capacityRow(title, run, method)),
    ...sizingRows(title, results.sizing),
    ...(results.utilisation ? utilisationRows(title, results.utilisation, method.rules) : []),
    ...changeAndFaultRows(title, results),
    [title, "chart", results.chart ?? "not drawn", results.chartError ?? "p50 and p99 against the arrival rate, log scales"],
  ];
}
