/** Steps as the bench records them, for the latency tests: figures from one attempt unless given several. */
import type { KindRun } from "../../bench/latency/ladders";
import type { Interference } from "../../bench/lib/cpuShare";
import { DEFAULT_STEP_RULES, RateStep, StepAttempt, StepMeasurement, capacity, rateStep } from "../../bench/lib/rateSteps";
import type { LatencySummary } from "../../bench/load/vegeta";

export const rules = DEFAULT_STEP_RULES;

export function latency(p99: number, errors = 0, p50 = p99 / 4): LatencySummary {
  return { requests: 20_000, p50, p90: p99 / 2, p99, p999: p99 * 2, max: p99 * 3, non200: errors, transportErrors: 0, errors };
}

/** Others and steal on Flipt's core (millicores); the generator's core had no steal. */
export function interferenceOf(othersMillicores: number, stealMillicores = 0): Interference {
  return { othersMillicores, stealMillicores, generatorStealMillicores: 0, fliptMillicores: 400 };
}

export interface StepOptions {
  readonly errors?: number;
  readonly p50?: number;
  readonly refinement?: boolean;
  readonly interference?: Interference;
}

export function measurement(ratePerSecond: number, p99: number, options: StepOptions = {}): StepMeasurement {
  return { sentPerSecond: ratePerSecond, latencyMs: latency(p99, options.errors, options.p50), interference: options.interference };
}

/** A step measured once, with the stop reason the bench's own rule gives it. */
export function step(ratePerSecond: number, p99: number, options: StepOptions = {}): RateStep {
  const attempt: StepAttempt = { ...measurement(ratePerSecond, p99, options), number: 1, counted: true };
  return stepOf(ratePerSecond, [attempt], options.refinement);
}

export function stepOf(ratePerSecond: number, attempts: readonly StepAttempt[], refinement = false): RateStep {
  return rateStep({ ratePerSecond, durationSeconds: 20, refinement }, attempts, rules);
}

export function kindRun(storage: KindRun["storage"], kind: KindRun["kind"], steps: RateStep[], round = 1): KindRun {
  const flagsPerRequest = kind === "batch" ? 10 : 1;
  return { storage, kind, target: `latency-${storage}`, flagsPerRequest, round, fliptCpusAllowed: "0", steps, capacity: capacity(steps, rules, flagsPerRequest) };
}
