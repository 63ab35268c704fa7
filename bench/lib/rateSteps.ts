/**
 * The pure parts of an open-loop rate ladder (the latency and transport sections climb one,
 * rateLadder.ts): which arrival rates to measure, when to stop, how long a step lasts, when a step
 * is measured again and which attempt counts, the refinement steps between the capacity and the
 * first failing rate, and the capacity read from the steps.
 */
import type { LatencySummary } from "../load/vegeta";
import { Interference, disturbanceMillicores } from "./cpuShare";

/** The first rates (requests/s); after them the rate doubles. */
export const FIRST_RATES = [250, 500, 1000, 2000, 4000] as const;

export interface StepRules {
  /** A step whose p99 is above this (ms) ends the ladder. */
  readonly stopP99Ms: number;
  /** Capacity: the highest rate whose p99 is at or under this (ms), without errors. */
  readonly capacityP99Ms: number;
  /** A step that sent less than this share of its rate ends the ladder: the generator, not Flipt, was the limit. */
  readonly minSentShare: number;
  /** No rate above this is tried, whatever the results (bounds the ladder). */
  readonly maxRate: number;
  /** Each step lasts at least this long (s)… */
  readonly minSeconds: number;
  /** …and at least long enough for this many requests. */
  readonly minRequests: number;
  /** An attempt during which others + steal on Flipt's core exceeded this (millicores) was disturbed… */
  readonly maxDisturbanceMillicores: number;
  /** …and the step is measured again, up to this many more times; the least disturbed attempt counts. */
  readonly maxRemeasures: number;
  /**
   * After the ladder, steps of this (requests/s) up from the capacity, below the first failing rate,
   * until one fails: the capacity is then known to this resolution. Absent in files written before
   * (2026-12-03): their ladders refined once, at the midpoint between the capacity and the next rate.
   */
  readonly refinementStepPerSecond?: number;
}

export const DEFAULT_STEP_RULES: StepRules = {
  stopP99Ms: 50,
  capacityP99Ms: 5,
  minSentShare: 0.9,
  maxRate: 128_000,
  minSeconds: 20,
  minRequests: 10_000,
  maxDisturbanceMillicores: 100,
  maxRemeasures: 3,
  refinementStepPerSecond: 500,
};

/** What one attack at a step's rate gave. */
export interface StepMeasurement {
  /** Requests per second vegeta actually sent. */
  readonly sentPerSecond: number;
  readonly latencyMs: LatencySummary;
  /** What else ran on Flipt's core, and the steal on both cores, during the attack. */
  readonly interference?: Interference;
}

export interface StepAttempt extends StepMeasurement {
  /** 1 for a step's first measurement. */
  readonly number: number;
  /** The attempt the step's figures are from. */
  readonly counted: boolean;
}

/** A step's figures are its counted attempt's; `attempts` holds every attempt, that one included. */
export interface RateStep extends StepMeasurement {
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  /** Why the ladder stopped at this step, if it did. */
  readonly stopReason?: string;
  /** A step between two ladder rates, measured to narrow the capacity down. */
  readonly refinement: boolean;
  readonly attempts: readonly StepAttempt[];
}

export function isDisturbed(interference: Interference | undefined, rules: StepRules): boolean {
  return disturbanceMillicores(interference) > rules.maxDisturbanceMillicores;
}

/** After these attempts (in order), whether the step is measured again: the last was disturbed and remeasures remain. */
export function measureAgain(attempts: readonly StepMeasurement[], rules: StepRules): boolean {
  const last = attempts[attempts.length - 1];
  return last !== undefined && attempts.length <= rules.maxRemeasures && isDisturbed(last.interference, rules);
}

/** The index of the least disturbed attempt; the earlier one on a tie. */
function leastDisturbed(attempts: readonly StepMeasurement[]): number {
  if (attempts.length === 0) throw new Error("a step with no attempts");
  let best = 0;
  attempts.forEach((a, i) => {
    if (disturbanceMillicores(a.interference) < disturbanceMillicores(attempts[best].interference)) best = i;
  });
  return best;
}

/**
 * Measures a step by the rule: again while the last attempt was disturbed, up to maxRemeasures
 * more times. Every attempt is kept; the least disturbed is marked as the one that counts.
 */
export async function measureStep(
  measureOnce: (attempt: number) => Promise<StepMeasurement>,
  rules: StepRules,
  onDisturbed: (attempt: number, measurement: StepMeasurement) => void = () => undefined,
): Promise<StepAttempt[]> {
  const measured: StepMeasurement[] = [];
  for (;;) {
    measured.push(await measureOnce(measured.length + 1));
    if (!measureAgain(measured, rules)) break;
    onDisturbed(measured.length, measured[measured.length - 1]);
  }
  const counted = leastDisturbed(measured);
  return measured.map((m, i) => ({ ...m, number: i + 1, counted: i === counted }));
}

export interface StepPlan {
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  readonly refinement: boolean;
}

/** The step as recorded: the counted attempt's figures, every attempt, and the stop rule applied to the counted one. */
export function rateStep(plan: StepPlan, attempts: readonly StepAttempt[], rules: StepRules): RateStep {
  const counted = attempts.find((a) => a.counted);
  if (!counted) throw new Error(`the step at ${plan.ratePerSecond} req/s has no counted attempt`);
  const { sentPerSecond, latencyMs, interference } = counted;
  const stop = plan.refinement ? undefined : stopReason(plan.ratePerSecond, sentPerSecond, latencyMs, rules);
  return { ...plan, sentPerSecond, latencyMs, interference, stopReason: stop, attempts };
}

/** Long enough for stable tails: minSeconds, or more at low rates to reach minRequests. */
export function stepSeconds(ratePerSecond: number, rules: StepRules): number {
  return Math.max(rules.minSeconds, Math.ceil(rules.minRequests / ratePerSecond));
}

/** Why the ladder ends at a step with these figures, or undefined to go on. */
export function stopReason(ratePerSecond: number, sentPerSecond: number, latency: LatencySummary, rules: StepRules): string | undefined {
  const reasons: string[] = [];
  if (latency.errors > 0) reasons.push(`${latency.errors} errors (${latency.non200} non-200, ${latency.transportErrors} without an answer)`);
  if (latency.p99 > rules.stopP99Ms) reasons.push(`p99 ${latency.p99.toFixed(1)} ms > ${rules.stopP99Ms} ms`);
  if (sentPerSecond < rules.minSentShare * ratePerSecond) reasons.push(`vegeta sent ${Math.round(sentPerSecond)} of ${ratePerSecond} req/s`);
  return reasons.length > 0 ? reasons.join("; ") : undefined;
}

/** p99 at or under the capacity limit, no errors, the rate sent (the counted attempt). */
export function withinCapacity(step: RateStep, rules: StepRules): boolean {
  return step.latencyMs.errors === 0 && step.latencyMs.p99 <= rules.capacityP99Ms && step.sentPerSecond >= rules.minSentShare * step.ratePerSecond;
}

/** The first ladder rate above `rate`: the next of FIRST_RATES, then doubling. */
export function ladderRateAfter(rate: number | undefined): number {
  if (rate === undefined) return FIRST_RATES[0];
  const next = FIRST_RATES.find((r) => r > rate);
  return next ?? rate * 2;
}

export interface NextStep {
  readonly ratePerSecond: number;
  readonly refinement: boolean;
}

/**
 * The next refinement step after `steps`, or undefined when the capacity is resolved: the lowest
 * rate capacity + k × refinementStepPerSecond not yet measured and below the rate that bounds the
 * capacity (the lowest undisturbed failure above it; without one, the highest rate measured above
 * it). Measuring upward and stopping at the first failure is enough: capacity needs every lower
 * rate within, so nothing above a failure could raise it. A refinement step that fails only while
 * disturbed does not stop the climb, as readCapacity does not let it veto. No refinement without a
 * capacity (the first rate failed) or without a measured rate above it.
 */
export function refinementRate(steps: readonly RateStep[], rules: StepRules): NextStep | undefined {
  const size = rules.refinementStepPerSecond;
  const best = readCapacity(steps, rules).step;
  if (!size || !best) return undefined;
  const above = steps.filter((s) => s.ratePerSecond > best.ratePerSecond).map((s) => s.ratePerSecond);
  const vetoes = steps.filter((s) => s.ratePerSecond > best.ratePerSecond && !isDisturbed(s.interference, rules)).map((s) => s.ratePerSecond);
  if (above.length === 0) return undefined;
  const bound = vetoes.length > 0 ? Math.min(...vetoes) : Math.max(...above);
  for (let rate = best.ratePerSecond + size; rate < bound; rate += size) {
    if (!steps.some((s) => s.ratePerSecond === rate)) return { ratePerSecond: rate, refinement: true };
  }
  return undefined;
}

/**
 * The next rate to measure after `steps` (in the order measured), or undefined when done: the
 * ladder until a step stops it (or maxRate), then the refinement steps (refinementRate), so the
 * capacity is known to within refinementStepPerSecond rather than a doubling.
 */
export function nextRate(steps: readonly RateStep[], rules: StepRules): NextStep | undefined {
  const ladder = steps.filter((s) => !s.refinement);
  const last = ladder[ladder.length - 1];
  if (!last || last.stopReason === undefined) {
    const next = ladderRateAfter(last?.ratePerSecond);
    if (next <= rules.maxRate) return { ratePerSecond: next, refinement: false };
  }
  return refinementRate(steps, rules);
}

/** The refinement rule in words, for the report: the rules' own, or the single midpoint of files written before. */
export function refinementRule(rules: StepRules): string {
  const size = rules.refinementStepPerSecond;
  return size
    ? `then steps of ${size} req/s up from the capacity, below the first failing rate, until one fails (capacity to within ${size} req/s)`
    : "then one step midway between the capacity and the next rate";
}

export interface CapacityReading {
  readonly step?: RateStep;
  /** Rates below `step` whose counted attempt failed while disturbed: they were not let veto it. */
  readonly disturbedVetoRates: readonly number[];
}

/**
 * The step at the highest rate within capacity (p99 at or under the limit, no errors, the rate
 * sent) such that every lower rate measured was within capacity too, in its counted attempt. A
 * lower step whose counted attempt failed while disturbed (so every attempt was: the least
 * disturbed counts) was measured again already and does not veto a higher one; the reading names
 * it. No step when no rate passes.
 */
export function readCapacity(steps: readonly RateStep[], rules: StepRules): CapacityReading {
  let best: RateStep | undefined;
  const disturbedVetoRates: number[] = [];
  let pending: number[] = [];
  for (const step of [...steps].sort((a, b) => a.ratePerSecond - b.ratePerSecond)) {
    if (withinCapacity(step, rules)) {
      best = step;
      disturbedVetoRates.push(...pending);
      pending = [];
    } else if (isDisturbed(step.interference, rules)) {
      pending.push(step.ratePerSecond);
    } else {
      break;
    }
  }
  return { step: best, disturbedVetoRates };
}

export interface Capacity {
  /** Requests per second on one Flipt core at p99 ≤ capacityP99Ms; undefined when even the first rate was over. */
  readonly requestsPerSecond?: number;
  /** requestsPerSecond × flags per request. */
  readonly evaluationsPerSecond?: number;
  readonly p99Ms?: number;
  /** The lowest measured rate above the capacity, and its p99: the capacity lies between the two. */
  readonly nextRatePerSecond?: number;
  readonly nextP99Ms?: number;
  /** Lower rates that failed only while disturbed and so did not veto the capacity; absent before schema 2. */
  readonly disturbedVetoRates?: readonly number[];
}

export function capacity(steps: readonly RateStep[], rules: StepRules, flagsPerRequest: number): Capacity {
  const { step: best, disturbedVetoRates } = readCapacity(steps, rules);
  const bound = best?.ratePerSecond ?? 0;
  const next = steps.filter((s) => s.ratePerSecond > bound).sort((a, b) => a.ratePerSecond - b.ratePerSecond)[0];
  return {
    requestsPerSecond: best?.ratePerSecond,
    evaluationsPerSecond: best ? best.ratePerSecond * flagsPerRequest : undefined,
    p99Ms: best?.latencyMs.p99,
    nextRatePerSecond: next?.ratePerSecond,
    nextP99Ms: next?.latencyMs.p99,
    disturbedVetoRates,
  };
}
