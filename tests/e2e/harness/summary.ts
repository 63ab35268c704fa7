/**
 * The end-of-run summary: every e2e test appends one row (scenario, test, result, figures) to a
 * JSON-lines file in a directory the global setup provides; the global teardown prints the table.
 * This works whatever reporters the command line selects (CI adds its own).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RunnerTestCase } from "vitest";
import type { TestProject } from "vitest/node";
import { textTable } from "../../../scripts/flags/table";

declare module "vitest" {
  interface ProvidedContext {
    e2eSummaryDir: string;
  }
  interface TaskMeta {
    /** Measured figures, shown in the summary table. */
    figures?: Record<string, string>;
  }
}

export interface SummaryRow {
  readonly scenario: string;
  readonly test: string;
  readonly result: string;
  readonly seconds: number;
  readonly figures: Record<string, string>;
}

const ROWS_FILE = "rows.jsonl";

/** Records a measured figure on the running test, for the summary table. */
export function figure(task: { meta: { figures?: Record<string, string> } }, name: string, value: string | number): void {
  (task.meta.figures ??= {})[name] = String(value);
}

/** The outermost describe block names the scenario; a test outside any is named by its file. */
function scenarioOf(task: RunnerTestCase): string {
  let suite = task.suite;
  let outermost = suite?.name ?? "";
  while (suite?.suite) {
    suite = suite.suite;
    if (suite.name) outermost = suite.name;
  }
  return outermost || path.basename(task.file.name);
}

const RESULT_NAMES: Record<string, string> = { pass: "passed", fail: "FAILED", skip: "skipped", todo: "todo" };

export function appendRow(dir: string, task: RunnerTestCase): void {
  const state = task.result?.state ?? task.mode;
  const row: SummaryRow = {
    scenario: scenarioOf(task),
    test: task.name,
    result: RESULT_NAMES[state] ?? state,
    seconds: task.result?.startTime ? Math.round((Date.now() - task.result.startTime) / 100) / 10 : 0,
    figures: task.meta.figures ?? {},
  };
  fs.appendFileSync(path.join(dir, ROWS_FILE), `${JSON.stringify(row)}\n`);
}

export function readRows(dir: string): SummaryRow[] {
  const file = path.join(dir, ROWS_FILE);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as SummaryRow);
}

/** Scenarios in their numbered order (the first number in the name), tests in run order within each. */
function byScenarioNumber(rows: readonly SummaryRow[]): SummaryRow[] {
  const number = (row: SummaryRow) => Number(/\d+/.exec(row.scenario)?.[0] ?? Infinity);
  return rows.map((row, i) => ({ row, i })).sort((a, b) => number(a.row) - number(b.row) || a.i - b.i).map(({ row }) => row);
}

export function summaryTable(rows: readonly SummaryRow[]): string {
  const figures = (row: SummaryRow) =>
    Object.entries(row.figures)
      .map(([name, value]) => `${name}: ${value}`)
      .join("; ");
  return textTable(
    ["scenario", "test", "result", "time", "measured"],
    byScenarioNumber(rows).map((row) => [row.scenario, row.test, row.result, `${row.seconds}s`, figures(row)]),
  );
}

/**
 * For a tier's global setup: provides a fresh summary directory for the run and returns the
 * teardown that prints the table under `title`, then `footer` when there is one.
 */
export function provideSummary(project: TestProject, title: string, footer?: string): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flipt-summary-"));
  project.provide("e2eSummaryDir", dir);
  // An interrupted run skips the teardown; the directory still goes.
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return () => {
    const rows = readRows(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`\n${title} (${rows.length} tests)\n${summaryTable(rows)}\n\n`);
    if (footer) process.stdout.write(`${footer}\n\n`);
  };
}
