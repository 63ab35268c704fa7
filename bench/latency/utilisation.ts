/**
 * Flipt's CPU utilisation of its one core at each step (the step's `interference.fliptMillicores`,
 * its own CPU time over the attack), and the figure an autoscaler's target is taken from: the
 * highest utilisation at which p99 ≤ capacityP99Ms held, over the steps within capacity (the
 * capacity's rate and the rates below it that passed, counted attempts). Per request kind and
 * storage, per round, and the median across rounds.
 */
import { readStack } from "../../settings/stackFiles";
import { quantityValue } from "../../settings/validators";
import { RateStep, StepRules, readCapacity, withinCapacity } from "../lib/rateSteps";
import { Spread, spread } from "../lib/stats";
import type { Storage } from "../lib/targets";
import type { RequestKind } from "../load/vegeta";
import type { KindRun } from "./ladders";

/** The step at which Flipt used the most of its core while p99 held. */
export interface UtilisationReading {
  readonly ratePerSecond: number;
  readonly p99Ms: number;
  /** Flipt's own CPU over the step (millicores of its one core). */
  readonly fliptMillicores: number;
}

export interface KindUtilisation {
  readonly storage: Storage;
  readonly kind: RequestKind;
  /** One per round, in round order; undefined for a round with no step within capacity. */
  readonly rounds: readonly (UtilisationReading | undefined)[];
  /** Across the rounds that had a reading (millicores); absent when none had. */
  readonly fliptMillicores?: Spread;
}

/** What an autoscaler's utilisation is a share of: prod's CPU request, and its limit (one core). */
export interface StackCpu {
  readonly stack: string;
  readonly requestMillicores: number;
  readonly limitMillicores: number;
}

export interface LatencyUtilisation {
  readonly byKind: readonly KindUtilisation[];
  readonly prodCpu: StackCpu;
}

/** The share of one core (1000 millicores), 0–1. */
export function coreShare(millicores: number): number {
  return millicores / 1000;
}

/**
 * The highest Flipt CPU among the steps within capacity: the capacity's step and every lower step
 * that passed (a lower step that failed while disturbed did not veto the capacity, and is not a
 * step at which p99 held). Undefined when no step is within capacity or none recorded Flipt's CPU.
 */
export function highestUtilisationWithinCapacity(steps: readonly RateStep[], rules: StepRules): UtilisationReading | undefined {
  const capacityStep = readCapacity(steps, rules).step;
  if (!capacityStep) return undefined;
  const held = steps.filter((s) => s.ratePerSecond <= capacityStep.ratePerSecond && withinCapacity(s, rules) && s.interference !== undefined);
  if (held.length === 0) return undefined;
  const top = held.reduce((a, b) => (b.interference!.fliptMillicores > a.interference!.fliptMillicores ? b : a));
  return { ratePerSecond: top.ratePerSecond, p99Ms: top.latencyMs.p99, fliptMillicores: top.interference!.fliptMillicores };
}

/** Per storage and request kind, in the order measured: each round's reading and their median. */
export function kindUtilisations(runs: readonly KindRun[], rules: StepRules): KindUtilisation[] {
  const groups = new Map<string, KindRun[]>();
  for (const run of runs) groups.set(`${run.storage}/${run.kind}`, [...(groups.get(`${run.storage}/${run.kind}`) ?? []), run]);
  return [...groups.values()].map((group) => {
    const rounds = [...group].sort((a, b) => a.round - b.round).map((run) => highestUtilisationWithinCapacity(run.steps, rules));
    const readings = rounds.filter((r): r is UtilisationReading => r !== undefined);
    return { storage: group[0].storage, kind: group[0].kind, rounds, fliptMillicores: readings.length > 0 ? spread(readings.map((r) => r.fliptMillicores)) : undefined };
  });
}

/** A stack's CPU request and limit in millicores, from its stack file. */
export function stackCpu(stack: string): StackCpu {
  const { resources } = readStack(stack).settings;
  const millicores = (value: string, key: string) => {
    const cores = quantityValue(value);
    if (cores === undefined) throw new Error(`${stack} ${key} ${JSON.stringify(value)} is not a Kubernetes quantity`);
    return cores * 1000;
  };
  return { stack, requestMillicores: millicores(resources.requests.cpu, "cpuRequest"), limitMillicores: millicores(resources.limits.cpu, "cpuLimit") };
}
