/**
 * Sizing from the latency section's capacity per core: evaluations per second per pod at dev's and
 * prod's CPU limits, and the replicas a stated peak needs at a planned share of that capacity.
 */
import { readStack } from "../../settings/stackFiles";
import { quantityValue } from "../../settings/validators";
import type { Storage } from "../lib/targets";
import type { RequestKind } from "../load/vegeta";
import type { KindRun } from "./ladders";
import { kindSpreads } from "./repeats";

export interface SizingAssumptions {
  /** Evaluations per second at the busiest moment, all services together. */
  readonly peakEvaluationsPerSecond: number;
  /** Share of a pod's capacity planned for (0.5: a pod runs at half of what keeps p99 ≤ 5 ms at peak). */
  readonly plannedUtilisation: number;
}

/** The peak and headroom the README's replica count is computed for. */
export const SIZING_ASSUMPTIONS: SizingAssumptions = { peakEvaluationsPerSecond: 10_000, plannedUtilisation: 0.5 };

export interface StackSizing {
  readonly stack: string;
  readonly cpuLimitMillicores: number;
  /** Evaluations per second a pod serves within capacity at its CPU limit (per-core capacity × limit). */
  readonly evaluationsPerSecondPerPod: number;
  /** Pods for the stated peak at the planned utilisation, and never fewer than the stack runs. */
  readonly replicasForPeak: number;
  /** The fixed replicas, or with autoscaling the fewest. */
  readonly configuredReplicas: number;
  /** With autoscaling, the most pods the autoscaler may run; absent for fixed replicas (and in older files). */
  readonly autoscalingMaxReplicas?: number;
}

export function stackSizing(
  stack: string,
  cpuLimitMillicores: number,
  configuredReplicas: number,
  evaluationsPerSecondPerCore: number,
  assumptions: SizingAssumptions,
  autoscalingMaxReplicas?: number,
): StackSizing {
  if (!(evaluationsPerSecondPerCore > 0)) throw new Error(`no capacity to size ${stack} from`);
  const perPod = evaluationsPerSecondPerCore * (cpuLimitMillicores / 1000);
  const needed = Math.ceil(assumptions.peakEvaluationsPerSecond / (perPod * assumptions.plannedUtilisation));
  return {
    stack, cpuLimitMillicores, evaluationsPerSecondPerPod: perPod, replicasForPeak: Math.max(needed, configuredReplicas), configuredReplicas,
    ...(autoscalingMaxReplicas !== undefined ? { autoscalingMaxReplicas } : {}),
  };
}

export interface LatencySizing {
  readonly assumptions: SizingAssumptions;
  readonly storage: Storage;
  readonly byKind: Partial<Record<RequestKind, readonly StackSizing[]>>;
}

/** Per-pod throughput and replicas at dev's and prod's CPU limits, from the per-core capacity (the median across rounds). */
export function sizingFor(runs: readonly KindRun[], storage: Storage, assumptions: SizingAssumptions): LatencySizing {
  const byKind: Partial<Record<RequestKind, StackSizing[]>> = {};
  for (const spread of kindSpreads(runs).filter((s) => s.storage === storage)) {
    const perCore = spread.capacityRequestsPerSecond.median * spread.flagsPerRequest;
    if (!(perCore > 0)) continue;
    byKind[spread.kind] = ["dev", "prod"].map((stack) => {
      const settings = readStack(stack).settings;
      const cpuLimit = quantityValue(settings.resources.limits.cpu);
      if (cpuLimit === undefined) throw new Error(`${stack} cpuLimit ${JSON.stringify(settings.resources.limits.cpu)} is not a Kubernetes quantity`);
      return stackSizing(stack, cpuLimit * 1000, settings.replicas, perCore, assumptions, settings.autoscaling?.maxReplicas);
    });
  }
  return { assumptions, storage, byKind };
}
