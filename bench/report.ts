/** The one table `npm run bench` prints, built from the same BenchResults it writes as JSON. */
import { ResourceFit, WindowFootprint } from "./footprint";
import { LoadRun } from "./evaluation";
import { KIND_LABELS, STORAGE_LABELS } from "./chart";
import { BenchResults, LoadRatios, SECTIONS, SectionName, SectionOutcome } from "./results";
import { FIRST_RATES } from "./rateSteps";
import { LatencySummary } from "./vegeta";

export type Row = readonly [section: string, measurement: string, result: string, comparison: string];

const SECTION_TITLES: Record<SectionName, string> = {
  propagation: "1 propagation",
  evaluation: "2 evaluation",
  footprint: "3 footprint",
  program: "4 program",
  tuning: "tuning",
  latency: "5 latency",
};

const MIB = 1024 * 1024;

/** 850 → "850 ms", 5300 → "5.3 s". */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatMicros(us: number): string {
  return us < 1000 ? `${us < 10 ? us.toFixed(1) : Math.round(us)} µs` : formatMs(us / 1000);
}

export function formatMiB(bytes: number): string {
  return `${Math.round(bytes / MIB)} MiB`;
}

export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString("en-US");
}

/** A ratio as `×1.76`, or `n/a` when it could not be computed. */
export function formatRatio(value: number | undefined): string {
  return value === undefined ? "n/a" : `×${value.toFixed(2)}`;
}

function loadResult(run: LoadRun): string {
  const evaluations = run.kind === "batch" ? ` (${formatRate(run.evaluationsPerSecond)} evaluations/s)` : "";
  return `${formatRate(run.requestsPerSecond)} req/s${evaluations} · p50 ${formatMs(run.latencyMs.p50)} · p99 ${formatMs(run.latencyMs.p99)} · ${run.errors.total} errors`;
}

function footprintResult(f: WindowFootprint): string {
  return `RSS ${formatMiB(f.rssPeakBytes)} (anon ${formatMiB(f.rssAnonPeakBytes)}) · CPU ${Math.round(f.cpuMillicores)}m over ${Math.round(f.seconds)} s`;
}

function ratioComparison(ratios: LoadRatios, kind: "boolean" | "batch", against: string): string {
  if (kind === "batch") return `${formatRatio(ratios.batchRequestsPerSecond)} req/s, ${formatRatio(ratios.batchP99)} p99 of ${against}`;
  return `${formatRatio(ratios.booleanRequestsPerSecond)} req/s, ${formatRatio(ratios.booleanP99)} p99, ${formatRatio(ratios.cpuPerEvaluation)} CPU/evaluation of ${against}`;
}

function fitVerdict(fit: ResourceFit): string {
  const problems: string[] = [];
  if (!fit.memoryWithinRequest) problems.push("peak RSS above the memory request");
  if (!fit.memoryWithinLimit) problems.push("peak RSS above the memory limit");
  if (!fit.idleCpuWithinRequest) problems.push("idle CPU above the CPU request");
  const verdict = problems.length === 0 ? "fits" : `does not fit: ${problems.join(", ")}`;
  return `${verdict}; limit headroom ${formatMiB(fit.memoryHeadroomBytes)}; ≈${formatRate(fit.evaluationsPerSecondAtCpuLimit)} evaluations/s at the CPU limit`;
}

function propagationRows(results: Extract<BenchResults["sections"]["propagation"], { status: "measured" }>["results"]): Row[] {
  const s = SECTION_TITLES.propagation;
  const rows: Row[] = [];
  for (const run of results.runs) {
    const m = run.summaryMs;
    const floor = run.floorMs;
    rows.push([
      s,
      `${run.stack}: commit → new value (poll ${run.pollInterval}, n=${m.n})`,
      `median ${formatMs(m.median)} · p95 ${formatMs(m.p95)} · max ${formatMs(m.max)}`,
      `poll interval alone: median ${formatMs(floor.median)} · p95 ${formatMs(floor.p95)} · max ${formatMs(floor.max)}`,
    ]);
    const sync = run.gitSyncMeanMs === undefined ? "no sync recorded" : `mean Git sync ${formatMs(run.gitSyncMeanMs)} over ${run.gitSyncs} polls`;
    rows.push([s, `${run.stack}: cost on top of the poll`, sync, `Flipt RSS ${formatMiB(run.rssBeforeBytes)} → ${formatMiB(run.rssAfterBytes)} over the ${m.n} commits`]);
  }
  const fileStore = results.fileStore;
  const floor = fileStore.floorMs;
  rows.push([
    s,
    `file store (replaced): poll ${fileStore.pollIntervalMs / 1000}s`,
    `median ${formatMs(floor.median)} · p95 ${formatMs(floor.p95)} · max ${formatMs(floor.max)}, after a deploy`,
    "the poll alone (not measured): a change also needs a deploy",
  ]);
  return rows;
}

function evaluationRows(results: Extract<BenchResults["sections"]["evaluation"], { status: "measured" }>["results"]): Row[] {
  const s = SECTION_TITLES.evaluation;
  const { load } = results;
  const rows: Row[] = [
    [s, "load", `${load.tool}: ${load.connections} connections, ${load.threads} threads, ${load.durationSeconds} s per run`, `${load.flags} flags in turn, entity ids ${load.entities}; closed loop, so latencies are at saturation of the shared cores`],
  ];
  for (const kind of ["boolean", "batch"] as const) {
    const label = kind === "boolean" ? "boolean" : `batch of ${load.batchSize}`;
    const ours = results.ours.loads[kind];
    const database = results.database.loads[kind];
    if (ours) rows.push([s, `${label}: ours (${results.ours.description})`, loadResult(ours), ratioComparison(results.oursToDatabase, kind, "database")]);
    if (database) rows.push([s, `${label}: database (${results.database.description})`, loadResult(database), ""]);
  }
  return rows;
}

function footprintRows(results: Extract<BenchResults["sections"]["footprint"], { status: "measured" }>["results"]): Row[] {
  const s = SECTION_TITLES.footprint;
  const rows: Row[] = [];
  for (const run of results.runs) {
    if (run.idle) rows.push([s, `${run.name} idle`, footprintResult(run.idle), run.description]);
    if (run.underBooleanLoad) {
      const perEvaluation = run.cpuMicrosPerEvaluation === undefined ? "" : ` · ${formatMicros(run.cpuMicrosPerEvaluation)} CPU/evaluation`;
      rows.push([s, `${run.name} under boolean load`, `${footprintResult(run.underBooleanLoad)}${perEvaluation}`, ""]);
    }
  }
  for (const fit of results.fits) {
    const r = fit.requests;
    const l = fit.limits;
    rows.push([
      s,
      `${fit.stack} requests / limits`,
      `cpu ${r.cpuMillicores}m / ${l.cpuMillicores}m · memory ${formatMiB(r.memoryBytes)} / ${formatMiB(l.memoryBytes)}`,
      fitVerdict(fit),
    ]);
  }
  return rows;
}

function programRows(results: Extract<BenchResults["sections"]["program"], { status: "measured" }>["results"]): Row[] {
  return results.commands.map((c) => [SECTION_TITLES.program, c.name, `${(c.wallMs / 1000).toFixed(1)} s wall`, c.detail] as Row);
}

function tuningRows(results: Extract<BenchResults["sections"]["tuning"], { status: "measured" }>["results"]): Row[] {
  const s = SECTION_TITLES.tuning;
  const rows: Row[] = [];
  for (const v of results.variants) {
    const logs = `${Math.round(v.boolean.logBytesPerRequest)} vs ${Math.round(v.baselineBoolean.logBytesPerRequest)} log bytes/request`;
    rows.push([s, `${v.question}: ${v.name}`, `${loadResult(v.boolean)} · ${logs}`, ratioComparison(v.ratios, "boolean", v.baseline)]);
  }
  if (results.gitBackends) {
    const base = results.gitBackends[0];
    for (const run of results.gitBackends) {
      const delta = run === base ? "" : `${run.idle.rssPeakBytes >= base.idle.rssPeakBytes ? "+" : "−"}${formatMiB(Math.abs(run.idle.rssPeakBytes - base.idle.rssPeakBytes))} RSS vs ${base.name}`;
      rows.push([s, `Git backend idle: ${run.name}`, footprintResult(run.idle), delta]);
    }
  } else if (results.gitBackendsError) {
    rows.push([s, "Git backend memory vs local", "failed", results.gitBackendsError]);
  }
  const cs = results.clientSide;
  if (cs) {
    const m = cs.serverSide.micros;
    rows.push([s, "per evaluation: OpenFeature + Flipt provider (HTTP)", `p50 ${formatMicros(m.median)} · p99 ${formatMicros(m.p99)} · n=${m.n}`, "one HTTP request per evaluation, one at a time, loopback"]);
    if (cs.clientSide) {
      const c = cs.clientSide.micros;
      rows.push([
        s,
        `per evaluation: client-side (${cs.clientSide.package})`,
        `p50 ${formatMicros(c.median)} · p99 ${formatMicros(c.p99)} · n=${c.n}`,
        `init ${formatMs(cs.clientSide.initMs)}; snapshot ${cs.clientSide.snapshotBytes} bytes; refresh every ${cs.clientSide.defaultUpdateIntervalSeconds} s by default`,
      ]);
    } else {
      rows.push([s, "per evaluation: client-side", "not measured", cs.clientSideUnavailable ?? ""]);
    }
  } else if (results.clientSideError) {
    rows.push([s, "client-side evaluation", "failed", results.clientSideError]);
  }
  return rows;
}

/** "p50 0.41 ms · p90 … · p99.9 … · max … · 0 errors" */
export function latencySummary(l: LatencySummary): string {
  const errors = l.errors === 0 ? "0 errors" : `${l.errors} errors (${l.non200} non-200, ${l.transportErrors} no answer)`;
  return `p50 ${formatMs(l.p50)} · p90 ${formatMs(l.p90)} · p99 ${formatMs(l.p99)} · p99.9 ${formatMs(l.p999)} · max ${formatMs(l.max)} · ${errors}`;
}

function latencyRows(results: Extract<BenchResults["sections"]["latency"], { status: "measured" }>["results"]): Row[] {
  const s = SECTION_TITLES.latency;
  const { method } = results;
  const load = results.loadAverageAtStart.map((l) => l.toFixed(2)).join(" / ");
  const rows: Row[] = [
    [
      s,
      "method",
      `${method.tool}, ${method.description}; up from ${formatRate(FIRST_RATES[0])} req/s until p99 > ${method.rules.stopP99Ms} ms or errors`,
      `open loop; Flipt pinned to CPU ${method.pinning.flipt} (one core: every rate is per core), vegeta and the harness to CPU ${method.pinning.generator} (taskset); load average at start ${load}`,
    ],
  ];
  for (const run of results.runs) {
    const label = `${KIND_LABELS[run.kind]}, ${STORAGE_LABELS[run.storage]}`;
    for (const step of [...run.steps].sort((a, b) => a.ratePerSecond - b.ratePerSecond)) {
      const notes = [`${formatRate(step.sentPerSecond)} req/s sent over ${step.durationSeconds} s`];
      if (step.interference) notes.push(`Flipt ${Math.round(step.interference.fliptMillicores)}m, others ${Math.round(step.interference.othersMillicores)}m of its core`);
      if ((step.attempts ?? 1) > 1) notes.push(`kept attempt ${step.attempts}`);
      if (step.refinement) notes.push("refinement");
      if (step.stopReason) notes.push(`stop: ${step.stopReason}`);
      rows.push([s, `${label} @ ${formatRate(step.ratePerSecond)} req/s`, latencySummary(step.latencyMs), notes.join("; ")]);
    }
  }
  for (const run of results.runs) {
    const c = run.capacity;
    const label = `capacity per core (p99 ≤ ${method.rules.capacityP99Ms} ms): ${KIND_LABELS[run.kind]}, ${STORAGE_LABELS[run.storage]}`;
    const next = c.nextRatePerSecond === undefined ? "no higher rate measured" : `at ${formatRate(c.nextRatePerSecond)} req/s p99 was ${formatMs(c.nextP99Ms!)}`;
    const found =
      c.requestsPerSecond === undefined
        ? `below ${formatRate(run.steps[0]?.ratePerSecond ?? 0)} req/s`
        : `${formatRate(c.requestsPerSecond)} req/s${run.flagsPerRequest > 1 ? ` (${formatRate(c.evaluationsPerSecond!)} evaluations/s)` : ""}, p99 ${formatMs(c.p99Ms!)}`;
    rows.push([s, label, found, next]);
  }
  const { assumptions } = results.sizing;
  for (const [kind, stacks] of Object.entries(results.sizing.byKind)) {
    for (const st of stacks ?? []) {
      rows.push([
        s,
        `sizing ${st.stack}: ${KIND_LABELS[kind as keyof typeof KIND_LABELS]}, ${STORAGE_LABELS[results.sizing.storage]}`,
        `≈${formatRate(st.evaluationsPerSecondPerPod)} evaluations/s per pod at its CPU limit ${st.cpuLimitMillicores}m`,
        `${st.replicasForPeak} replicas for a peak of ${formatRate(assumptions.peakEvaluationsPerSecond)} evaluations/s at ${Math.round(assumptions.plannedUtilisation * 100)} % of capacity (configured: ${st.configuredReplicas})`,
      ]);
    }
  }
  const cf = results.changeAndFault;
  if (cf) {
    for (const w of cf.windows) {
      const syncErrors = w.gitSyncErrors === undefined ? "" : `; ${w.gitSyncErrors} failed Git syncs`;
      rows.push([
        s,
        `${formatRate(cf.ratePerSecond)} req/s on ${cf.flag}: ${w.name} (${Math.round(w.seconds)} s)`,
        `${w.latencyMs.requests} requests · p99 ${formatMs(w.latencyMs.p99)} · max ${formatMs(w.latencyMs.max)} · ${w.latencyMs.errors} errors · ${w.latencyMs.non200} non-200`,
        `${w.ok ? "ok" : "VIOLATED"}: served true ${w.served.true} / false ${w.served.false}, allowed ${w.expected.join(" or ")}, ${w.unexpected} other answers${syncErrors}`,
      ]);
    }
  } else if (results.changeAndFaultError) {
    rows.push([s, "change and fault windows", "failed", results.changeAndFaultError]);
  }
  rows.push([s, "chart", results.chart ?? "not drawn", results.chartError ?? "p50 and p99 against the arrival rate, log scales"]);
  return rows;
}

function outcomeRows<T>(name: SectionName, outcome: SectionOutcome<T>, measured: (results: T) => Row[]): Row[] {
  const title = SECTION_TITLES[name];
  switch (outcome.status) {
    case "measured":
      return measured(outcome.results);
    case "not measured":
      return [[title, "NOT MEASURED", outcome.reason, ""]];
    case "failed":
      return [[title, "FAILED", outcome.error.split("\n")[0], ""]];
    case "not selected":
      return [];
  }
}

export function reportRows(results: BenchResults): Row[] {
  const { sections } = results;
  const bySection: Record<SectionName, () => Row[]> = {
    propagation: () => outcomeRows("propagation", sections.propagation, propagationRows),
    evaluation: () => outcomeRows("evaluation", sections.evaluation, evaluationRows),
    footprint: () => outcomeRows("footprint", sections.footprint, footprintRows),
    program: () => outcomeRows("program", sections.program, programRows),
    tuning: () => outcomeRows("tuning", sections.tuning, tuningRows),
    latency: () => outcomeRows("latency", sections.latency, latencyRows),
  };
  return SECTIONS.flatMap((name) => bySection[name]());
}

const HEADER: Row = ["section", "measurement", "result", "compared with"];

/** A plain-text table; a column wider than `maxWidth` characters wraps onto continuation lines. */
export function formatTable(rows: readonly Row[], maxWidth = 70): string {
  const all = [HEADER, ...rows];
  const wrap = (text: string): string[] => {
    const lines: string[] = [];
    let line = "";
    for (const word of text.split(" ")) {
      if (line !== "" && line.length + 1 + word.length > maxWidth) {
        lines.push(line);
        line = word;
      } else {
        line = line === "" ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
    return lines;
  };
  const wrapped = all.map((row) => row.map(wrap));
  const widths = HEADER.map((_, i) => Math.max(...wrapped.map((row) => Math.max(...row[i].map((l) => l.length)))));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`.trimEnd();
  const separator = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  const out: string[] = [];
  wrapped.forEach((row, index) => {
    const height = Math.max(...row.map((cell) => cell.length));
    for (let k = 0; k < height; k++) out.push(line(row.map((cell) => cell[k] ?? "")));
    if (index === 0) out.push(separator);
  });
  return out.join("\n");
}

/** The lines printed above the table: what ran where. */
export function reportHeader(results: BenchResults): string {
  const m = results.machine;
  const flipt = results.flipt.version ? `Flipt ${results.flipt.version} (${results.flipt.provenance})` : `Flipt unavailable: ${results.flipt.unavailableReason}`;
  return [
    `${results.command} — ${results.startedAt}${results.quick ? " (--quick: fewer changes, shorter runs)" : ""}`,
    `machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}${m.wrk ? `, ${m.wrk}` : ""}`,
    flipt,
  ].join("\n");
}
