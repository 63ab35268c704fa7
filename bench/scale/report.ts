/** The scale section's rows of the bench table, and what in its results fails the run. */
import type { Row } from "../lib/format";
import type { Attempted } from "../lib/outcome";
import { firstLine } from "../section";
import type { LimitFinding } from "./findings";
import { flagsToolFigures } from "./flagsTool";
import { FliptScaleRow, ScaleRow, isMeasuredRow } from "./flipt";
import type { ScaleResults } from "./measure";
import { programFigures } from "./services";

export const SCALE_TITLE = "6 scale";

function rowLabel(row: ScaleRow): string {
  const history = row.historyCommits > 0 ? `, ${row.historyCommits.toLocaleString("en-US")} commits of history` : "";
  return `${row.flags.toLocaleString("en-US")} flags${history}${row.branch === "main" ? "" : `, Flipt on ${row.branch}`}`;
}

export function fliptRowText(row: FliptScaleRow): string {
  const parts = [
    `start ${row.startSeconds.toFixed(2)} s`,
    `RSS ${row.rssAfterStartMiB.toFixed(0)} → ${row.sync.rssAfterMiB.toFixed(0)} MiB after ${row.sync.changeSyncs} syncs`,
    `sync ${row.sync.firstSeconds.toFixed(2)} s (median ${row.sync.medianSeconds.toFixed(2)}, max ${row.sync.maxSeconds.toFixed(2)})`,
  ];
  if (row.boolean) parts.push(`boolean @ ${row.boolean.ratePerSecond}/s p50 ${row.boolean.latencyMs.p50.toFixed(2)} · p99 ${row.boolean.latencyMs.p99.toFixed(2)} ms, ${row.boolean.latencyMs.errors} errors`);
  if (row.snapshot) parts.push(`snapshot ${(row.snapshot.bytes / 1024).toFixed(0)} KiB (${row.snapshot.namespace}, ${row.snapshot.namespaceFlags} flags), p99 ${row.snapshot.latencyMs.p99.toFixed(1)} ms @ ${row.snapshot.ratePerSecond}/s`);
  return parts.join("; ");
}

function fliptRows(rows: readonly ScaleRow[], what: string): Row[] {
  return rows.map((row): Row => [SCALE_TITLE, `${what}: ${rowLabel(row)}`, isMeasuredRow(row) ? fliptRowText(row) : `FAILED: ${row.error.split("\n")[0]}`, isMeasuredRow(row) ? `${row.branchCommits} commits on the branch, ${row.repositoryMiB.toFixed(1)} MiB repository` : ""]);
}

function partRows<T>(part: Attempted<T>, what: string, rows: (results: T) => Row[]): Row[] {
  return part.status === "measured" ? rows(part.results) : [[SCALE_TITLE, what, `FAILED: ${part.error.split("\n")[0]}`, ""]];
}

export function findingText(finding: LimitFinding): string {
  const at = (p: NonNullable<LimitFinding["lastWithin"]>) => (finding.series === "flags" ? `${p.flags.toLocaleString("en-US")} flags` : `${p.historyCommits.toLocaleString("en-US")} commits`);
  const value = (v: number) => `${v.toFixed(v < 10 ? 2 : 0)} ${finding.unit}`;
  const within = finding.lastWithin ? `within up to ${at(finding.lastWithin)} (${value(finding.lastWithin.value)})` : "";
  if (!finding.firstOver) return `${finding.limit} ≤ ${finding.threshold} ${finding.unit}: ${within || "not measured"}`;
  return `${finding.limit} > ${finding.threshold} ${finding.unit} at ${at(finding.firstOver)} (${value(finding.firstOver.value)})${within ? `; ${within}` : ""}; moved by ${finding.moves}`;
}

export function scaleRows(results: ScaleResults): Row[] {
  return [
    ...fliptRows(results.flipt, "Flipt"),
    ...fliptRows(results.history, "history"),
    ...results.findings.map((f): Row => [SCALE_TITLE, `limit (${f.series})`, findingText(f), f === results.knee ? "the knee" : ""]),
    ...partRows(results.flagsTool, "flags tool", (rows) => rows.map((r): Row => [SCALE_TITLE, `flags ${r.command}: ${r.flags.toLocaleString("en-US")} flags`, flagsToolFigures(r), ""])),
    ...partRows(results.services, "services", (s) => [
      ...s.programs.map((r): Row => [SCALE_TITLE, `${r.command}: ${r.services} services`, programFigures(r), ""]),
      ...s.engine.map((r): Row => [
        SCALE_TITLE,
        `engine: ${r.services} services`,
        r.error ? `FAILED: ${r.error.split("\n")[0]}` : `preview ${r.previewSeconds?.toFixed(1)} s, up ${r.upSeconds?.toFixed(1)} s (${r.resourcesCreated} created), destroy ${r.destroySeconds?.toFixed(1)} s`,
        s.providerNotes.join("; "),
      ]),
    ]),
  ];
}

/** What the run must report as not measured (exit 1). */
export function scaleProblems(results: ScaleResults): string[] {
  const problems: string[] = [];
  for (const row of [...results.flipt, ...results.history]) if (!isMeasuredRow(row)) problems.push(`scale: ${rowLabel(row)}: ${row.error.split("\n")[0]}`);
  for (const [name, part] of [["flags tool", results.flagsTool], ["services", results.services]] as const) {
    if (part.status === "failed") problems.push(`scale: ${name}: ${firstLine(part.error)}`);
  }
  if (results.flagsTool.status === "measured") for (const r of results.flagsTool.results) if (r.exitCode !== 0) problems.push(`scale: flags ${r.command} at ${r.flags} flags: exit ${r.exitCode}`);
  if (results.services.status === "measured") {
    for (const r of results.services.results.programs) if (r.exitCode !== 0) problems.push(`scale: ${r.command} with ${r.services} services: exit ${r.exitCode}`);
    for (const r of results.services.results.engine) if (r.error) problems.push(`scale: engine with ${r.services} services: ${r.error.split("\n")[0]}`);
  }
  if (results.chartError) problems.push(`scale: chart: ${results.chartError.split("\n")[0]}`);
  return problems;
}
