/**
 * The scale section's measurement: how each cost grows with flags, repository history and
 * services, and the first user-facing limit each one breaks (findings.ts). The measures are in this
 * folder; this file orders them and keeps a failure of one from hiding the others.
 */
import * as os from "node:os";
import { Supervisor } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { Settings } from "../../settings/types";
import { Attempted, attempt, errorMessage } from "../lib/outcome";
import { CpuPinning, onCpus } from "../lib/pinning";
import { LimitFinding, ScaleLimits, kneeOf, scaleFindings, scaleLimits } from "./findings";
import { FlagsToolRow, measureFlagsTool } from "./flagsTool";
import { ScaleFliptSettings, ScaleRepository, ScaleRow, measureFliptAtScale } from "./flipt";
import { SCALE_FLAG_COUNTS, SCALE_SEED } from "../lib/generatedFlags";
import { ServiceScaleResults, measureServiceScale } from "./services";

export interface ScaleProfile {
  readonly flagCounts: readonly number[];
  /** History lengths measured at `historyFlags` flags, each on main and on the flags mirror. */
  readonly historyCommits: readonly number[];
  readonly historyFlags: number;
  readonly flipt: ScaleFliptSettings;
  readonly flagsToolCounts: readonly number[];
  readonly renderServiceCounts: readonly number[];
  readonly engineServiceCounts: readonly number[];
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
  },
  quick: {
    flagCounts: [12, 100, 1_000],
    historyCommits: [1_000],
    historyFlags: 100,
    flipt: { ...FLIPT_FULL, syncs: 3, loadSeconds: 5, snapshotSeconds: 5, targets: 2000 },
    flagsToolCounts: [12, 100, 1_000],
    renderServiceCounts: [6, 50],
    engineServiceCounts: [],
  },
};

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
  readonly findings: readonly LimitFinding[];
  /** The first limit broken along the flag count: the knee. */
  readonly knee?: LimitFinding;
  readonly chart?: string;
  readonly chartError?: string;
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
  log(`scale: the flags tool at ${profile.flagsToolCounts.join(", ")} flags`);
  const flagsTool = await attempt(() => measureFlagsTool(supervisor, profile.flagsToolCounts, log), failed("flags tool"));
  log(`scale: the program with ${profile.renderServiceCounts.join(", ")} services; the engine with ${profile.engineServiceCounts.join(", ") || "none"}`);
  const services = await attempt(() => measureServiceScale(supervisor, tools, { renderCounts: profile.renderServiceCounts, engineCounts: profile.engineServiceCounts }, log), failed("services"));
  const findings = scaleFindings(flipt, history, limits);
  return { seed: SCALE_SEED, profile, pinning, limits, flipt, history, flagsTool, services, findings, knee: kneeOf(findings) };
}
