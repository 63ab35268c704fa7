/** What the goruntime section measures, full or --quick, with the command line's share and configurations; and its runtime estimate. */
import { GO_CONFIGS, GoConfig } from "../lib/goEnvironment";
import type { RunOptions } from "../section";

export interface GoRuntimeProfile {
  readonly flagCounts: readonly number[];
  /** One-flag commits after the first (21 in all), at this poll interval, as the scale section does. */
  readonly syncs: number;
  readonly pollIntervalSeconds: number;
  /** The open-loop load after the syncs: boolean evaluations of random generated flags. */
  readonly loadRatePerSecond: number;
  readonly loadSeconds: number;
  readonly targets: number;
  readonly timeoutSeconds: number;
  /** The capacity ladder: these rates, then refinement steps of 500 req/s (lib/rateLadder.ts fixedRates). */
  readonly ladderRates: readonly number[];
  readonly stepSeconds: number;
  readonly warmupSeconds: number;
  /** RSS is sampled this often, from healthy to stop. */
  readonly sampleEveryMs: number;
  /** An OOM-near event is an excursion of RSS above this share of prod's memoryLimit. */
  readonly oomNearShare: number;
  /** GOMEMLIMIT = limit − measured overhead − this share of the limit. */
  readonly marginShare: number;
  readonly configs: readonly GoConfig[];
  /** GOMEMLIMIT's share of memoryLimit for the "set" configurations; measured when absent. */
  readonly gomemlimitShare?: number;
}

const FULL: GoRuntimeProfile = {
  flagCounts: [1_000, 3_000],
  syncs: 20,
  pollIntervalSeconds: 2,
  loadRatePerSecond: 1000,
  loadSeconds: 15,
  targets: 10_000,
  timeoutSeconds: 5,
  ladderRates: [500, 1000, 2000, 4000],
  stepSeconds: 10,
  warmupSeconds: 5,
  sampleEveryMs: 150,
  oomNearShare: 0.9,
  marginShare: 0.1,
  configs: GO_CONFIGS,
};

export const GO_RUNTIME_PROFILES: Record<"full" | "quick", GoRuntimeProfile> = {
  full: FULL,
  quick: { ...FULL, flagCounts: [1_000], syncs: 3, loadSeconds: 5, targets: 2000, ladderRates: [500, 1000], stepSeconds: 3, warmupSeconds: 1 },
};

export function goRuntimeProfile(options: RunOptions): GoRuntimeProfile {
  const profile = GO_RUNTIME_PROFILES[options.quick ? "quick" : "full"];
  return { ...profile, configs: options.goRuntime?.configs ?? profile.configs, gomemlimitShare: options.goRuntime?.gomemlimitShare };
}

/** Seconds one sync takes at `flags` flags on one core (the scale section's rows: about 0.75 ms per flag). */
const SYNC_SECONDS_PER_FLAG = 0.00075;

/**
 * The section's runtime, estimated from its profile: per Flipt, start and settle, the syncs (each a
 * wait for the next poll, or for the previous sync when it outlasts the interval, plus the sync),
 * the load, and the ladder with two refinement steps and a drain.
 */
export function estimatedSeconds(profile: GoRuntimeProfile): number {
  const perRun = (flags: number) => {
    const sync = SYNC_SECONDS_PER_FLAG * flags;
    const start = 3 + flags / 1000 + 2;
    const syncs = (profile.syncs + 1) * (Math.max(profile.pollIntervalSeconds, sync) + sync / 2) + 1;
    const ladder = profile.warmupSeconds + (profile.ladderRates.length + 2) * profile.stepSeconds + 5;
    return start + syncs + profile.loadSeconds + ladder;
  };
  return profile.flagCounts.reduce((sum, flags) => sum + perRun(flags) * profile.configs.length, 0);
}
