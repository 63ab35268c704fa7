/** The one table `npm run bench` prints, built from the same BenchResults it writes as JSON. */
import { scaleRows } from "./scale/report";
import { ResourceFit, WindowFootprint } from "./footprint";
import { LoadRun } from "./evaluation";
import { Row, formatMiB, formatMicros, formatMs, formatRate, formatRatio, hostLabel } from "./format";
import { latencyRows } from "./latencyReport";
import { BenchResults, LoadRatios, MachineInfo, SECTIONS, SectionName, SectionOutcome } from "./results";

const SECTION_TITLES: Record<SectionName, string> = {
  propagation: "1 propagation",
  evaluation: "2 evaluation",
  footprint: "3 footprint",
  program: "4 program",
  tuning: "tuning",
  latency: "5 latency",
  scale: "6 scale",
};

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

type Measured<K extends SectionName> = Extract<BenchResults["sections"][K], { status: "measured" }>["results"];

/** Ours ÷ database in the same run first (it carries over between hosts), then the absolute figures and their host. */
export function evaluationRatioRow(results: Measured<"evaluation">, machine: MachineInfo): Row {
  const r = results.oursToDatabase;
  const ratios = `boolean ${formatRatio(r.booleanRequestsPerSecond)} req/s, ${formatRatio(r.booleanP99)} p99 · batch ${formatRatio(r.batchRequestsPerSecond)} req/s, ${formatRatio(r.batchP99)} p99 · ${formatRatio(r.cpuPerEvaluation)} CPU/evaluation`;
  const absolute = (name: string, run: LoadRun | undefined) => (run ? `${name} ${formatRate(run.requestsPerSecond)} req/s, p99 ${formatMs(run.latencyMs.p99)}` : `${name} not measured`);
  return [
    SECTION_TITLES.evaluation,
    "summary: ours ÷ database storage, same run",
    ratios,
    `on ${hostLabel(machine)}, boolean: ${absolute("ours", results.ours.loads.boolean)}; ${absolute("database", results.database.loads.boolean)}`,
  ];
}

function evaluationRows(results: Measured<"evaluation">, machine: MachineInfo): Row[] {
  const s = SECTION_TITLES.evaluation;
  const { load } = results;
  const rows: Row[] = [
    evaluationRatioRow(results, machine),
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
    evaluation: () => outcomeRows("evaluation", sections.evaluation, (r) => evaluationRows(r, results.machine)),
    footprint: () => outcomeRows("footprint", sections.footprint, footprintRows),
    program: () => outcomeRows("program", sections.program, programRows),
    tuning: () => outcomeRows("tuning", sections.tuning, tuningRows),
    latency: () => outcomeRows("latency", sections.latency, (r) => latencyRows(SECTION_TITLES.latency, r, results.machine)),
    scale: () => outcomeRows("scale", sections.scale, scaleRows),
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
    `host: ${hostLabel(m)}`,
    `machine: ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}${m.wrk ? `, ${m.wrk}` : ""}`,
    flipt,
  ].join("\n");
}
