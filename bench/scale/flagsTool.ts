/**
 * How the flags tool's cost grows with the number of flags: `flags lint`, `flags diff` (against a
 * base with 1 % of the flags changed) and `flags promote` of every flag, per flag count, each run
 * as a child process on a generated flags root (dev/ and prod/, as this repository's flags/ has) in
 * a Git repository of its own in a Supervisor temp dir. Wall time and peak RSS per command.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gitEnv } from "../../scripts/lib/flagsRepository";
import { Supervisor } from "../../scripts/lib/processes";
import { addDays } from "../../scripts/flags/dates";
import { INDEX_FILE } from "../../scripts/flags/document";
import { ENVIRONMENTS, FLAGS_ROOT, environmentDirectory } from "../../settings/environments";
import { projectDir } from "../../settings/schema";
import { GENERATED_CREATED, changedFlagCount, generateFlags, withChangedShare, writeGeneratedFlags, type GeneratedFlags } from "../lib/generatedFlags";
import { runMeasured, type MeasuredRun } from "./measuredProcess";

export type FlagsToolCommand = "lint" | "diff" | "promote";

export interface FlagsToolRow {
  /** Flags per environment (dev and prod each hold this many, except prod before a promote). */
  readonly flags: number;
  /** Namespaces the generated flags are spread over. */
  readonly namespaces: number;
  /** The flags tool command measured. */
  readonly command: FlagsToolCommand;
  /** Wall time of the child process, spawn to exit (node and tsx start-up included). */
  readonly seconds: number;
  /** Peak resident memory of the tool's node process (VmHWM at exit), MiB; null when it did not exit on its own. Git's child processes (diff) are not in it. */
  readonly peakRssMiB: number | null;
  /** The tool's exit code; null when it was killed at the time limit. A row with anything but 0 is a failed measurement. */
  readonly exitCode: number | null;
  /** What the command reported (flags linted, changes listed, flags promoted) or why it failed. */
  readonly detail: string;
  /** The command as run, with the flags root relative to the temp repository. */
  readonly commandLine: string;
}

const CLI = path.join(projectDir, "scripts", "flags", "cli.ts");
/** Share of the flags the diff's base has changed. */
export const DIFF_CHANGED_SHARE = 0.01;
/** A generous limit: a command that takes longer than this at some count is itself the finding. */
const COMMAND_TIMEOUT_MS = 10 * 60_000;
const GIT_TIMEOUT_MS = 120_000;
/** `--today` for lint and promote: the day after the generated flags were created, so every run judges the same dates. */
export const FLAGS_TOOL_TODAY = addDays(GENERATED_CREATED, 1);

/** The arguments of each measured command, `--dir` relative to the repository the child runs in. */
export function flagsToolArgs(command: FlagsToolCommand, today: string = FLAGS_TOOL_TODAY): string[] {
  switch (command) {
    case "lint":
      return ["lint", "--dir", FLAGS_ROOT, "--today", today];
    case "diff":
      return ["diff", "--base", "HEAD~1", "--head", "HEAD", "--dir", FLAGS_ROOT];
    case "promote":
      return ["promote", "--from", ENVIRONMENTS[0], "--to", ENVIRONMENTS[1], "--dir", FLAGS_ROOT, "--today", today];
  }
}

/** `lint`'s summary, per environment: "dev: 100 flags in 8 files; prod: …" (without the file list). */
export function lintSummary(lines: readonly string[]): string {
  const summary = lines.find((l) => l.startsWith("No problems:") || /^\d+ problems;/.test(l)) ?? "";
  const counts = [...summary.matchAll(/(\w+): (\d+) flags in (\d+) files/g)].map((m) => `${m[1]}: ${m[2]} flags in ${m[3]} files`);
  const head = summary.startsWith("No problems") ? "no problems" : (summary.split(";")[0] ?? "no summary line");
  return `${head}; ${counts.join("; ")}`;
}

/** Flag and segment changes the text report of `flags diff` lists (its `  <ref> added|removed|changed (<file>)` lines, drift excluded). */
export function diffChangeCount(lines: readonly string[]): number {
  const drift = lines.findIndex((l) => l.startsWith("Drift "));
  const changes = drift === -1 ? lines : lines.slice(0, drift);
  return changes.filter((l) => /^ {2}(segment )?\S+ (added|removed|changed) \(/.test(l)).length;
}

/** The number `flags promote` says it promoted ("Promoted 1 flag" / "Promoted 12 flags"), or undefined. */
export function promotedCount(lines: readonly string[]): number | undefined {
  for (const line of lines) {
    const match = /^Promoted (\d+) flags? from/.exec(line);
    if (match) return Number(match[1]);
  }
  return lines.some((l) => l.startsWith("Nothing to promote")) ? 0 : undefined;
}

async function git(supervisor: Supervisor, cwd: string, args: readonly string[]): Promise<void> {
  const child = supervisor.spawn(`git ${args[0]}`, "git", args, { cwd, env: gitEnv() });
  const status = await child.exitWithin(GIT_TIMEOUT_MS);
  if (status.code !== 0) throw new Error(`git ${args.join(" ")} in ${cwd} failed (exit ${status.code ?? status.signal}): ${child.tail(5)}`);
}

/** Replaces each environment's directory with `generated`'s files. */
function writeEnvironments(repo: string, generated: GeneratedFlags): void {
  for (const environment of ENVIRONMENTS) {
    const dir = path.join(repo, environmentDirectory(environment));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    writeGeneratedFlags(dir, generated);
  }
}

/**
 * The flags root for one count, as a Git repository with two commits: the base (every
 * environment with 1 % of the flags changed) and the head (the generated flags in every
 * environment), the working tree at the head.
 */
async function prepareRepository(supervisor: Supervisor, count: number, generated: GeneratedFlags): Promise<string> {
  const repo = supervisor.tempDir(`bench-flags-${count}`);
  await git(supervisor, repo, ["init", "--quiet", "--initial-branch", "main"]);
  writeEnvironments(repo, withChangedShare(generated, DIFF_CHANGED_SHARE));
  await git(supervisor, repo, ["add", "--all"]);
  await git(supervisor, repo, ["commit", "--quiet", "--message", `base: ${count} flags, ${DIFF_CHANGED_SHARE * 100} % changed`]);
  writeEnvironments(repo, generated);
  await git(supervisor, repo, ["add", "--all"]);
  await git(supervisor, repo, ["commit", "--quiet", "--message", `head: ${count} generated flags`]);
  return repo;
}

/** The target of the promote: only its index (.flipt.yml), so every flag of the source is new to it. */
function emptyTarget(repo: string): void {
  const dir = path.join(repo, environmentDirectory(ENVIRONMENTS[1]));
  for (const name of fs.readdirSync(dir)) if (name !== INDEX_FILE) fs.rmSync(path.join(dir, name), { recursive: true });
}

function detailOf(command: FlagsToolCommand, run: MeasuredRun, lines: readonly string[], count: number): string {
  if (run.exitCode !== 0) return `failed (${run.failure})`;
  switch (command) {
    case "lint":
      return lintSummary(lines);
    case "diff": {
      const changed = changedFlagCount(count, DIFF_CHANGED_SHARE);
      return `${diffChangeCount(lines)} changes listed (${changed} flags changed in each of ${ENVIRONMENTS.join(" and ")}); ${lines.length} lines of output`;
    }
    case "promote": {
      const promoted = promotedCount(lines);
      return `${promoted ?? "no count of"} flags promoted${promoted === count ? "" : ` (expected ${count})`}; ${lines.length} lines of output`;
    }
  }
}

async function measureCommand(supervisor: Supervisor, repo: string, command: FlagsToolCommand, count: number, namespaces: number): Promise<FlagsToolRow> {
  const lines: string[] = [];
  const args = flagsToolArgs(command);
  const run = await runMeasured(supervisor, {
    name: `flags ${command} (${count} flags)`,
    script: CLI,
    args,
    cwd: repo,
    timeoutMs: COMMAND_TIMEOUT_MS,
    scratchDir: repo,
    onLine: (line) => lines.push(line),
  });
  return {
    flags: count,
    namespaces,
    command,
    seconds: run.seconds,
    peakRssMiB: run.peakRssMiB ?? null,
    exitCode: run.exitCode,
    detail: detailOf(command, run, lines, count),
    commandLine: run.commandLine,
  };
}

/** A row's figures, as the bench table shows them beside the command and flag count. */
export function flagsToolFigures(row: FlagsToolRow): string {
  const rss = row.peakRssMiB === null ? "no peak RSS" : `${row.peakRssMiB.toFixed(0)} MiB peak RSS`;
  return `(${row.namespaces} namespaces): ${row.seconds.toFixed(2)} s, ${rss}, exit ${row.exitCode}; ${row.detail}`;
}

export function formatFlagsToolRow(row: FlagsToolRow): string {
  return `flags tool: ${row.command} ${row.flags} flags ${flagsToolFigures(row)}`;
}

export async function measureFlagsTool(supervisor: Supervisor, counts: readonly number[], log: (line: string) => void): Promise<FlagsToolRow[]> {
  const rows: FlagsToolRow[] = [];
  for (const count of counts) {
    const generated = generateFlags({ count });
    const namespaces = new Set(generated.flags.map((f) => f.namespace)).size;
    const repo = await prepareRepository(supervisor, count, generated);
    // diff reads both commits through git; lint reads the working tree (the head); promote then empties prod.
    for (const command of ["lint", "diff", "promote"] as const) {
      if (command === "promote") emptyTarget(repo);
      const row = await measureCommand(supervisor, repo, command, count, namespaces);
      log(formatFlagsToolRow(row));
      rows.push(row);
    }
    fs.rmSync(repo, { recursive: true, force: true });
  }
  return rows;
}
