/**
 * The one rate ladder the latency and transport sections climb. For each load (a request kind, a
 * transport): an unmeasured warm-up at the first rate, then steps of constant arrival rate, each
 * read together with what else ran on Flipt's pinned core and measured again while that disturbed
 * it (rateSteps.measureStep), and a pause for Flipt's queues to drain after a step that ends the
 * climb. Several loads take turns at each step, so a disturbance of the shared host that lasts
 * minutes touches them all. Which rate comes next is the plan's: the latency section's adaptive
 * climb (adaptiveRates) or a fixed list (fixedRates), each followed by refinement steps of 500 req/s
 * between the capacity and the first failing rate.
 */
import { sleep } from "../../scripts/lib/processes";
import { withInterference } from "./cpuShare";
import { CpuPinning, pinnedCores } from "./pinning";
import { NextStep, RateStep, StepMeasurement, StepRules, isDisturbed, measureStep, nextRate, rateStep, refinementRate, stepSeconds } from "./rateSteps";

/** One load the ladder climbs. */
export interface LadderLoad {
  /** Names its attacks: `<name>-warmup`, `<name>-<rate>-<attempt>`. */
  readonly name: string;
  /** One attack at a constant rate for `durationSeconds`, as sent and answered; the ladder reads the host around it. */
  attack(name: string, ratePerSecond: number, durationSeconds: number): Promise<Omit<StepMeasurement, "interference">>;
  /** After each step. */
  onStep?(step: RateStep): void;
  /** Before an attempt that was disturbed is measured again. */
  onDisturbed?(ratePerSecond: number, attempt: number, measurement: StepMeasurement): void;
}

export interface LadderPlan {
  /** The first step (after none) and each after `steps`, in the order measured; undefined when the load is done. */
  next(steps: readonly RateStep[]): NextStep | undefined;
  /** Whether `step` ends the load's climb (it overloaded Flipt): Flipt then gets time to drain its queues. */
  stopsClimb(step: RateStep): boolean;
}

export interface LadderSettings {
  readonly rules: StepRules;
  readonly plan: LadderPlan;
  /** The unmeasured run at the first rate before each load's first step; 0 for none. */
  readonly warmupSeconds: number;
  /** Flipt's core and the load generators': what else ran on Flipt's is read around every attack. */
  readonly pinning: CpuPinning;
  /** Flipt's process (on pinning.flipt): its own CPU is told apart from the others'. */
  readonly fliptPid: number;
  /** The pause after a step that ends a climb; SETTLE_AFTER_STOP_MS unless given. */
  readonly settleMs?: number;
}

/** After a step that overloaded Flipt, time for its queues to drain before the next one. */
export const SETTLE_AFTER_STOP_MS = 5000;
/**
 * Bounds every ladder whatever the plan says: FIRST_RATES and doublings (up to 10 to maxRate), then
 * refinement steps of 500 req/s (7 between 4,000 and 8,000).
 */
export const MAX_STEPS = 24;

/** The latency section's climb: FIRST_RATES, then doubling until a step stops it, then the refinement steps (rateSteps.nextRate). */
export function adaptiveRates(rules: StepRules): LadderPlan {
  return { next: (steps) => nextRate(steps, rules), stopsClimb: (step) => step.stopReason !== undefined };
}

/**
 * The given rates in order, then the refinement steps between the capacity and the first failing
 * rate (rateSteps.refinementRate). A load leaves the list at its first step that stops a ladder
 * unless that step was disturbed (others + steal on Flipt's core over the limit, after its
 * re-measure): the host, not the load, failed it, as readCapacity does not let it veto.
 */
export function fixedRates(rates: readonly number[], rules: StepRules): LadderPlan {
  const stopsClimb = (step: RateStep) => step.stopReason !== undefined && !isDisturbed(step.interference, rules);
  return {
    next: (steps) => {
      const listed = steps.filter((s) => !s.refinement);
      const last = listed[listed.length - 1];
      const rate = rates[listed.length];
      if ((last === undefined || !stopsClimb(last)) && rate !== undefined) return { ratePerSecond: rate, refinement: false };
      return refinementRate(steps, rules);
    },
    stopsClimb,
  };
}

/** One step by the re-measure rule: the attack, with the host read around it, as often as it was disturbed. */
async function measureRate(load: LadderLoad, next: NextStep, settings: LadderSettings): Promise<RateStep> {
  const { rules } = settings;
  const rate = next.ratePerSecond;
  const durationSeconds = stepSeconds(rate, rules);
  const measureOnce = async (attempt: number): Promise<StepMeasurement> => {
    const { value, interference } = await withInterference(pinnedCores(settings.pinning), settings.fliptPid, () => load.attack(`${load.name}-${rate}-${attempt}`, rate, durationSeconds));
    return { ...value, interference };
  };
  const attempts = await measureStep(measureOnce, rules, (attempt, measurement) => load.onDisturbed?.(rate, attempt, measurement));
  return rateStep({ ratePerSecond: rate, durationSeconds, refinement: next.refinement }, attempts, rules);
}

/** Every load's warm-up, then their ladders in turns, step by step; each load's steps in the order measured. */
export async function climbLadders(loads: readonly LadderLoad[], settings: LadderSettings): Promise<RateStep[][]> {
  const { plan } = settings;
  const steps = loads.map((): RateStep[] => []);
  const first = plan.next([]);
  if (first === undefined) return steps;
  if (settings.warmupSeconds > 0) for (const load of loads) await load.attack(`${load.name}-warmup`, first.ratePerSecond, settings.warmupSeconds);
  const pending: (NextStep | undefined)[] = loads.map(() => first);
  while (pending.some((next) => next !== undefined)) {
    for (const [i, load] of loads.entries()) {
      const next = pending[i];
      if (next === undefined) continue;
      const step = await measureRate(load, next, settings);
      steps[i].push(step);
      load.onStep?.(step);
      if (plan.stopsClimb(step)) await sleep(settings.settleMs ?? SETTLE_AFTER_STOP_MS);
      pending[i] = steps[i].length < MAX_STEPS ? plan.next(steps[i]) : undefined;
    }
  }
  return steps;
}
