/**
 * `npm run bench [-- --out <file>] [--quick] [--only <section,…>] [--step-seconds <s>] [--repeat <n>]
 * [--gomemlimit-share <percent>] [--goruntime-configs <list>]`: measures how fast a flag change
 * lands, how fast Flipt answers and what it costs, the latency at fixed arrival rates, the
 * transports side by side, how the cost grows, Go's memory limit and GOGC, and how long the
 * program's own commands take. Prints one table and writes the same figures as JSON (default bench/results.json), with the
 * charts beside it (<out>-latency.svg, <out>-scale.svg).
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
 * --gomemlimit-share and --goruntime-configs are the goruntime section's: GOMEMLIMIT's share of
 * prod's memoryLimit for its "set" runs (measured when not given) and the configurations it runs.
 *
 * Sections: propagation, evaluation, footprint, program, tuning, latency, transport, scale,
 * goruntime (all by default). Sections not selected keep what the replaced file had (keptFrom names the run that
 * measured them).
 *
 * This file is the command line and a loop over the sections (bench/README.md has the layout):
 * each section is a folder with a section.ts (sections.ts lists them), over the shared modules in
 * lib/ and the load generators in load/; results.ts is the JSON's shape, report.ts the table.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Flags, UsageError, parseFlags, runMain, stringFlag } from "../scripts/cli";
import { Supervisor } from "../scripts/lib/processes";
import { fliptUnavailableReason, toolchainPaths } from "../scripts/toolchain/paths";
import { projectDir } from "../settings/schema";
import { readProcStat, stealShare } from "./lib/cpuShare";
import { readMachineInfo } from "./lib/host";
import { GoConfig, parseGoConfigs } from "./lib/goEnvironment";
import { LOAD_PROFILES, LoadRuns } from "./lib/loadRuns";
import { SectionOutcome, attempt, errorMessage } from "./lib/outcome";
import { CpuPinning } from "./lib/pinning";
import { fliptVersion } from "./lib/targets";
import { formatTable, reportHeader, reportRows } from "./report";
import { BenchResults, SCHEMA_VERSION, SECTIONS, SectionName, keepEarlierSections, parseBenchResults } from "./results";
import { RunOptions, Section, SectionContext, firstLine } from "./section";
import { MEASUREMENT_ORDER, REGISTRY } from "./sections";

const DEFAULT_OUT = path.join(projectDir, "bench", "results.json");

interface Options extends RunOptions {
  readonly only: ReadonlySet<SectionName>;
}

/** --repeat bounds: a full round of ladders takes about 20 minutes. */
const MAX_REPEATS = 10;

const USAGE = `Usage: npm run bench [-- --out <file>] [--quick] [--only <section,…>] [--step-seconds <s>] [--repeat <n>]
       [--gomemlimit-share <percent>] [--goruntime-configs unset-100,unset-200,set-100,set-200]

Measures propagation, evaluation, footprint, the program's commands, tuning, the latency ladders, the
transports and how the cost grows; prints one table and writes the figures as JSON (default
bench/results.json).
Sections: ${SECTIONS.join(", ")} (all by default); sections not selected keep the replaced file's figures.
--quick shortens every run; --step-seconds fixes each latency step's length; --repeat runs the latency
ladders n times (1 to ${MAX_REPEATS}); --gomemlimit-share (percent of prod's memoryLimit; measured when
absent) and --goruntime-configs (GOMEMLIMIT unset or set, each with a GOGC) are the goruntime
section's. Details: docs/performance.md.`;


/** Flipt on one core, the load generator and this harness on the other: "per core" means one core. */
const PINNING: CpuPinning = { flipt: "0", generator: "1" };

export function parseOptions(argv: readonly string[]): Options {
  const flags = parseFlags(argv, ["out", "quick", "only", "step-seconds", "repeat", "gomemlimit-share", "goruntime-configs"], USAGE);
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
  return { out, quick: flags.quick === true, only, stepSeconds, repeats: repeatsOption(flags, only), goRuntime: goRuntimeOptions(flags, only) };
}

function goRuntimeOptions(flags: Flags, only: ReadonlySet<SectionName>): RunOptions["goRuntime"] {
  const [shareText, configsText] = [flags["gomemlimit-share"], flags["goruntime-configs"]];
  if (!only.has("goruntime")) {
    if (shareText !== undefined || configsText !== undefined) throw new UsageError("--gomemlimit-share and --goruntime-configs are the goruntime section's: select it too");
    return undefined;
  }
  let gomemlimitShare: number | undefined;
  if (shareText !== undefined) {
    const text = stringFlag(flags, "gomemlimit-share");
    const percent = Number(text);
    if (!Number.isFinite(percent) || percent < 1 || percent > 100) throw new UsageError(`--gomemlimit-share ${JSON.stringify(text)}: expected a percentage of memoryLimit from 1 to 100`);
    gomemlimitShare = percent / 100;
  }
  let configs: GoConfig[] | undefined;
  if (configsText !== undefined) {
    const parsed = parseGoConfigs(stringFlag(flags, "goruntime-configs"));
    if (typeof parsed === "string") throw new UsageError(`--goruntime-configs: ${parsed}`);
    if (gomemlimitShare === undefined && parsed.some((c) => c.gomemlimit === "set") && !parsed.some((c) => c.gomemlimit === "unset")) {
      throw new UsageError("--goruntime-configs: the set configurations need GOMEMLIMIT's share measured with GOMEMLIMIT unset, or --gomemlimit-share");
    }
    configs = parsed;
  }
  return { ...(gomemlimitShare !== undefined ? { gomemlimitShare } : {}), ...(configs ? { configs } : {}) };
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

/** Sections that were selected but not measured, with why, or whose results say something failed: the run then exits 1. */
export function problems(sections: BenchResults["sections"]): string[] {
  return SECTIONS.flatMap((name) => {
    const outcome = sections[name] as SectionOutcome<unknown>;
    switch (outcome.status) {
      case "not measured":
        return [`${name}: not measured: ${outcome.reason}`];
      case "failed":
        return [`${name}: failed: ${firstLine(outcome.error)}`];
      case "measured":
        return (REGISTRY[name] as Section<unknown>).problems(outcome.results);
      case "not selected":
        return [];
    }
  });
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
  const startedAt = new Date().toISOString();
  const tools = toolchainPaths();
  const machine = readMachineInfo(tools);
  const statAtStart = readProcStat();
  // Every section starts unselected; the list of sections is SECTIONS.
  const outcomes = Object.fromEntries(SECTIONS.map((name) => [name, { status: "not selected" }])) as Record<SectionName, SectionOutcome<unknown>>;

  const runnable = new Set<SectionName>();
  for (const name of options.only) {
    const blocker = REGISTRY[name].blocker(tools);
    if (blocker) {
      outcomes[name] = { status: "not measured", reason: blocker };
      log(`${name}: not measured: ${blocker}`);
    } else {
      runnable.add(name);
    }
  }

  const supervisor = new Supervisor();
  const context: SectionContext = {
    supervisor,
    tools,
    options,
    machine,
    pinning: PINNING,
    loadRuns: new LoadRuns(supervisor, tools, LOAD_PROFILES[options.quick ? "quick" : "full"], log),
    log,
  };
  try {
    for (const name of MEASUREMENT_ORDER.filter((n) => runnable.has(n))) {
      const section = REGISTRY[name] as Section<unknown>;
      outcomes[name] = await attempt(() => section.measure(context), (message) => log(`failed: ${message}`));
    }
  } finally {
    await supervisor.stopAll();
  }
  const sections = outcomes as BenchResults["sections"];

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
