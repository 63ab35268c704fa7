import { RELAY, RELAY_OBJECTS } from "./flagsRelayContract";
import { Settings } from "../settings/types";
import { relayLabels } from "./flagsRelay";
import { FLIPT_METRICS, KUBE_STATE_METRICS, RELAY_LABELS, RELAY_SERIES, SCRAPE_METRICS } from "./fliptMetrics";
import { ObjectSpec } from "./kubernetes";
import { FLIPT, commonLabels, objectNames, relaySelectorLabels, selectorLabels } from "./names";

/** The `job` label of Flipt's series: the Prometheus Operator sets it to the Service's name. */
export const FLIPT_JOB = objectNames().service;

/** Matchers that pick one stack's Flipt targets; `namespace` may be a dashboard variable. */
export function fliptMatchers(namespace: string): string {
  return `namespace="${namespace}", job="${FLIPT_JOB}"`;
}

/** The `job` label of the flags relay's series (its Service's name). */
export const RELAY_JOB = RELAY_OBJECTS.service;

/** Matchers that pick one stack's flags relay; `namespace` may be a dashboard variable. */
export function relayMatchers(namespace: string): string {
  return `namespace="${namespace}", job="${RELAY_JOB}"`;
}

const PROM_UNIT_SECONDS: Record<string, number> = { y: 31_536_000, w: 604_800, d: 86_400, h: 3600, m: 60, s: 1, ms: 0.001 };

/** Seconds in a Prometheus duration (`1m30s` → 90); the settings parser has already validated the form. */
export function promDurationSeconds(value: string): number {
  let total = 0;
  for (const part of value.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += Number(part[1]) * PROM_UNIT_SECONDS[part[2]];
  return total;
}

/** A whole number of seconds as a Prometheus duration: 120 → `2m`, 90 → `90s`. */
export function promDuration(seconds: number): string {
  const whole = Math.ceil(seconds);
  return whole % 60 === 0 ? `${whole / 60}m` : `${whole}s`;
}

/** Range of `rate()` in alerts: 5m, or four scrapes when scraping is slower. */
export function alertRateWindow(settings: Settings): string {
  return promDuration(Math.max(300, 4 * promDurationSeconds(settings.monitoring.scrapeInterval)));
}

/** Four scrapes, at least a minute: the shortest range in which `increase()` reliably sees a counter step. */
export function scrapeWindowSeconds(settings: Settings): number {
  return Math.max(60, 4 * promDurationSeconds(settings.monitoring.scrapeInterval));
}

/**
 * Range in which a Git sync error counts as "still failing": at least four scrapes and three polls,
 * so one failed poll is seen but does not by itself last the alert's `for`.
 */
export function gitSyncErrorWindow(settings: Settings): string {
  return promDuration(Math.max(scrapeWindowSeconds(settings), 3 * settings.git.pollIntervalSeconds));
}

/** ServiceMonitor and PrometheusRule labels: ours, plus the ones the operator selects on (e.g. `release`). */
function monitoringLabels(settings: Settings): Record<string, string> {
  return { ...commonLabels(settings), ...settings.monitoring.extraLabels };
}

interface ScrapeTarget {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly port: string;
  readonly path: string;
}

function scrapeSpec(settings: Settings, target: ScrapeTarget): ObjectSpec {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: target.name, namespace: settings.namespace, labels: target.labels },
    spec: {
      selector: { matchLabels: target.selector },
      namespaceSelector: { matchNames: [settings.namespace] },
      endpoints: [{ port: target.port, path: target.path, scheme: "http", interval: settings.monitoring.scrapeInterval }],
    },
  };
}

export function serviceMonitorSpec(settings: Settings): ObjectSpec {
  return scrapeSpec(settings, {
    name: objectNames().serviceMonitor,
    labels: monitoringLabels(settings),
    selector: selectorLabels(settings),
    port: FLIPT.httpPortName,
    path: FLIPT.metricsPath,
  });
}

/** The relay's ServiceMonitor: Flipt's conventions (interval, operator labels), the relay's Service. */
export function relayServiceMonitorSpec(settings: Settings): ObjectSpec {
  return scrapeSpec(settings, {
    name: RELAY_OBJECTS.serviceMonitor,
    labels: { ...relayLabels(settings), ...settings.monitoring.extraLabels },
    selector: relaySelectorLabels(settings),
    port: RELAY.portName,
    path: RELAY.metricsPath,
  });
}

export type Severity = "critical" | "warning";

/** One alerting rule in Prometheus' rule-file form (the PrometheusRule CRD uses the same shape). */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: { readonly severity: Severity; readonly [label: string]: string };
  readonly annotations: { readonly summary: string; readonly description: string };
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** The alert names, used by the rules, the tests and the alert runbook in docs/operating.md. */
export const ALERTS = {
  down: "FliptDown",
  gitSyncFailing: "FliptGitSyncFailing",
  evaluationErrors: "FliptEvaluationErrors",
  latencyHigh: "FliptEvaluationLatencyHigh",
  restarting: "FliptRestarting",
  autoscalerAtMaximum: "FliptAutoscalerAtMaximum",
  relayDown: "FliptRelayDown",
  relayUpstreamUnreachable: "FliptRelayUpstreamUnreachable",
  relayCommitHeldBack: "FliptRelayCommitHeldBack",
  relayOverrideActive: "FliptRelayOverrideActive",
} as const;

/** The relay's alerts: only a stack with the relay has them. */
export const RELAY_ALERTS: readonly string[] = [ALERTS.relayDown, ALERTS.relayUpstreamUnreachable, ALERTS.relayCommitHeldBack, ALERTS.relayOverrideActive];

/** Thresholds of the relay's alerts, in seconds: the Git host unreachable, an override left in place. */
export const RELAY_UPSTREAM_UNREACHABLE_SECONDS = 600;
export const RELAY_OVERRIDE_ACTIVE_SECONDS = 3600;
/** A held-back head stays held back until another commit lands, so a minute only rules out a glitch. */
export const RELAY_HELD_BACK_FOR = "1m";

/** With autoscaling: the autoscaler has run at its maximum this long, so load beyond it lands on p99. */
export const AUTOSCALER_AT_MAXIMUM_FOR = "15m";

/** 0.015 → "1.5%", without floating-point noise. */
function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}%`;
}

/** Alerts a team pages (critical) or tickets (warning) on, with thresholds from the stack's config. */
export function fliptAlertRules(settings: Settings): RuleGroup[] {
  const ns = settings.namespace;
  const target = fliptMatchers(ns);
  const { alerts } = settings.monitoring;
  const rate = alertRateWindow(settings);
  const m = FLIPT_METRICS;
  const evaluationCalls = `${target}, grpc_service=~"${m.evaluationGrpcServices}"`;
  const rules: AlertRule[] = [
    {
      alert: ALERTS.down,
      // absent(… == 1) covers both "no target discovered" and "every target failing its scrape".
      expr: `absent(${SCRAPE_METRICS.up}{${target}} == 1)`,
      for: "5m",
      labels: { severity: "critical", namespace: ns },
      annotations: {
        summary: `Flipt in ${ns} is down`,
        description: `No Flipt scrape target in namespace ${ns} has been up for 5 minutes; flag evaluations fail or fall back to client defaults.`,
      },
    },
    {
      alert: ALERTS.gitSyncFailing,
      expr: `sum by (namespace, pod) (increase(${m.gitSyncErrors}{${target}}[${gitSyncErrorWindow(settings)}])) > 0`,
      for: `${alerts.gitSyncFailingMinutes}m`,
      labels: { severity: "warning" },
      annotations: {
        summary: `Flipt cannot sync flags from Git`,
        description:
          `Git sync errors of {{ $labels.pod }} in {{ $labels.namespace }} kept increasing for ${alerts.gitSyncFailingMinutes} minutes ` +
          `({{ $value | humanize }} in the last ${gitSyncErrorWindow(settings)}); Flipt is serving the last good snapshot of ${settings.git.ref}.`,
      },
    },
    {
      alert: ALERTS.evaluationErrors,
      // Evaluation API calls answered with an error code. Flipt v1.61's own error counter misses most
      // failures (boolean flags never count one; failed lookups are counted before it), so the gRPC
      // codes are the measure. NotFound (an unknown flag, which callers treat as off) is not an error.
      expr:
        `sum by (namespace) (rate(${m.grpcHandled}{${evaluationCalls}, grpc_code!~"OK|NotFound"}[${rate}]))` +
        ` / sum by (namespace) (rate(${m.grpcHandled}{${evaluationCalls}}[${rate}])) > ${alerts.evaluationErrorRatio}`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Flipt evaluation errors above ${percent(alerts.evaluationErrorRatio)}`,
        description: `{{ $value | humanizePercentage }} of flag evaluation calls in {{ $labels.namespace }} were answered with an error code (not counting NotFound) over the last ${rate} (threshold ${percent(alerts.evaluationErrorRatio)}).`,
      },
    },
    {
      alert: ALERTS.latencyHigh,
      expr:
        `histogram_quantile(0.99, sum by (namespace, le) (rate(${m.evaluationLatencyBucket}{${target}}[${rate}])))` +
        ` > ${alerts.latencyP99Ms}`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Flipt evaluation latency p99 above ${alerts.latencyP99Ms} ms`,
        description: `p99 of flag evaluation latency in {{ $labels.namespace }} is {{ $value | humanize }} ms over the last ${rate} (threshold ${alerts.latencyP99Ms} ms).`,
      },
    },
    {
      alert: ALERTS.restarting,
      expr:
        `increase(${KUBE_STATE_METRICS.containerRestarts}{namespace="${ns}", container="${FLIPT.name}"}[1h])` +
        ` > ${alerts.restartsPerHour}`,
      labels: { severity: "warning" },
      annotations: {
        summary: `Flipt container restarting`,
        description: `Container ${FLIPT.name} of {{ $labels.pod }} in {{ $labels.namespace }} restarted {{ $value | humanize }} times in the last hour (threshold ${alerts.restartsPerHour}).`,
      },
    },
  ];
  if (settings.autoscaling) {
    const hpa = `namespace="${ns}", horizontalpodautoscaler="${objectNames().autoscaler}"`;
    rules.push({
      alert: ALERTS.autoscalerAtMaximum,
      expr:
        `max by (namespace) (${KUBE_STATE_METRICS.autoscalerCurrentReplicas}{${hpa}})` +
        ` >= max by (namespace) (${KUBE_STATE_METRICS.autoscalerMaxReplicas}{${hpa}})`,
      for: AUTOSCALER_AT_MAXIMUM_FOR,
      labels: { severity: "warning" },
      annotations: {
        summary: `Flipt's autoscaler is at its maximum`,
        description:
          `The HorizontalPodAutoscaler of Flipt in {{ $labels.namespace }} has run ${settings.autoscaling.maxReplicas} pods (autoscalingMaxReplicas) ` +
          `for ${AUTOSCALER_AT_MAXIMUM_FOR}: evaluations beyond their capacity queue and p99 rises.`,
      },
    });
  }
  if (settings.relay) rules.push(...relayAlertRules(settings));
  return [{ name: `flipt.${ns}`, rules }];
}

/**
 * The relay's alerts. A relay that is down exports nothing, so the three on its own series go
 * quiet with it; FliptRelayDown (absent, as FliptDown) covers that case.
 */
function relayAlertRules(settings: Settings): AlertRule[] {
  const ns = settings.namespace;
  const target = relayMatchers(ns);
  const r = RELAY_SERIES;
  // The thresholds are in the expressions; `for` only rides out a restarting relay's first seconds.
  const settle = promDuration(scrapeWindowSeconds(settings));
  const inWords = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} hour${seconds === 3600 ? "" : "s"}` : `${seconds / 60} minutes`);
  return [
    {
      alert: ALERTS.relayDown,
      expr: `absent(${SCRAPE_METRICS.up}{${target}} == 1)`,
      for: "5m",
      labels: { severity: "warning", namespace: ns },
      annotations: {
        summary: `The flags relay in ${ns} is down`,
        description:
          `The flags relay in namespace ${ns} has not been scraped successfully for 5 minutes. Running Flipt pods keep serving their last flags, ` +
          `but no flag change or override reaches them, and a Flipt pod that starts now cannot clone its flags.`,
      },
    },
    {
      alert: ALERTS.relayUpstreamUnreachable,
      expr: `time() - max by (namespace) (${r.upstreamLastSuccess}{${target}}) > ${RELAY_UPSTREAM_UNREACHABLE_SECONDS}`,
      for: settle,
      labels: { severity: "warning" },
      annotations: {
        summary: `The flags relay cannot reach the Git host`,
        description:
          `The flags relay in {{ $labels.namespace }} last fetched ${settings.git.ref} from ${settings.git.repository} {{ $value | humanizeDuration }} ago ` +
          `(threshold ${inWords(RELAY_UPSTREAM_UNREACHABLE_SECONDS)}). Flipt keeps serving the relay's last good commit; new commits do not arrive. ` +
          `An urgent flag change goes through npm run flags -- override.`,
      },
    },
    {
      alert: ALERTS.relayCommitHeldBack,
      expr: `max by (namespace) (${r.heldBack}{${target}}) == 1`,
      for: RELAY_HELD_BACK_FOR,
      labels: { severity: "warning" },
      annotations: {
        summary: `The flags relay is holding back ${settings.git.ref}'s head`,
        description:
          `The head of ${settings.git.ref} fails the flags checks (npm run flags -- lint), so the flags relay in {{ $labels.namespace }} holds it back ` +
          `and Flipt serves the last good commit. npm run flags -- override --stack ${settings.stack} --status and the relay's log name the commit and its problems; fix ${settings.git.ref} with a revert.`,
      },
    },
    {
      alert: ALERTS.relayOverrideActive,
      expr: `time() - max by (namespace, ${RELAY_LABELS.flag}) (${r.overrideStarted}{${target}}) > ${RELAY_OVERRIDE_ACTIVE_SECONDS}`,
      for: settle,
      labels: { severity: "warning" },
      annotations: {
        summary: `A break-glass flag override has been active for over ${inWords(RELAY_OVERRIDE_ACTIVE_SECONDS)}`,
        description:
          `The override of {{ $labels.${RELAY_LABELS.flag} }} in {{ $labels.namespace }} began {{ $value | humanizeDuration }} ago and ${settings.git.ref} does not serve its value yet. ` +
          `Merge the pull request that makes it permanent (the override then ends by itself), or end it: ` +
          `npm run flags -- override --stack ${settings.stack} --flag {{ $labels.${RELAY_LABELS.flag} }} --clear.`,
      },
    },
  ];
}

export function prometheusRuleSpec(settings: Settings): ObjectSpec {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: objectNames().prometheusRule, namespace: settings.namespace, labels: monitoringLabels(settings) },
    spec: { groups: fliptAlertRules(settings) },
  };
}

/** The Prometheus Operator objects, or none when the stack says the cluster has no operator. */
export function monitoringObjectSpecs(settings: Settings): ObjectSpec[] {
  if (!settings.monitoring.serviceMonitorEnabled) return [];
  const relay = settings.relay ? [relayServiceMonitorSpec(settings)] : [];
  return [serviceMonitorSpec(settings), ...relay, prometheusRuleSpec(settings)];
}
