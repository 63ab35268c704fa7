/**
 * The one table `npm run bench` prints, built from the same BenchResults it writes as JSON: the
 * header (what ran where), then each section's rows in SECTIONS order (sections.ts).
 */
import { Row, hostLabel } from "./lib/format";
import type { SectionOutcome } from "./lib/outcome";
import { BenchResults, SECTIONS, SectionName } from "./results";
import type { Section } from "./section";
import { REGISTRY } from "./sections";

function outcomeRows<T>(section: Section<T>, outcome: SectionOutcome<T>, machine: BenchResults["machine"]): Row[] {
  switch (outcome.status) {
    case "measured":
      return section.rows(outcome.results, machine);
    case "not measured":
      return [[section.title, "NOT MEASURED", outcome.reason, ""]];
    case "failed":
      return [[section.title, "FAILED", outcome.error.split("\n")[0], ""]];
    case "not selected":
      return [];
  }
}

function sectionRows<K extends SectionName>(name: K, results: BenchResults): Row[] {
  return outcomeRows(REGISTRY[name] as Section<unknown>, results.sections[name] as SectionOutcome<unknown>, results.machine);
}

export function reportRows(results: BenchResults): Row[] {
  return SECTIONS.flatMap((name) => sectionRows(name, results));
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
