/**
 * N service targets for the scale benchmark, as a stack file lists them (`services` entries):
 * each service in a namespace of its own with a ConfigMap of its own that the stack patches
 * (`<namespace>/<name>?configMap=<existing>`), the way dev lists llm-gateway and maestro-api.
 * Pure and small: the measured child processes import it.
 */
import type { ConfigInput } from "../../settings/parse";

/** The stack whose configuration the generated services replace dev's in. */
export const SERVICES_BASE_STACK = "dev";

/** `team-007/svc-007?configMap=svc-007-env` for i = 7: deterministic, valid DNS labels, sorted as listed. */
export function serviceEntries(count: number): string[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count: expected a whole number of services, found ${count}`);
  const width = Math.max(3, String(count).length);
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(width, "0");
    return `team-${n}/svc-${n}?configMap=svc-${n}-env`;
  });
}

/** The stack's configuration with its `services` replaced by `count` generated ones; every other value kept. */
export function withServices(input: ConfigInput, count: number): ConfigInput {
  return { ...input, values: { ...input.values, services: serviceEntries(count) } };
}
