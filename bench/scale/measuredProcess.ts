/**
 * One command of the repository's own tools as a node child process (node with tsx's loader, as
 * `npm run deploy:local` runs its script), timed from spawn to exit, with its peak resident memory
 * written by peakRssReporter.ts on exit. Used by the flags-tool and the services measurements.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { Supervisor } from "../../scripts/lib/processes";
import { projectDir } from "../../settings/schema";
import { PEAK_RSS_FILE_VARIABLE } from "./peakRssReporter";

/** tsx's loader by path, so a child whose working directory is outside the repository still finds it. */
const TSX_LOADER = pathToFileURL(path.join(projectDir, "node_modules", "tsx", "dist", "loader.mjs")).href;
const PEAK_RSS_REPORTER = pathToFileURL(path.join(__dirname, "peakRssReporter.ts")).href;
const KIB_PER_MIB = 1024;

export interface MeasuredRequest {
  /** Names the process in the Supervisor and in errors. */
  readonly name: string;
  /** The script (absolute path) and its arguments. */
  readonly script: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly timeoutMs: number;
  /** Every output line (stdout and stderr), as it arrives; the Supervisor keeps only the last 2,000. */
  readonly onLine?: (line: string) => void;
  /** Where the peak-RSS file goes; a Supervisor temp dir. */
  readonly scratchDir: string;
}

export interface MeasuredRun {
  /** Wall time from spawn to exit, node's and tsx's start-up included. */
  readonly seconds: number;
  /** The child's peak resident memory (VmHWM at exit), MiB; undefined when it did not exit on its own. */
  readonly peakRssMiB?: number;
  /** The exit code; null when it was killed. */
  readonly exitCode: number | null;
  /** Why it failed (signal and limit, or exit code) with its last output; "" when it exited 0. */
  readonly failure: string;
  /** The exact command line, paths inside the repository relative to it. */
  readonly commandLine: string;
}

let runs = 0;

/** The node command line a measured script runs with: tsx's loader, then the peak-RSS reporter. */
export function measuredArgv(script: string, args: readonly string[]): string[] {
  return ["--import", TSX_LOADER, "--import", PEAK_RSS_REPORTER, script, ...args];
}

export async function runMeasured(supervisor: Supervisor, request: MeasuredRequest): Promise<MeasuredRun> {
  const rssFile = path.join(request.scratchDir, `peak-rss-${process.pid}-${++runs}.kib`);
  const env = { ...process.env, [PEAK_RSS_FILE_VARIABLE]: rssFile, TSX_TSCONFIG_PATH: path.join(projectDir, "tsconfig.json"), FORCE_COLOR: "0", NO_COLOR: "1" };
  const started = performance.now();
  const child = supervisor.spawn(request.name, process.execPath, measuredArgv(request.script, request.args), { cwd: request.cwd, env, onLine: request.onLine });
  const status = await child.exitedOrKilledAfter(request.timeoutMs);
  const seconds = (performance.now() - started) / 1000;
  const kib = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, "utf8")) : undefined;
  fs.rmSync(rssFile, { force: true });
  const failure =
    status.code === 0 ? "" : `${status.signal ? `killed by ${status.signal} (limit ${request.timeoutMs / 1000} s)` : `exit code ${status.code}`}: ${child.tail(5).replace(/\s+/g, " ").slice(0, 300)}`;
  return {
    seconds,
    peakRssMiB: kib === undefined || !Number.isFinite(kib) ? undefined : kib / KIB_PER_MIB,
    exitCode: status.code,
    failure,
    commandLine: shownCommandLine(request.script, request.args),
  };
}

/** `node --import tsx <script> <args>` with paths inside the repository shown relative to it. */
export function shownCommandLine(script: string, args: readonly string[]): string {
  const shown = (arg: string) => (path.isAbsolute(arg) && arg.startsWith(projectDir) ? path.relative(projectDir, arg) : arg);
  return ["node --import tsx", shown(script), ...args.map(shown)].join(" ");
}
