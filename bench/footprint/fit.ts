/**
 * Whether a stack's requests and limits fit what Flipt used, from the run made from the stack's own
 * rendered config: memory against the request and limit, idle CPU against the request, and the
 * evaluations per second the CPU limit allows.
 */
import { ResourceSettings } from "../../settings/types";
import { quantityValue } from "../../settings/validators";
import type { TargetRun } from "../lib/loadRuns";
import type { WindowFootprint } from "../lib/processFootprint";

export interface ResourceFit {
  readonly stack: string;
  readonly requests: { readonly cpuMillicores: number; readonly memoryBytes: number };
  readonly limits: { readonly cpuMillicores: number; readonly memoryBytes: number };
  /** Idle CPU at or under the request: an idle pod does not borrow CPU it did not ask for. */
  readonly idleCpuWithinRequest: boolean;
  /** Peak RSS under load at or under the request: the scheduler reserved what the pod really uses. */
  readonly memoryWithinRequest: boolean;
  /** Peak RSS under load under the limit, with the headroom left (bytes). */
  readonly memoryWithinLimit: boolean;
  readonly memoryHeadroomBytes: number;
  /** Boolean evaluations per second one pod can serve at its CPU limit, from the CPU each one cost. */
  readonly evaluationsPerSecondAtCpuLimit: number;
  readonly fits: boolean;
}

function quantity(value: string, what: string): number {
  const parsed = quantityValue(value);
  if (parsed === undefined) throw new Error(`${what} ${JSON.stringify(value)} is not a Kubernetes quantity`);
  return parsed;
}

/**
 * Whether a stack's requests and limits fit what Flipt used: idle CPU within the request, peak RSS
 * under load within the request (and so the limit). CPU under load is not held against the limit,
 * since a load generator drives any process to whatever CPU it gets; the limit instead caps the
 * throughput, reported as evaluations per second at the limit.
 */
export function resourceFit(
  stack: string,
  resources: ResourceSettings,
  idle: WindowFootprint,
  loaded: WindowFootprint,
  cpuSecondsPerEvaluation: number,
): ResourceFit {
  const requests = {
    cpuMillicores: quantity(resources.requests.cpu, `${stack} cpuRequest`) * 1000,
    memoryBytes: quantity(resources.requests.memory, `${stack} memoryRequest`),
  };
  const limits = {
    cpuMillicores: quantity(resources.limits.cpu, `${stack} cpuLimit`) * 1000,
    memoryBytes: quantity(resources.limits.memory, `${stack} memoryLimit`),
  };
  const peak = Math.max(idle.rssPeakBytes, loaded.rssPeakBytes);
  const idleCpuWithinRequest = idle.cpuMillicores <= requests.cpuMillicores;
  const memoryWithinRequest = peak <= requests.memoryBytes;
  const memoryWithinLimit = peak < limits.memoryBytes;
  return {
    stack,
    requests,
    limits,
    idleCpuWithinRequest,
    memoryWithinRequest,
    memoryWithinLimit,
    memoryHeadroomBytes: limits.memoryBytes - peak,
    evaluationsPerSecondAtCpuLimit: cpuSecondsPerEvaluation > 0 ? limits.cpuMillicores / 1000 / cpuSecondsPerEvaluation : 0,
    fits: idleCpuWithinRequest && memoryWithinRequest && memoryWithinLimit,
  };
}

/** A stack's requests and limits against the run made from its own rendered config. */
export function stackFit(stack: string, resources: ResourceSettings, run: TargetRun): ResourceFit {
  const loaded = run.loads.boolean;
  if (!run.idle || !loaded) throw new Error(`${run.name} was not measured both idle and under load`);
  return resourceFit(stack, resources, run.idle, loaded.footprint, loaded.cpuMicrosPerEvaluation / 1e6);
}
