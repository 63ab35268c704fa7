/**
 * `npm run bench -- --only scale`: how each cost grows with flags, repository history and
 * services, and the first user-facing limit each one breaks (findings). The measures are in this
 * folder; this file orders them, keeps a failure of one from hiding the others, and judges.
 */
import * as os from "node:os";
import { repositoryFlagsDir } from "../../scripts/lib/localFlipt";
import { Supervisor } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { Settings } from "../../settings/types";
import { CpuPinning, onCpus } from "../latency";
import { Attempted, attempt, errorMessage } from "../results";
import { servedFlags } from "../targets";
import { FlagsToolRow, measureFlagsTool } from "./flagsTool";
import { FliptScaleRow, ScaleFliptSettings, ScaleRepository, measureFliptAtScale } from "./flipt";
import { SCALE_FLAG_COUNTS, SCALE_SEED } from "./generatedFlags";
import { ServiceScaleResults, measureServiceScale } from "./services";
import { TransportResults, measureTransport } from "./transport";

export interface ScaleProfile {
  readonly flagCounts: readonly number[];
  /** History lengths measured at `historyFlags` flags, each on main and on the flags mirror. */
  readonly historyCommits: readonly number[];
  readonly historyFlags: number;
  readonly flipt: ScaleFliptSettings;
  readonly flagsToolCounts: readonly number[];
  readonly renderServiceCounts: readonly number[];
  readonly engineServiceCounts: readonly number[];
  readonly transport: { readonly rates: readonly number[]; readonly stepSeconds: number };
}

const FLIPT_FULL: ScaleFliptSettings = {
  pollIntervalSeconds: 2,
  syncs: 20,
  booleanRatePerSecond: 1000,
  loadSeconds: 15,
  snapshotRatePerSecond: 10,
  snapshotSeconds: 15,
  targets: 10_000,
  timeoutSeconds: 5,
};

export const SCALE_PROFILES: Record<"full" | "quick", ScaleProfile> = {
  full: {
    flagCounts: SCALE_FLAG_COUNTS,
    historyCommits: [1_000, 10_000],
    historyFlags: 1_000,
    flipt: FLIPT_FULL,
    flagsToolCounts: SCALE_FLAG_COUNTS,
    renderServiceCounts: [6, 50, 200],
    engineServiceCounts: [6, 50],
    transport: { rates: [250, 500, 1000, 2000, 4000], stepSeconds: 10 },
  },
  quick: {
    flagCounts: [12, 100, 1_000],
    historyCommits: [1_000],
    historyFlags: 100,
    flipt: { ...FLIPT_FULL, syncs: 3, loadSeconds: 5, snapshotSeconds: 5, targets: 2000 },
    flagsToolCounts: [12, 100, 1_000],
    renderServiceCounts: [6, 50],
    engineServiceCounts: [],
    transport: { rates: [250, 1000], stepSeconds: 5 },
  },
};

/** A Flipt row that could not be measured (its start timed out, a sync never came). */
export interface FailedScaleRow {
  readonly flags: number;
  readonly historyCommits: number;
  readonly branch: ScaleRepository["branch"];
  readonly error: string;
}

export type ScaleRow = FliptScaleRow | FailedScaleRow;

export const isMeasuredRow = (row: ScaleRow): row is FliptScaleRow => !("error" in row);

/** The limits a user would care about, from the prod stack's own settings. */
export interface ScaleLimits {
  readonly startSeconds: number;
  readonly memoryLimitMiB: number;
  readonly memoryRequestMiB: number;
  readonly pollIntervalSeconds: number;
  readonly p99Ms: number;
}

export const START_LIMIT_SECONDS = 30;
export const P99_LIMIT_MS = 5;

export type LimitName = "start" | "memory" | "sync" | "p99";

export interface LimitFinding {
  readonly limit: LimitName;
  /** "flags": the flag-count rows; "history": the history rows on main. */
  readonly series: "flags" | "history";
  readonly threshold: number;
  readonly unit: string;
  /** The first row (by size) over the threshold, with its value; absent when none is. */
  readonly firstOver?: { readonly flags: number; readonly historyCommits: number; readonly value: number };
  /** The largest row within the threshold before it. */
  readonly lastWithin?: { readonly flags: number; readonly historyCommits: number; readonly value: number };
  /** The stack setting that moves the limit, or the fix. */
  readonly moves: string;
}

export interface ScaleResults {
  readonly seed: number;
  readonly profile: ScaleProfile;
  readonly pinning: CpuPinning;
  readonly limits: ScaleLimits;
  /** One row per flag count, no extra history, Flipt following main. */
  readonly flipt: readonly ScaleRow[];
  /** historyFlags flags behind each history length, on main and on the flags mirror. */
  readonly history: readonly ScaleRow[];
  readonly flagsTool: Attempted<readonly FlagsToolRow[]>;
  readonly services: Attempted<ServiceScaleResults>;
  readonly transport: Attempted<TransportResults>;
  readonly findings: readonly LimitFinding[];
  /** The first limit broken along the flag count: the knee. */
  readonly knee?: LimitFinding;
  readonly chart?: string;
  readonly chartError?: string;
}

const MIB = 1024 * 1024;

/** Kubernetes memory quantities (Mi, Gi, M, plain bytes) in MiB. */
export function quantityMiB(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(value);
  if (!match) throw new Error(`memory quantity ${JSON.stringify(value)}: expected a number with Ki, Mi, Gi, K, M or G`);
  const factor = { Ki: 1024, Mi: MIB, Gi: 1024 * MIB, K: 1e3, M: 1e6, G: 1e9, "": 1 }[match[2] ?? ""]!;
  return (Number(match[1]) * factor) / MIB;
}

export function scaleLimits(prod: Settings): ScaleLimits {
  return {
    startSeconds: START_LIMIT_SECONDS,
    memoryLimitMiB: quantityMiB(prod.resources.limits.memory),
    memoryRequestMiB: quantityMiB(prod.resources.requests.memory),
    pollIntervalSeconds: prod.git.pollIntervalSeconds,
    p99Ms: P99_LIMIT_MS,
  };
}

interface LimitSpec {
  readonly limit: LimitName;
  readonly unit: string;
  readonly threshold: (limits: ScaleLimits) => number;
  readonly value: (row: FliptScaleRow) => number | undefined;
  readonly moves: string;
}

const LIMIT_SPECS: readonly LimitSpec[] = [
  { limit: "start", unit: "s", threshold: (l) => l.startSeconds, value: (r) => r.startSeconds, moves: "nothing in the stack: the startup probe allows 300 s; fewer flags per Flipt (a namespace per instance) or the flags mirror" },
  {
    limit: "memory",
    unit: "MiB",
    threshold: (l) => l.memoryLimitMiB,
    value: (r) => Math.max(r.rssAfterStartMiB, r.sync.rssAfterMiB),
    moves: "memoryLimit and memoryRequest (Pulumi.prod.yaml); on a long history, the flags mirror (gitRef: flags-mirror)",
  },
  { limit: "sync", unit: "s", threshold: (l) => l.pollIntervalSeconds, value: (r) => r.sync.maxSeconds, moves: "gitPollInterval (Pulumi.prod.yaml), and cpuLimit: a sync is CPU-bound" },
  { limit: "p99", unit: "ms", threshold: (l) => l.p99Ms, value: (r) => r.boolean?.latencyMs.p99, moves: "replicas and cpuLimit: the rate per core, not the flag count, sets it (latency section)" },
];

function judge(rows: readonly ScaleRow[], series: LimitFinding["series"], limits: ScaleLimits, size: (r: FliptScaleRow) => number): LimitFinding[] {
  const measured = rows.filter(isMeasuredRow).sort((a, b) => size(a) - size(b));
  return LIMIT_SPECS.map((spec) => {
    const threshold = spec.threshold(limits);
    let lastWithin: LimitFinding["lastWithin"];
    for (const row of measured) {
      const value = spec.value(row);
      if (value === undefined) continue;
      const at = { flags: row.flags, historyCommits: row.historyCommits, value };
      if (value > threshold) return { limit: spec.limit, series, threshold, unit: spec.unit, firstOver: at, lastWithin, moves: spec.moves };
      lastWithin = at;
    }
    return { limit: spec.limit, series, threshold, unit: spec.unit, lastWithin, moves: spec.moves };
  });
}

/** Per limit, the first flag count (history 0) and the first history length (on main) that break it. */
export function scaleFindings(flipt: readonly ScaleRow[], history: readonly ScaleRow[], limits: ScaleLimits): LimitFinding[] {
  const onMain = history.filter((r) => r.branch === "main");
  const baseline = flipt.filter((r) => r.historyCommits === 0);
  return [...judge(baseline, "flags", limits, (r) => r.flags), ...judge(onMain, "history", limits, (r) => r.historyCommits)];
}

/** The knee: of the flag-count findings, the limit broken at the smallest flag count. */
export function kneeOf(findings: readonly LimitFinding[]): LimitFinding | undefined {
  return findings.filter((f) => f.series === "flags" && f.firstOver).sort((a, b) => a.firstOver!.flags - b.firstOver!.flags)[0];
}

/**
 * The Flipt rows, with this process (and so the Git server it starts and vegeta) on the
 * generator's CPU, Flipt alone on its own.
 */
async function measureRows(supervisor: Supervisor, tools: ToolchainPaths, repositories: readonly ScaleRepository[], profile: ScaleProfile, pinning: CpuPinning, log: (line: string) => void): Promise<ScaleRow[]> {
  return onCpus(pinning.generator, async () => {
    const rows: ScaleRow[] = [];
    for (const repository of repositories) {
      try {
        rows.push(await measureFliptAtScale(supervisor, tools, repository, profile.flipt, pinning, true, log));
      } catch (error) {
        log(`scale: ${repository.flags} flags, ${repository.historyCommits} commits, ${repository.branch}: failed: ${errorMessage(error)}`);
        rows.push({ ...repository, error: errorMessage(error) });
      }
    }
    return rows;
  });
}

export async function measureScale(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  profile: ScaleProfile,
  prod: Settings,
  pinning: CpuPinning,
  log: (line: string) => void,
): Promise<Omit<ScaleResults, "chart" | "chartError">> {
  if (os.cpus().length < 2) throw new Error(`the scale section pins Flipt and the load generator to one core each; this machine has ${os.cpus().length}`);
  const limits = scaleLimits(prod);
  // A measure that failed keeps its reason; the others are still reported.
  const failed = (name: string) => (message: string) => log(`scale: ${name} failed: ${message}`);
  const flipt = await measureRows(supervisor, tools, profile.flagCounts.map((flags) => ({ flags, historyCommits: 0, branch: "main" })), profile, pinning, log);
  const historyRepositories = profile.historyCommits.flatMap((historyCommits): ScaleRepository[] => [
    { flags: profile.historyFlags, historyCommits, branch: "main" },
    { flags: profile.historyFlags, historyCommits, branch: "flags-mirror" },
  ]);
  const history = await measureRows(supervisor, tools, historyRepositories, profile, pinning, log);
  // The prod stack's own flags, as the latency section measures: the transports side by side with it.
  const transportFlags = servedFlags(repositoryFlagsDir("prod"));
  log(`scale: transport: HTTP, OFREP and gRPC at ${profile.transport.rates.join(", ")} req/s`);
  const transport = await attempt(() => measureTransport(supervisor, tools, { ...profile.transport, flags: transportFlags }, log), failed("transport"));
  log(`scale: the flags tool at ${profile.flagsToolCounts.join(", ")} flags`);
  const flagsTool = await attempt(() => measureFlagsTool(supervisor, profile.flagsToolCounts, log), failed("flags tool"));
  log(`scale: the program with ${profile.renderServiceCounts.join(", ")} services; the engine with ${profile.engineServiceCounts.join(", ") || "none"}`);
  const services = await attempt(() => measureServiceScale(supervisor, tools, { renderCounts: profile.renderServiceCounts, engineCounts: profile.engineServiceCounts }, log), failed("services"));
  const findings = scaleFindings(flipt, history, limits);
  return { seed: SCALE_SEED, profile, pinning, limits, flipt, history, flagsTool, services, transport, findings, knee: kneeOf(findings) };
}
