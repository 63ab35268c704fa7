/** How the latency section climbs: its step rules, warm-up, requests and repeats, full or --quick. */
import { DEFAULT_STEP_RULES, StepRules } from "../lib/rateSteps";
import type { RunOptions } from "../section";

export interface LatencySettings {
  readonly rules: StepRules;
  /** An unmeasured run at the first rate before each kind's steps. */
  readonly warmupSeconds: number;
  /** Distinct pre-generated requests per kind (random entities), sent round-robin. */
  readonly targetsPerKind: number;
  readonly batchSize: number;
  readonly timeoutSeconds: number;
  /** Arrival rate of the change and fault windows. */
  readonly faultRatePerSecond: number;
  /** Ladders per request kind and storage (`--repeat`): their medians and ranges are reported. */
  readonly repeats: number;
}

export const LATENCY_PROFILES: Record<"full" | "quick", LatencySettings> = {
  full: { rules: DEFAULT_STEP_RULES, warmupSeconds: 5, targetsPerKind: 10_000, batchSize: 10, timeoutSeconds: 5, faultRatePerSecond: 1000, repeats: 1 },
  quick: { rules: { ...DEFAULT_STEP_RULES, minSeconds: 5, minRequests: 0 }, warmupSeconds: 1, targetsPerKind: 2000, batchSize: 10, timeoutSeconds: 5, faultRatePerSecond: 1000, repeats: 1 },
};

/** The profile with --repeat, and --step-seconds as every step's exact length (no request floor). */
export function latencySettings(options: RunOptions): LatencySettings {
  const profile = LATENCY_PROFILES[options.quick ? "quick" : "full"];
  const latency = { ...profile, repeats: options.repeats ?? profile.repeats };
  if (options.stepSeconds === undefined) return latency;
  return { ...latency, rules: { ...latency.rules, minSeconds: options.stepSeconds, minRequests: 0 } };
}
