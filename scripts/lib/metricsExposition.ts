/**
 * Reading Flipt's Prometheus exposition (the text of its /metrics endpoint): a metric's value over
 * all label sets, and whether it is declared at all. The end-to-end tests and the bench read it.
 */
import { FLIPT_METRICS } from "../../builders/fliptMetrics";

/** Flipt v1.61.1's counter of failed Git syncs (internal/storage/fs/git/metrics.go). */
export const GIT_SYNC_ERRORS = FLIPT_METRICS.gitSyncErrors;

/**
 * The sum of a metric's samples over all label sets (or those with `labels`), or undefined when the exposition has none
 * (an OpenTelemetry counter appears only after its first increment).
 */
export function metricValue(exposition: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  let sum: number | undefined;
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of exposition.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (match && match[1] === name && wanted.every((w) => (match[2] ?? "").includes(w))) sum = (sum ?? 0) + Number(match[3]);
  }
  return sum;
}

/** Whether the exposition declares the metric at all (HELP/TYPE or a sample). */
export function declaresMetric(exposition: string, name: string): boolean {
  return exposition.split("\n").some((line) => line.startsWith(`# TYPE ${name} `) || line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}
