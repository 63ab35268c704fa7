/**
 * Checks with Prometheus' own parser and rule engine (promtool): the rendered PrometheusRule,
 * each alert firing (and not firing) on synthetic series, and every dashboard query.
 */
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { fliptDashboard } from "../../builders/dashboard";
import { ALERTS, RELAY_ALERTS, RuleGroup } from "../../builders/monitoring";
import { parseSettings } from "../../settings/parse";
import { placeholderSecret, readStackConfig } from "../../settings/stackFiles";
import { renderStack } from "../../scripts/lib/renderedStack";
import { PROMTOOL_MISSING, dashboardQueries, findPromtool, promtool, substituteVariables } from "./promql";

const bin = findPromtool();
const NS = "flipt-dev";

/** The groups of the PrometheusRule `npm run render` writes for a stack. */
function renderedRuleGroups(stack: string): RuleGroup[] {
  const docs = renderStack(stack).map((f) => yaml.load(f.content) as { kind?: string; spec?: { groups: RuleGroup[] } });
  const rule = docs.find((d) => d.kind === "PrometheusRule");
  if (!rule?.spec) throw new Error(`stack ${stack} renders no PrometheusRule`);
  return rule.spec.groups;
}

describe.skipIf(!bin)(`promtool (${bin ?? PROMTOOL_MISSING})`, () => {
  const promtoolBin = bin!;

  it.each(["dev", "prod"])("accepts the PrometheusRule rendered for %s", (stack) => {
    const groups = renderedRuleGroups(stack);
    const result = promtool(promtoolBin, ["check", "rules", "rules.yml"], { "rules.yml": { groups } });
    expect(result.output).toContain(`SUCCESS: ${groups.flatMap((g) => g.rules).length} rules found`);
    expect(result.ok, result.output).toBe(true);
  });

  it("parses every dashboard query, and every variable's selector, as PromQL", () => {
    const model = fliptDashboard(parseSettings(readStackConfig("dev", placeholderSecret)));
    const queries = dashboardQueries(model).map((q) => ({ name: `${q.panel} ${q.refId}`, expr: substituteVariables(q.expr) }));
    for (const v of model.templating?.list ?? []) {
      const selector = /^label_values\((.+),\s*\w+\)$/.exec(String(v.query ?? ""))?.[1];
      if (selector) queries.push({ name: `variable ${v.name}`, expr: substituteVariables(selector) });
    }
    for (const q of queries) expect(q.expr, `${q.name} has an unknown variable`).not.toContain("$");
    // Each query as a recording rule: `promtool check rules` parses each expression with Prometheus' parser.
    const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr }));
    const result = promtool(promtoolBin, ["check", "rules", "queries.yml"], { "queries.yml": { groups: [{ name: "dashboard", rules }] } });
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  const target = `namespace="${NS}", job="flipt", pod="flipt-a"`;
  const relay = `namespace="${NS}", job="flags-relay", pod="flags-relay-a"`;
  const OLD_OVERRIDE = "platform/kill_switches--gate--control_api";
  const latencyBuckets = (counts: Record<string, string>) =>
    Object.entries(counts).map(([le, values]) => ({ series: `flipt_evaluations_latency_milliseconds_bucket{${target}, le="${le}"}`, values }));

  /** One case per alert and outcome: synthetic series at 1m resolution, and the alerts expected at `at`. */
  const CASES = [
    { alert: ALERTS.down, when: "every target is down", at: "6m", labels: { severity: "critical", namespace: NS },
      series: [{ series: `up{${target}}`, values: "0x10" }] },
    { alert: ALERTS.down, when: "no target is discovered", at: "6m", labels: { severity: "critical", namespace: NS },
      series: [{ series: `up{namespace="other", job="flipt", pod="x"}`, values: "1x10" }] },
    { alert: ALERTS.down, when: "one of two targets is up", at: "6m", labels: undefined,
      series: [{ series: `up{${target}}`, values: "0x10" }, { series: `up{namespace="${NS}", job="flipt", pod="flipt-b"}`, values: "1x10" }] },
    { alert: ALERTS.gitSyncFailing, when: "sync errors increase every poll", at: "10m", labels: { severity: "warning", namespace: NS, pod: "flipt-a" },
      series: [{ series: `flipt_git_sync_errors_total{${target}}`, values: "0+1x15" }] },
    { alert: ALERTS.gitSyncFailing, when: "a single sync fails", at: "8m", labels: undefined,
      series: [{ series: `flipt_git_sync_errors_total{${target}}`, values: "0 0 0 1 1 1 1 1 1 1 1 1" }] },
    { alert: ALERTS.evaluationErrors, when: "5% of evaluation calls fail", at: "20m", labels: { severity: "warning", namespace: NS },
      series: [
        { series: `grpc_server_handled_total{${target}, grpc_service="flipt.evaluation.EvaluationService", grpc_method="Boolean", grpc_code="OK"}`, values: "0+95x30" },
        { series: `grpc_server_handled_total{${target}, grpc_service="flipt.evaluation.EvaluationService", grpc_method="Boolean", grpc_code="Internal"}`, values: "0+5x30" },
      ] },
    { alert: ALERTS.evaluationErrors, when: "0.5% of evaluation calls fail", at: "20m", labels: undefined,
      series: [
        { series: `grpc_server_handled_total{${target}, grpc_service="flipt.evaluation.EvaluationService", grpc_method="Boolean", grpc_code="OK"}`, values: "0+995x30" },
        { series: `grpc_server_handled_total{${target}, grpc_service="flipt.evaluation.EvaluationService", grpc_method="Boolean", grpc_code="Internal"}`, values: "0+5x30" },
      ] },
    { alert: ALERTS.evaluationErrors, when: "callers ask for unknown flags (NotFound)", at: "20m", labels: undefined,
      series: [
        { series: `grpc_server_handled_total{${target}, grpc_service="flipt.evaluation.EvaluationService", grpc_method="Boolean", grpc_code="OK"}`, values: "0+50x30" },
        { series: `grpc_server_handled_total{${target}, grpc_service="flipt.evaluation.EvaluationService", grpc_method="Boolean", grpc_code="NotFound"}`, values: "0+50x30" },
      ] },
    { alert: ALERTS.evaluationErrors, when: "only management calls fail", at: "20m", labels: undefined,
      series: [
        { series: `grpc_server_handled_total{${target}, grpc_service="flipt.evaluation.EvaluationService", grpc_method="Boolean", grpc_code="OK"}`, values: "0+100x30" },
        { series: `grpc_server_handled_total{${target}, grpc_service="flipt.Flipt", grpc_method="ListFlags", grpc_code="Unauthenticated"}`, values: "0+100x30" },
      ] },
    { alert: ALERTS.latencyHigh, when: "p99 is about 50 ms", at: "20m", labels: { severity: "warning", namespace: NS },
      series: latencyBuckets({ "5": "0x30", "25": "0x30", "50": "0+100x30", "+Inf": "0+100x30" }) },
    { alert: ALERTS.latencyHigh, when: "p99 is under 5 ms", at: "20m", labels: undefined,
      series: latencyBuckets({ "5": "0+100x30", "25": "0+100x30", "50": "0+100x30", "+Inf": "0+100x30" }) },
    { alert: ALERTS.restarting, when: "the container restarts every 10 minutes", at: "60m", labels: { severity: "warning", namespace: NS, pod: "flipt-a", container: "flipt" },
      series: [{ series: `kube_pod_container_status_restarts_total{namespace="${NS}", pod="flipt-a", container="flipt"}`, values: "0+0.1x70" }] },
    { alert: ALERTS.restarting, when: "the container restarted once", at: "60m", labels: undefined,
      series: [{ series: `kube_pod_container_status_restarts_total{namespace="${NS}", pod="flipt-a", container="flipt"}`, values: "0x30 1x40" }] },
    // The flags relay (dev runs it). Its timestamps are Unix seconds of promtool's clock, which starts at 0.
    { alert: ALERTS.relayDown, when: "the relay's target is down", at: "6m", labels: { severity: "warning", namespace: NS },
      series: [{ series: `up{${relay}}`, values: "0x10" }, { series: `up{${target}}`, values: "1x10" }] },
    { alert: ALERTS.relayDown, when: "the relay's target is gone", at: "6m", labels: { severity: "warning", namespace: NS },
      series: [{ series: `up{${target}}`, values: "1x10" }] },
    { alert: ALERTS.relayDown, when: "the relay is up", at: "6m", labels: undefined,
      series: [{ series: `up{${relay}}`, values: "1x10" }] },
    { alert: ALERTS.relayUpstreamUnreachable, when: "the last fetch succeeded at 0 and none since", at: "14m", labels: { severity: "warning", namespace: NS },
      series: [{ series: `flags_relay_upstream_last_success_timestamp_seconds{${relay}}`, values: "0x20" }] },
    { alert: ALERTS.relayUpstreamUnreachable, when: "fetches succeed every minute", at: "14m", labels: undefined,
      series: [{ series: `flags_relay_upstream_last_success_timestamp_seconds{${relay}}`, values: "0+60x20" }] },
    { alert: ALERTS.relayUpstreamUnreachable, when: "the Git host has been unreachable for 9 minutes", at: "14m", labels: undefined,
      series: [{ series: `flags_relay_upstream_last_success_timestamp_seconds{${relay}}`, values: "0+60x5 300x15" }] },
    { alert: ALERTS.relayCommitHeldBack, when: "the head is held back", at: "5m", labels: { severity: "warning", namespace: NS },
      series: [{ series: `flags_relay_commit_held_back{${relay}}`, values: "0 1x10" }] },
    { alert: ALERTS.relayCommitHeldBack, when: "a fix lands within the minute", at: "5m", labels: undefined,
      series: [{ series: `flags_relay_commit_held_back{${relay}}`, values: "0 0 1 0x8" }] },
    { alert: ALERTS.relayCommitHeldBack, when: "every commit passes", at: "5m", labels: undefined,
      series: [{ series: `flags_relay_commit_held_back{${relay}}`, values: "0x10" }] },
    { alert: ALERTS.relayOverrideActive, when: "an override began at 0 and one at 30m", at: "65m", labels: { severity: "warning", namespace: NS, flag: OLD_OVERRIDE },
      series: [
        { series: `flags_relay_override_started_timestamp_seconds{${relay}, flag="${OLD_OVERRIDE}"}`, values: "0x80" },
        { series: `flags_relay_override_started_timestamp_seconds{${relay}, flag="platform/kill_switches--gate--connector_proxy"}`, values: "_x30 1800x50" },
      ] },
    { alert: ALERTS.relayOverrideActive, when: "an override began 50 minutes ago", at: "65m", labels: undefined,
      series: [{ series: `flags_relay_override_started_timestamp_seconds{${relay}, flag="${OLD_OVERRIDE}"}`, values: "_x15 900x65" }] },
    { alert: ALERTS.relayOverrideActive, when: "an override ended (merged) after 50 minutes", at: "65m", labels: undefined,
      series: [{ series: `flags_relay_override_started_timestamp_seconds{${relay}, flag="${OLD_OVERRIDE}"}`, values: "0x50" }] },
  ];

  const cases = CASES.map((c) => ({ ...c, outcome: c.labels ? `fires at ${c.at}` : `stays quiet at ${c.at}` }));

  // Only an autoscaled stack (prod) has the autoscaler's alert: the same synthetic-series check against prod's rules.
  const PROD_NS = "flipt-prod";
  const hpa = (series: string, values: string) => ({ series: `${series}{namespace="${PROD_NS}", horizontalpodautoscaler="flipt"}`, values });
  const AUTOSCALER_CASES = [
    { when: "it runs at its maximum for 20 minutes", labels: { severity: "warning", namespace: PROD_NS },
      series: [hpa("kube_horizontalpodautoscaler_status_current_replicas", "10x30"), hpa("kube_horizontalpodautoscaler_spec_max_replicas", "10x30")] },
    { when: "it reaches its maximum for 10 minutes", labels: undefined,
      series: [hpa("kube_horizontalpodautoscaler_status_current_replicas", "4x10 10x10 4x10"), hpa("kube_horizontalpodautoscaler_spec_max_replicas", "10x30")] },
    { when: "it runs below its maximum", labels: undefined,
      series: [hpa("kube_horizontalpodautoscaler_status_current_replicas", "9x30"), hpa("kube_horizontalpodautoscaler_spec_max_replicas", "10x30")] },
  ];
  it.each(AUTOSCALER_CASES.map((c) => ({ ...c, outcome: c.labels ? "fires at 20m" : "stays quiet at 20m" })))(`${ALERTS.autoscalerAtMaximum} (prod): $when → $outcome`, ({ labels, series }) => {
    const groups = renderedRuleGroups("prod").map((g) => ({ ...g, rules: g.rules.map(({ annotations: _, ...rule }) => rule) }));
    const tests = {
      rule_files: ["rules.yml"],
      evaluation_interval: "1m",
      tests: [{ interval: "1m", input_series: series, alert_rule_test: [{ eval_time: "20m", alertname: ALERTS.autoscalerAtMaximum, exp_alerts: labels ? [{ exp_labels: labels }] : [] }] }],
    };
    const result = promtool(promtoolBin, ["test", "rules", "tests.yml"], { "rules.yml": { groups }, "tests.yml": tests });
    expect(result.ok, result.output).toBe(true);
  });

  it("dev (no autoscaling) has no autoscaler alert", () => {
    expect(renderedRuleGroups("dev").flatMap((g) => g.rules).map((r) => r.alert)).not.toContain(ALERTS.autoscalerAtMaximum);
  });
  it("a review stack (no relay) has none of the relay's alerts", () => {
    const alerts = renderedRuleGroups("pr-1").flatMap((g) => g.rules).map((r) => r.alert);
    expect(alerts).toContain(ALERTS.down);
    expect(alerts.filter((a) => RELAY_ALERTS.includes(a))).toEqual([]);
  });
  it.each(cases)("$alert: $when → $outcome", ({ alert, at, labels, series }) => {
    // Annotations are checked by `check rules` above; here only whether and with which labels an alert fires.
    const groups = renderedRuleGroups("dev").map((g) => ({ ...g, rules: g.rules.map(({ annotations: _, ...rule }) => rule) }));
    const tests = {
      rule_files: ["rules.yml"],
      evaluation_interval: "1m",
      tests: [{ interval: "1m", input_series: series, alert_rule_test: [{ eval_time: at, alertname: alert, exp_alerts: labels ? [{ exp_labels: labels }] : [] }] }],
    };
    const result = promtool(promtoolBin, ["test", "rules", "tests.yml"], { "rules.yml": { groups }, "tests.yml": tests });
    expect(result.ok, result.output).toBe(true);
  });
});
