/**
 * The Prometheus series the dashboard and alerts may use, defined once. Checked against
 * Flipt v1.61.1's source (internal/server/metrics/metrics.go, internal/storage/fs/git/metrics.go,
 * internal/cmd/grpc.go, internal/cmd/http.go) and its /metrics output.
 *
 * Flipt records these through OpenTelemetry and exposes them with the OTel Prometheus exporter,
 * which adds `_total` to counters and the unit to histograms (`ms` → `_milliseconds`, `s` → `_seconds`).
 */

import { RELAY_METRICS } from "./flagsRelayContract";

/** Label values Flipt attaches; `namespace` is Flipt's namespace key, not Kubernetes'. */
export const FLIPT_LABELS = {
  flag: "flag",
  /**
   * Flipt's own `namespace` label collides with the target label the Prometheus Operator adds
   * (the Kubernetes namespace), so Prometheus keeps it as `exported_namespace` (honorLabels: false).
   */
  fliptNamespace: "exported_namespace",
  value: "value",
  reason: "reason",
} as const;

export const FLIPT_METRICS = {
  /** Counter {namespace, flag}: every evaluation of a flag that exists. */
  evaluationRequests: "flipt_evaluations_requests_total",
  /** Counter {namespace, flag, value, reason, type[, match, segment]}: successful evaluations by result. */
  evaluationResults: "flipt_evaluations_results_total",
  /** Counter {namespace, flag}: evaluations that failed after the flag was found (absent until the first one). */
  evaluationErrors: "flipt_evaluations_errors_total",
  /** Histogram {namespace, flag} in milliseconds (OTel default buckets: 0, 5, 10, 25, 50, …). */
  evaluationLatencyBucket: "flipt_evaluations_latency_milliseconds_bucket",
  evaluationLatencySum: "flipt_evaluations_latency_milliseconds_sum",
  evaluationLatencyCount: "flipt_evaluations_latency_milliseconds_count",
  /** Histogram of Git sync durations in seconds; `_count` is the number of sync attempts. */
  gitSyncLatencyBucket: "flipt_git_sync_latency_seconds_bucket",
  gitSyncLatencySum: "flipt_git_sync_latency_seconds_sum",
  gitSyncLatencyCount: "flipt_git_sync_latency_seconds_count",
  /** Counter: adds the flag count of every snapshot a sync rebuilds (a change, or a retry after a failed fetch). */
  gitSyncFlags: "flipt_git_sync_flags_total",
  /** Counter: failed sync attempts. */
  gitSyncErrors: "flipt_git_sync_errors_total",
  /** Gauge: Unix time of the last sync attempt, successful or not; 0 until the first poll. */
  gitSyncLastTime: "flipt_git_sync_last_time",
  /** go-grpc-prometheus (handling-time histogram enabled). */
  grpcHandled: "grpc_server_handled_total",
  /** The gRPC services behind the evaluation APIs (REST /evaluate/v1 and OFREP go through them). */
  evaluationGrpcServices: "flipt.evaluation.EvaluationService|flipt.ofrep.OFREPService",
  processStartTime: "process_start_time_seconds",
  processResidentMemory: "process_resident_memory_bytes",
  processCpuSeconds: "process_cpu_seconds_total",
  goHeapInuse: "go_memstats_heap_inuse_bytes",
} as const;

/** Families Flipt exports through the Prometheus client's default registry. */
export const FLIPT_METRIC_FAMILIES = ["grpc_server_", "go_", "process_"] as const;

/**
 * The flags relay's series (names from builders/flagsRelayContract.ts), with the poll histogram's
 * `_bucket`/`_sum`/`_count` series, which are what PromQL selects.
 */
export const RELAY_SERIES = {
  ...RELAY_METRICS,
  pollSecondsBucket: `${RELAY_METRICS.pollSeconds}_bucket`,
  pollSecondsSum: `${RELAY_METRICS.pollSeconds}_sum`,
  pollSecondsCount: `${RELAY_METRICS.pollSeconds}_count`,
} as const;

/**
 * Labels of the relay's series the alerts and panels group by, as flags-relay/relay.ts writes them
 * (the contract names the metrics, not their labels).
 */
export const RELAY_LABELS = {
  /** `applied`, `conflict` or `rejected` (OverrideState). */
  state: "state",
  /** `<namespace>/<key>`, as `npm run flags -- override --flag` takes it. */
  flag: "flag",
} as const;

/** Written by Prometheus itself for every scrape target. */
export const SCRAPE_METRICS = { up: "up" } as const;

/** From the cluster's kube-state-metrics: used by FliptRestarting only, never by the dashboard. */
export const KUBE_STATE_METRICS = {
  containerRestarts: "kube_pod_container_status_restarts_total",
  autoscalerCurrentReplicas: "kube_horizontalpodautoscaler_status_current_replicas",
  autoscalerMaxReplicas: "kube_horizontalpodautoscaler_spec_max_replicas",
} as const;

const FLIPT_NAMES: ReadonlySet<string> = new Set(Object.values(FLIPT_METRICS));
const RELAY_NAMES: ReadonlySet<string> = new Set(Object.values(RELAY_SERIES).filter((name) => name !== RELAY_METRICS.pollSeconds));

/** A series Flipt v1.61 exports (or Prometheus writes for its target): what the dashboard may query. */
export function isFliptSeries(name: string): boolean {
  return (
    FLIPT_NAMES.has(name) ||
    name === SCRAPE_METRICS.up ||
    FLIPT_METRIC_FAMILIES.some((prefix) => name.startsWith(prefix))
  );
}

/** A series the flags relay exports (the histogram by its suffixed series, not its base name). */
export function isRelaySeries(name: string): boolean {
  return RELAY_NAMES.has(name);
}

/** What the alert rules may query: Flipt's and the relay's series plus kube-state-metrics'. */
export function isAlertSeries(name: string): boolean {
  return isFliptSeries(name) || isRelaySeries(name) || Object.values<string>(KUBE_STATE_METRICS).includes(name);
}
