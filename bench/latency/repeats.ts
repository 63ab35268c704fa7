/**
 * The figures of repeated ladders (`--repeat N`): per request kind and storage, per rate, the
 * median and range of p50 and p99 across the rounds (each round's counted attempts), and of the
 * capacity. With one round the median is that round's figure and the range is empty.
 */
import { Spread, spread } from "../lib/stats";
import type { Storage } from "../lib/targets";
import type { RequestKind } from "../load/vegeta";
import type { KindRun } from "./ladders";

export interface StepSpread {
  readonly ratePerSecond: number;
  /** Rounds that measured this rate: a refinement rate or the stop can differ between rounds. */
  readonly rounds: number;
  readonly p50Ms: Spread;
  readonly p99Ms: Spread;
}

export interface KindSpread {
  readonly storage: Storage;
  readonly kind: RequestKind;
  readonly flagsPerRequest: number;
  readonly rounds: number;
  readonly steps: readonly StepSpread[];
  /** Capacity per core (req/s) across the rounds; 0 for a round in which no rate passed. */
  readonly capacityRequestsPerSecond: Spread;
}

function stepSpreads(runs: readonly KindRun[]): StepSpread[] {
  const rates = [...new Set(runs.flatMap((run) => run.steps.map((s) => s.ratePerSecond)))].sort((a, b) => a - b);
  return rates.map((ratePerSecond) => {
    const steps = runs.flatMap((run) => run.steps.filter((s) => s.ratePerSecond === ratePerSecond));
    return {
      ratePerSecond,
      rounds: steps.length,
      p50Ms: spread(steps.map((s) => s.latencyMs.p50)),
      p99Ms: spread(steps.map((s) => s.latencyMs.p99)),
    };
  });
}

/** One spread per storage and request kind, in the order the runs were measured. */
export function kindSpreads(runs: readonly KindRun[]): KindSpread[] {
  const groups = new Map<string, KindRun[]>();
  for (const run of runs) {
    const key = `${run.storage}/${run.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((group) => ({
    storage: group[0].storage,
    kind: group[0].kind,
    flagsPerRequest: group[0].flagsPerRequest,
    rounds: group.length,
    steps: stepSpreads(group),
    capacityRequestsPerSecond: spread(group.map((run) => run.capacity.requestsPerSecond ?? 0)),
  }));
}
