/**
 * The tuning section: the tuning questions of the benchmark issue, each answered by a measurement
 * against a baseline (our prod configuration): run-to-run noise, the per-request log line at
 * `info`, dev's `debug`, Flipt's memory cache with either storage (closed-loop runs shared with
 * the evaluation section), the Git backend's memory as the repository grows (gitBackends.ts), and
 * one evaluation over HTTP against client-side evaluation (clientSide.ts).
 */
import { Row, formatLoadRatios, formatLoadRun, formatMiB, formatMicros, formatMs, formatWindowFootprint } from "../lib/format";
import { LoadRatios, LoadRun, MeasureOptions, loadRatios } from "../lib/loadRuns";
import { errorMessage } from "../lib/outcome";
import { CONFIG_CHANGES, LOAD_STACK, TARGETS, TargetSpec, servedFlags, startTarget } from "../lib/targets";
import { Section, SectionContext, firstLine, wrkBlocker } from "../section";
import { ClientSideLimits, ClientSideResults, measureClientSide } from "./clientSide";
import { GitBackendRun, measureGitBackends } from "./gitBackends";

export interface TuningVariant {
  readonly name: string;
  readonly description: string;
  readonly question: string;
  readonly baseline: string;
  readonly boolean: LoadRun;
  readonly baselineBoolean: LoadRun;
  readonly ratios: LoadRatios;
}

export interface TuningResults {
  readonly variants: readonly TuningVariant[];
  readonly gitBackends?: readonly GitBackendRun[];
  readonly gitBackendsError?: string;
  readonly clientSide?: ClientSideResults;
  readonly clientSideError?: string;
}

const TITLE = "tuning";
const MEASURE: MeasureOptions = { idle: false, kinds: ["boolean"] };

const VARIANT_TARGETS = {
  // prod runs at warn since this comparison: the variant is the info level it had before.
  logInfo: { name: `git-${LOAD_STACK}-log-info`, stack: LOAD_STACK, storage: "git", changes: [CONFIG_CHANGES.logLevel("info")] },
  gitCache: { name: `git-${LOAD_STACK}-cache`, stack: LOAD_STACK, storage: "git", changes: [CONFIG_CHANGES.memoryCache()] },
  databaseCache: { name: `database-${LOAD_STACK}-cache`, stack: LOAD_STACK, storage: "database", changes: [CONFIG_CHANGES.memoryCache()] },
} as const satisfies Record<string, TargetSpec>;

/** Tuning questions answered by a load run against a baseline run. */
const TUNING_VARIANTS: readonly { readonly spec: TargetSpec; readonly baseline: TargetSpec; readonly question: string }[] = [
  { spec: { ...TARGETS.ours, name: `${TARGETS.ours.name}-again` }, baseline: TARGETS.ours, question: "run-to-run noise (the same config again)" },
  { spec: VARIANT_TARGETS.logInfo, baseline: TARGETS.ours, question: "one log line per evaluation at info (prod's level before the bench)" },
  { spec: TARGETS.dev, baseline: TARGETS.ours, question: "dev's debug log level" },
  { spec: VARIANT_TARGETS.gitCache, baseline: TARGETS.ours, question: "memory cache, Git storage" },
  { spec: VARIANT_TARGETS.databaseCache, baseline: TARGETS.database, question: "memory cache, database storage" },
];

const CLIENT_SIDE_LIMITS: Record<"full" | "quick", ClientSideLimits> = {
  full: { serverSideCount: 3000, clientSideCount: 100_000, maxMs: 10_000 },
  quick: { serverSideCount: 500, clientSideCount: 20_000, maxMs: 3000 },
};

/** Every variant's load run against its baseline's; the targets are run in the evaluation section's order first. */
async function tuningVariants({ loadRuns }: SectionContext): Promise<TuningVariant[]> {
  await loadRuns.measure([TARGETS.ours, TARGETS.database, TARGETS.dev, ...TUNING_VARIANTS.map((v) => v.spec)], MEASURE);
  return TUNING_VARIANTS.map(({ spec, baseline, question }) => {
    const run = loadRuns.run(spec, MEASURE);
    const base = loadRuns.run(baseline, MEASURE);
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
}

/** One evaluation at a time over HTTP and client-side, against a Flipt of our prod configuration. */
async function clientSide({ supervisor, tools, options }: SectionContext): Promise<ClientSideResults> {
  const limits = CLIENT_SIDE_LIMITS[options.quick ? "quick" : "full"];
  const target = await startTarget(supervisor, tools, { ...TARGETS.ours, name: `${TARGETS.ours.name}-client-side` });
  try {
    // The SDKs' requests carry no timeout of their own: bound the whole measurement.
    const limitMs = 2 * limits.maxMs + 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`client-side measurement took over ${limitMs / 1000} s`)), limitMs);
    });
    return await Promise.race([measureClientSide(target.url, servedFlags(), limits), timeout]).finally(() => clearTimeout(timer));
  } finally {
    await target.local.flipt.stop();
  }
}

async function measureTuning(context: SectionContext): Promise<TuningResults> {
  const { supervisor, tools, loadRuns, log } = context;
  const variants = await tuningVariants(context);
  let gitBackends: TuningResults["gitBackends"];
  let gitBackendsError: string | undefined;
  try {
    gitBackends = await measureGitBackends(supervisor, tools, LOAD_STACK, servedFlags(), loadRuns.settings.settleSeconds, log);
  } catch (error) {
    gitBackendsError = errorMessage(error);
  }
  let clientSideResults: TuningResults["clientSide"];
  let clientSideError: string | undefined;
  try {
    log("tuning: per-evaluation latency, over HTTP and client-side");
    clientSideResults = await clientSide(context);
  } catch (error) {
    clientSideError = errorMessage(error);
  }
  return { variants, gitBackends, gitBackendsError, clientSide: clientSideResults, clientSideError };
}

function tuningRows(results: TuningResults): Row[] {
  const rows: Row[] = [];
  for (const v of results.variants) {
    const logs = `${Math.round(v.boolean.logBytesPerRequest)} vs ${Math.round(v.baselineBoolean.logBytesPerRequest)} log bytes/request`;
    rows.push([TITLE, `${v.question}: ${v.name}`, `${formatLoadRun(v.boolean)} · ${logs}`, formatLoadRatios(v.ratios, "boolean", v.baseline)]);
  }
  if (results.gitBackends) {
    const base = results.gitBackends[0];
    for (const run of results.gitBackends) {
      const delta = run === base ? "" : `${run.idle.rssPeakBytes >= base.idle.rssPeakBytes ? "+" : "−"}${formatMiB(Math.abs(run.idle.rssPeakBytes - base.idle.rssPeakBytes))} RSS vs ${base.name}`;
      rows.push([TITLE, `Git backend idle: ${run.name}`, formatWindowFootprint(run.idle), delta]);
    }
  } else if (results.gitBackendsError) {
    rows.push([TITLE, "Git backend memory vs local", "failed", results.gitBackendsError]);
  }
  const cs = results.clientSide;
  if (cs) {
    const m = cs.serverSide.micros;
    rows.push([TITLE, "per evaluation: OpenFeature + Flipt provider (HTTP)", `p50 ${formatMicros(m.median)} · p99 ${formatMicros(m.p99)} · n=${m.n}`, "one HTTP request per evaluation, one at a time, loopback"]);
    if (cs.clientSide) {
      const c = cs.clientSide.micros;
      rows.push([
        TITLE,
        `per evaluation: client-side (${cs.clientSide.package})`,
        `p50 ${formatMicros(c.median)} · p99 ${formatMicros(c.p99)} · n=${c.n}`,
        `init ${formatMs(cs.clientSide.initMs)}; snapshot ${cs.clientSide.snapshotBytes} bytes; refresh every ${cs.clientSide.defaultUpdateIntervalSeconds} s by default`,
      ]);
    } else {
      rows.push([TITLE, "per evaluation: client-side", "not measured", cs.clientSideUnavailable ?? ""]);
    }
  } else if (results.clientSideError) {
    rows.push([TITLE, "client-side evaluation", "failed", results.clientSideError]);
  }
  return rows;
}

function tuningProblems(results: TuningResults): string[] {
  const problems: string[] = [];
  if (results.gitBackendsError) problems.push(`tuning: Git backends: ${firstLine(results.gitBackendsError)}`);
  if (results.clientSideError) problems.push(`tuning: client-side: ${firstLine(results.clientSideError)}`);
  return problems;
}

export const tuningSection: Section<TuningResults> = {
  title: TITLE,
  blocker: wrkBlocker,
  measure: measureTuning,
  rows: tuningRows,
  problems: tuningProblems,
};
