/**
 * `npm run bench [-- --out <file>] [--quick] [--only <section,…>] [--step-seconds <s>] [--repeat <n>]`: measures how
 * fast a flag change lands, how fast Flipt answers and what it costs, the latency at fixed arrival
 * rates, and how long the program's own commands take. Prints one table and writes the same figures
 * as JSON (default bench/results.json), with the latency chart beside it (<out>-latency.svg).
 *
 * --step-seconds makes every latency step last exactly that long (no 10,000-request floor): for
 * trying the section out; its figures are recorded with the rules they were made under.
 *
 * --repeat runs every latency ladder n times (round by round) and reports, per step, the median and
 * range of p50 and p99 across the rounds: one noisy ladder is then visible as such.
 *
 * It reports; it does not judge speed. It exits 1 only when a selected section could not be
 * measured (no Flipt binary, no wrk) or failed, so "not measured" is never a silent pass.
 *
 * Sections: propagation, evaluation, footprint, program, tuning, latency, scale (all by default).
 * Sections not selected keep what the replaced file had (keptFrom names the run that measured them).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Flags, UsageError, parseFlags, runMain, stringFlag } from "../scripts/cli";
import { stackSettings } from "../scripts/lib/localFlipt";
import { Supervisor } from "../scripts/lib/processes";
import { ToolchainPaths, fliptUnavailableReason, toolchainPaths } from "../scripts/toolchain/paths";
import { projectDir } from "../settings/schema";
import { renderSvg, latencyChartSpec } from "./chart";
import { measureClientSide } from "./clientSide";
import { readProcStat, stealShare } from "./cpuShare";
import { readClockSource, readCpuModelName } from "./host";
import { CpuPinning, LatencyResults, LatencySettings, measureLatency, readLoadAverage } from "./latency";
import { LoadSettings, MeasureOptions, TargetRun, measureTarget } from "./evaluation";
import { measureProgram } from "./program";
import { measurePropagation } from "./propagation";
import { DEFAULT_STEP_RULES } from "./rateSteps";
import { formatTable, reportHeader, reportRows } from "./report";
import {
  BenchResults,
  EvaluationResults,
  FLIPT_SECTIONS,
  FOOTPRINT_NOTES,
  FootprintResults,
  MachineInfo,
  SCHEMA_VERSION,
  SECTIONS,
  SectionName,
  SectionOutcome,
  TuningResults,
  TuningVariant,
  attempt,
  errorMessage,
  footprintRun,
  keepEarlierSections,
  loadRatios,
  parseBenchResults,
  stackFit,
} from "./results";
import { CONFIG_CHANGES, TargetSpec, servedFlags, startTarget } from "./targets";
import { scaleChartSpec } from "./scale/chart";
import { scaleProblems } from "./scale/report";
import { SCALE_PROFILES, ScaleResults, isMeasuredRow, measureScale } from "./scale/section";
import { measureGitBackends } from "./tuning";

const STACKS = ["dev", "prod"] as const;
/** The stack whose configuration takes production traffic: the baseline of every load comparison. */
const LOAD_STACK = "prod";
const DEFAULT_OUT = path.join(projectDir, "bench", "results.json");

interface Profile {
  readonly propagationChanges: number;
  readonly latency: LatencySettings;
  readonly load: LoadSettings;
  readonly clientSide: { readonly serverSideCount: number; readonly clientSideCount: number; readonly maxMs: number };
}

const PROFILES: Record<"full" | "quick", Profile> = {
  full: {
    propagationChanges: 10,
    latency: { rules: DEFAULT_STEP_RULES, warmupSeconds: 5, targetsPerKind: 10_000, batchSize: 10, timeoutSeconds: 5, faultRatePerSecond: 1000, repeats: 1 },
    load: { connections: 16, threads: 2, durationSeconds: 15, warmupSeconds: 3, batchSize: 10, settleSeconds: 5, idleSeconds: 0 },
    clientSide: { serverSideCount: 3000, clientSideCount: 100_000, maxMs: 10_000 },
  },
  quick: {
    propagationChanges: 3,
    latency: { rules: { ...DEFAULT_STEP_RULES, minSeconds: 5, minRequests: 0 }, warmupSeconds: 1, targetsPerKind: 2000, batchSize: 10, timeoutSeconds: 5, faultRatePerSecond: 1000, repeats: 1 },
    load: { connections: 16, threads: 2, durationSeconds: 5, warmupSeconds: 1, batchSize: 10, settleSeconds: 1, idleSeconds: 3 },
    clientSide: { serverSideCount: 500, clientSideCount: 20_000, maxMs: 3000 },
  },
};

const TARGETS = {
  ours: { name: `git-${LOAD_STACK}`, stack: LOAD_STACK, storage: "git" },
  database: { name: `database-${LOAD_STACK}`, stack: LOAD_STACK, storage: "database" },
  dev: { name: "git-dev", stack: "dev", storage: "git" },
  // prod runs at warn since this comparison: the variant is the info level it had before.
  logInfo: { name: `git-${LOAD_STACK}-log-info`, stack: LOAD_STACK, storage: "git", changes: [CONFIG_CHANGES.logLevel("info")] },
  gitCache: { name: `git-${LOAD_STACK}-cache`, stack: LOAD_STACK, storage: "git", changes: [CONFIG_CHANGES.memoryCache()] },
  databaseCache: { name: `database-${LOAD_STACK}-cache`, stack: LOAD_STACK, storage: "database", changes: [CONFIG_CHANGES.memoryCache()] },
} as const satisfies Record<string, TargetSpec>;

/** Tuning questions answered by a load run against a baseline run. */
const TUNING_VARIANTS: readonly { readonly spec: TargetSpec; readonly baseline: TargetSpec; readonly question: string }[] = [
  { spec: { ...TARGETS.ours, name: `${TARGETS.ours.name}-again` }, baseline: TARGETS.ours, question: "run-to-run noise (the same config again)" },
  { spec: TARGETS.logInfo, baseline: TARGETS.ours, question: "one log line per evaluation at info (prod's level before the bench)" },
  { spec: TARGETS.dev, baseline: TARGETS.ours, question: "dev's debug log level" },
  { spec: TARGETS.gitCache, baseline: TARGETS.ours, question: "memory cache, Git storage" },
  { spec: TARGETS.databaseCache, baseline: TARGETS.database, question: "memory cache, database storage" },
];

interface Options {
  readonly out: string;
  readonly quick: boolean;
  readonly only: ReadonlySet<SectionName>;
  readonly stepSeconds?: number;
  readonly repeats?: number;
}

/** --repeat bounds: a full round of ladders takes about 20 minutes. */
const MAX_REPEATS = 10;

const USAGE = `Usage: npm run bench [-- --out <file>] [--quick] [--only <section,…>] [--step-seconds <s>] [--repeat <n>]

Measures propagation, evaluation, footprint, the program's commands, tuning, the latency ladders and
how the cost grows; prints one table and writes the figures as JSON (default bench/results.json).
Sections: ${SECTIONS.join(", ")} (all by default); sections not selected keep the replaced file's figures.
--quick shortens every run; --step-seconds fixes each latency step's length; --repeat runs the latency
ladders n times (1 to ${MAX_REPEATS}). Details: docs/performance.md.`;


/** Flipt on one core, the load generator and this harness on the other: "per core" means one core. */
const PINNING: CpuPinning = { flipt: "0", generator: "1" };

export function parseOptions(argv: readonly string[]): Options {
  const flags = parseFlags(argv, ["out", "quick", "only", "step-seconds", "repeat"], USAGE);
  const callerDir = process.env.INIT_CWD ?? process.cwd(); // npm runs scripts from the project dir
  const out = flags.out === undefined ? DEFAULT_OUT : path.resolve(callerDir, stringFlag(flags, "out"));
  const only = new Set<SectionName>();
  for (const name of flags.only === undefined ? SECTIONS : stringFlag(flags, "only").split(",")) {
    if (!(SECTIONS as readonly string[]).includes(name)) throw new UsageError(`--only ${JSON.stringify(name)}: expected a comma-separated list of ${SECTIONS.join(", ")}`);
    only.add(name as SectionName);
  }
  if (flags.quick !== undefined && flags.quick !== true) throw new UsageError("--quick takes no value");
  let stepSeconds: number | undefined;
  if (flags["step-seconds"] !== undefined) {
    const text = stringFlag(flags, "step-seconds");
    stepSeconds = Number(text);
    if (!Number.isInteger(stepSeconds) || stepSeconds < 1 || stepSeconds > 600) throw new UsageError(`--step-seconds ${JSON.stringify(text)}: expected whole seconds from 1 to 600`);
  }
  return { out, quick: flags.quick === true, only, stepSeconds, repeats: repeatsOption(flags, only) };
}

function repeatsOption(flags: Flags, only: ReadonlySet<SectionName>): number | undefined {
  if (flags.repeat === undefined) return undefined;
  const text = stringFlag(flags, "repeat");
  const repeats = Number(text);
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > MAX_REPEATS) throw new UsageError(`--repeat ${JSON.stringify(text)}: expected a whole number of ladders from 1 to ${MAX_REPEATS}`);
  if (!only.has("latency")) throw new UsageError("--repeat repeats the latency ladders: select the latency section too");
  return repeats;
}

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}


function firstLine(command: string, args: readonly string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return `${result.stdout ?? ""}${result.stderr ?? ""}`.split("\n").find((l) => l.trim() !== "");
}

function machineInfo(tools: ToolchainPaths): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: readCpuModelName() ?? cpus[0]?.model.trim() ?? "unknown",
    clockSource: readClockSource(),
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.versions.node,
    os: `${os.type()} ${os.release()}`,
    wrk: fs.existsSync(tools.wrkBin) ? firstLine(tools.wrkBin, ["-v"])?.replace(/\s*Copyright.*$/, "") : undefined,
    vegeta: fs.existsSync(tools.vegetaBin) ? firstLine(tools.vegetaBin, ["-version"])?.replace(/^Version:\s*/, "vegeta ") : undefined,
    loadAverageAtStart: readLoadAverage(),
  };
}

function fliptVersion(fliptBin: string): string | undefined {
  const output = spawnSync(fliptBin, ["--version"], { encoding: "utf8" }).stdout ?? "";
  const version = /^Version: (\S+)/m.exec(output)?.[1];
  const commit = /^Commit: (\S+)/m.exec(output)?.[1];
  return version && `${version}${commit ? ` (commit ${commit.slice(0, 12)})` : ""}`;
}

function attemptSection<T>(fn: () => Promise<T>): Promise<SectionOutcome<T>> {
  return attempt(fn, (message) => log(`failed: ${message}`));
}

type Sections = { -readonly [K in keyof BenchResults["sections"]]: BenchResults["sections"][K] };

/** Runs every target a selected section needs, once, in a fixed order; failures are kept per target. */
async function measureLoadTargets(supervisor: Supervisor, tools: ToolchainPaths, options: Options, profile: Profile): Promise<Map<string, TargetRun | Error>> {
  const want = (name: SectionName) => options.only.has(name);
  const flags = servedFlags();
  const runs = new Map<string, TargetRun | Error>();
  const measure = async (spec: TargetSpec, measureOptions: MeasureOptions) => {
    try {
      runs.set(spec.name, await measureTarget(supervisor, tools, spec, flags, profile.load, measureOptions, log));
    } catch (error) {
      log(`failed: ${spec.name}: ${errorMessage(error)}`);
      runs.set(spec.name, error instanceof Error ? error : new Error(String(error)));
    }
  };
  const kinds = want("evaluation") ? (["boolean", "batch"] as const) : (["boolean"] as const);
  const idle = want("evaluation") || want("footprint");
  if (want("evaluation") || want("footprint") || want("tuning")) {
    await measure(TARGETS.ours, { idle, kinds });
    await measure(TARGETS.database, { idle, kinds });
  }
  if (want("footprint") || want("tuning")) await measure(TARGETS.dev, { idle: want("footprint"), kinds: ["boolean"] });
  if (want("tuning")) {
    for (const { spec } of TUNING_VARIANTS) if (!runs.has(spec.name)) await measure(spec, { idle: false, kinds: ["boolean"] });
  }
  return runs;
}

function runOf(runs: Map<string, TargetRun | Error>, spec: TargetSpec): TargetRun {
  const run = runs.get(spec.name);
  if (run === undefined) throw new Error(`${spec.name} was not run`);
  if (run instanceof Error) throw new Error(`${spec.name}: ${run.message}`);
  return run;
}

function evaluationResults(runs: Map<string, TargetRun | Error>, profile: Profile, wrk: string): EvaluationResults {
  const ours = runOf(runs, TARGETS.ours);
  const database = runOf(runs, TARGETS.database);
  return {
    load: { ...profile.load, tool: wrk, flags: servedFlags().length, entities: "org-1…org-100000 at random" },
    ours,
    database,
    oursToDatabase: loadRatios(ours.loads, database.loads),
  };
}

function footprintResults(runs: Map<string, TargetRun | Error>): FootprintResults {
  const ours = runOf(runs, TARGETS.ours);
  const database = runOf(runs, TARGETS.database);
  const dev = runOf(runs, TARGETS.dev);
  return {
    runs: [ours, dev, database].map(footprintRun),
    fits: [stackFit("dev", stackSettings("dev").resources, dev), stackFit("prod", stackSettings("prod").resources, ours)],
    notes: FOOTPRINT_NOTES,
  };
}

async function tuningResults(supervisor: Supervisor, tools: ToolchainPaths, runs: Map<string, TargetRun | Error>, profile: Profile): Promise<TuningResults> {
  const variants: TuningVariant[] = TUNING_VARIANTS.map(({ spec, baseline, question }) => {
    const run = runOf(runs, spec);
    const base = runOf(runs, baseline);
    if (!run.loads.boolean || !base.loads.boolean) throw new Error(`${spec.name} or ${baseline.name} has no boolean load run`);
    return {
      name: run.name,
      description: run.description,
      question,
      baseline: base.name,
      boolean: run.loads.boolean,
      baselineBoolean: base.loads.boolean,
      ratios: loadRatios(run.loads, base.loads),
    };
  });
  const flags = servedFlags();
  let gitBackends: TuningResults["gitBackends"];
  let gitBackendsError: string | undefined;
  try {
    gitBackends = await measureGitBackends(supervisor, tools, LOAD_STACK, flags, profile.load.settleSeconds, log);
  } catch (error) {
    gitBackendsError = errorMessage(error);
  }
  let clientSide: TuningResults["clientSide"];
  let clientSideError: string | undefined;
  try {
    log("tuning: per-evaluation latency, over HTTP and client-side");
    const target = await startTarget(supervisor, tools, { ...TARGETS.ours, name: `${TARGETS.ours.name}-client-side` });
    try {
      // The SDKs' requests carry no timeout of their own: bound the whole measurement.
      const limitMs = 2 * profile.clientSide.maxMs + 30_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`client-side measurement took over ${limitMs / 1000} s`)), limitMs);
      });
      clientSide = await Promise.race([measureClientSide(target.url, flags, profile.clientSide), timeout]).finally(() => clearTimeout(timer));
    } finally {
      await target.local.flipt.stop();
    }
  } catch (error) {
    clientSideError = errorMessage(error);
  }
  return { variants, gitBackends, gitBackendsError, clientSide, clientSideError };
}

function latencySettings(options: Options, profile: Profile): LatencySettings {
  const latency = { ...profile.latency, repeats: options.repeats ?? profile.latency.repeats };
  if (options.stepSeconds === undefined) return latency;
  return { ...latency, rules: { ...latency.rules, minSeconds: options.stepSeconds, minRequests: 0 } };
}

/** Renders `spec` to `file`; returns the path as results.json records it (relative inside the project). */
async function writeChart(file: string, spec: Parameters<typeof renderSvg>[0]): Promise<string> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await renderSvg(spec));
  return path.relative(projectDir, file).startsWith("..") ? file : path.relative(projectDir, file);
}

/** The chart goes beside the JSON: bench/results.json → bench/results-latency.svg. */
export function chartPath(out: string): string {
  return path.join(path.dirname(out), `${path.basename(out, ".json")}-latency.svg`);
}

async function latencyResults(supervisor: Supervisor, tools: ToolchainPaths, options: Options, profile: Profile, machine: MachineInfo): Promise<LatencyResults> {
  const settings = latencySettings(options, profile);
  const specs = {
    git: { ...TARGETS.ours, name: `latency-${TARGETS.ours.name}` },
    database: { ...TARGETS.database, name: `latency-${TARGETS.database.name}` },
  };
  log(`latency: open-loop steps (vegeta), Flipt on CPU ${PINNING.flipt}, vegeta and the harness on CPU ${PINNING.generator}`);
  const measured = await measureLatency(supervisor, tools, specs, settings, PINNING, log);
  const file = chartPath(options.out);
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

/** The scale chart goes beside the JSON too: bench/results.json → bench/results-scale.svg. */
export function scaleChartPath(out: string): string {
  return path.join(path.dirname(out), `${path.basename(out, ".json")}-scale.svg`);
}

async function scaleResults(supervisor: Supervisor, tools: ToolchainPaths, options: Options): Promise<ScaleResults> {
  const profile = SCALE_PROFILES[options.quick ? "quick" : "full"];
  log(`scale: Flipt on CPU ${PINNING.flipt}, vegeta, ghz and the harness on CPU ${PINNING.generator}; flags ${profile.flagCounts.join(", ")}; history ${profile.historyCommits.join(", ")} commits at ${profile.historyFlags} flags`);
  const measured = await measureScale(supervisor, tools, profile, stackSettings(LOAD_STACK), PINNING, log);
  const file = scaleChartPath(options.out);
  try {
    const rows = measured.flipt.filter(isMeasuredRow);
    const spec = scaleChartSpec(rows, measured.limits, profile.flipt.syncs, `Flipt ${fliptVersion(tools.fliptBin)?.split(" ")[0] ?? ""} with Git storage: cost against the flag count, one core`, [
      `generated flags (seed ${measured.seed}), ${LOAD_STACK} stack config with a ${profile.flipt.pollIntervalSeconds} s poll interval; Flipt pinned to one core (taskset)`,
      `sync: Flipt's flipt_git_sync_latency for a one-flag commit; memory: RSS after start and after ${profile.flipt.syncs + 1} one-flag commits`,
      `dashed: the ${LOAD_STACK} stack's limit (start ${measured.limits.startSeconds} s, memory limit ${measured.limits.memoryLimitMiB} MiB, poll interval ${measured.limits.pollIntervalSeconds} s)`,
    ]);
    return { ...measured, chart: await writeChart(file, spec) };
  } catch (error) {
    return { ...measured, chartError: errorMessage(error) };
  }
}

/** Why a section that needs Flipt cannot run here, if it cannot. */
function fliptSectionBlocker(tools: ToolchainPaths, section: SectionName): string | undefined {
  const unavailable = fliptUnavailableReason(tools);
  if (unavailable) return `Flipt is unavailable: ${unavailable}`;
  if (section === "latency" || section === "scale") {
    if (!fs.existsSync(tools.vegetaBin)) return `no vegeta at ${tools.vegetaBin}; run scripts/toolchain/setup.sh`;
    if (os.cpus().length < 2) return `it pins Flipt and the load generator to one core each; this machine has ${os.cpus().length}`;
    return undefined;
  }
  if (section !== "propagation" && !fs.existsSync(tools.wrkBin)) return `no wrk at ${tools.wrkBin}; run scripts/toolchain/setup.sh`;
  return undefined;
}

/** Sections that were selected but not measured, with why: the run then exits 1. */
export function problems(sections: BenchResults["sections"]): string[] {
  const found: string[] = [];
  for (const name of SECTIONS) {
    const outcome = sections[name];
    if (outcome.status === "not measured") found.push(`${name}: not measured: ${outcome.reason}`);
    if (outcome.status === "failed") found.push(`${name}: failed: ${outcome.error.split("\n")[0]}`);
  }
  const program = sections.program;
  if (program.status === "measured") {
    for (const c of program.results.commands) if (c.exitCode !== 0) found.push(`program: ${c.name}: ${c.detail}`);
  }
  const tuning = sections.tuning;
  if (tuning.status === "measured") {
    if (tuning.results.gitBackendsError) found.push(`tuning: Git backends: ${tuning.results.gitBackendsError.split("\n")[0]}`);
    if (tuning.results.clientSideError) found.push(`tuning: client-side: ${tuning.results.clientSideError.split("\n")[0]}`);
  }
  if (sections.scale.status === "measured") found.push(...scaleProblems(sections.scale.results));
  const latency = sections.latency;
  if (latency.status === "measured") {
    const r = latency.results;
    if (r.changeAndFaultError) found.push(`latency: change and fault windows: ${r.changeAndFaultError.split("\n")[0]}`);
    for (const w of r.changeAndFault?.windows ?? []) {
      if (!w.ok) found.push(`latency: ${w.name}: ${w.latencyMs.errors} errors, ${w.unexpected} answers other than ${w.expected.join(" or ")}, served true ${w.served.true} / false ${w.served.false}`);
    }
    if (r.chartError) found.push(`latency: chart: ${r.chartError.split("\n")[0]}`);
  }
  return found;
}

/** The file this run replaces, if it is one this bench wrote; anything else is not kept from. */
function readEarlierResults(out: string): BenchResults | undefined {
  if (!fs.existsSync(out)) return undefined;
  try {
    return parseBenchResults(fs.readFileSync(out, "utf8"), out);
  } catch (error) {
    log(`not keeping earlier sections: ${errorMessage(error)}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const profile = PROFILES[options.quick ? "quick" : "full"];
  const startedAt = new Date().toISOString();
  const tools = toolchainPaths();
  const machine = machineInfo(tools);
  const statAtStart = readProcStat();
  // Every section starts unselected; the list of sections is SECTIONS.
  const sections = Object.fromEntries(SECTIONS.map((name) => [name, { status: "not selected" }])) as Sections;

  const runnable = new Set<SectionName>();
  for (const name of options.only) {
    const blocker = FLIPT_SECTIONS.includes(name) ? fliptSectionBlocker(tools, name) : undefined;
    if (blocker) {
      sections[name] = { status: "not measured", reason: blocker };
      log(`${name}: not measured: ${blocker}`);
    } else {
      runnable.add(name);
    }
  }

  const supervisor = new Supervisor();
  try {
    if (runnable.has("propagation")) {
      log(`propagation: ${profile.propagationChanges} changes per stack (${STACKS.join(", ")}), both at once`);
      sections.propagation = await attemptSection(() => measurePropagation(supervisor, tools, STACKS, profile.propagationChanges, log));
    }
    const loadSections = (["evaluation", "footprint", "tuning"] as const).filter((s) => runnable.has(s));
    if (loadSections.length > 0) {
      const runs = await measureLoadTargets(supervisor, tools, { ...options, only: new Set(loadSections) }, profile);
      if (runnable.has("evaluation")) sections.evaluation = await attemptSection(async () => evaluationResults(runs, profile, machine.wrk ?? "wrk"));
      if (runnable.has("footprint")) sections.footprint = await attemptSection(async () => footprintResults(runs));
      if (runnable.has("tuning")) sections.tuning = await attemptSection(() => tuningResults(supervisor, tools, runs, profile));
    }
    if (runnable.has("latency")) {
      sections.latency = await attemptSection(() => latencyResults(supervisor, tools, options, profile, machine));
    }
    if (runnable.has("scale")) {
      sections.scale = await attemptSection(() => scaleResults(supervisor, tools, options));
    }
    if (runnable.has("program")) {
      // Last, when no Flipt is running: npm test uses both cores.
      sections.program = await attemptSection(() => measureProgram(supervisor, STACKS, log));
    }
  } finally {
    await supervisor.stopAll();
  }

  const unavailableReason = fliptUnavailableReason(tools);
  const results: BenchResults = {
    schemaVersion: SCHEMA_VERSION,
    command: `${process.env.npm_lifecycle_event === "bench" ? "npm run bench" : "tsx bench/run.ts"}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    startedAt,
    finishedAt: new Date().toISOString(),
    quick: options.quick,
    machine: { ...machine, stealShare: stealShare(statAtStart.all, readProcStat().all) },
    flipt: {
      binary: tools.fliptBin,
      version: unavailableReason ? undefined : fliptVersion(tools.fliptBin),
      unavailableReason,
      provenance: process.env.FLIPT_BIN ? `FLIPT_BIN=${tools.fliptBin}` : `toolchain cache: ${tools.fliptBin}`,
    },
    sections,
  };
  const written = keepEarlierSections(results, readEarlierResults(options.out));
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(written, null, 2)}\n`);

  process.stdout.write(`${reportHeader(results)}\n\n${formatTable(reportRows(results))}\n\nJSON: ${options.out}\n`);
  const found = problems(sections);
  if (found.length > 0) {
    process.stdout.write(`\nNot everything was measured:\n${found.map((p) => `- ${p}`).join("\n")}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  runMain(main);
}
