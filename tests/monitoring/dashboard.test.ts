import { describe, expect, it } from "vitest";
import { DASHBOARD_VARIABLES, dashboardConfigMapSpec, dashboardJson, dashboardUid, dashboardUrl, fliptDashboard } from "../../builders/dashboard";
import { FLIPT_METRICS, RELAY_SERIES, isAlertSeries, isFliptSeries, isRelaySeries } from "../../builders/fliptMetrics";
import { ALERTS, RELAY_ALERTS, fliptAlertRules } from "../../builders/monitoring";
import { parseSettings } from "../../settings/parse";
import { readStackConfig } from "../../settings/stackFiles";
import { Settings } from "../../settings/types";
import { dashboardQueries, metricNames, panelsOf, variablesUsed } from "./promql";
import { readStack } from "../../settings/stackFiles";

function stackSettings(stack: string, values: Record<string, unknown> = {}): Settings {
  const input = readStackConfig(stack, (key) => `test-${key}`);
  return parseSettings({ ...input, values: { ...input.values, ...values } });
}

const STACKS = ["dev", "prod"] as const;

const RELAY_ROW = "Flags relay";
/** The relay row's panels, in order, and the series each is built on. */
const RELAY_PANELS: [string, string[]][] = [
  ["Since last upstream fetch", [RELAY_SERIES.upstreamLastSuccess]],
  ["Upstream up", [RELAY_SERIES.upstreamUp]],
  ["Head held back", [RELAY_SERIES.heldBack]],
  ["Commits held back", [RELAY_SERIES.heldBackTotal]],
  ["Overrides by state", [RELAY_SERIES.overrides]],
  ["Relay poll duration", [RELAY_SERIES.pollSecondsSum, RELAY_SERIES.pollSecondsCount, RELAY_SERIES.pollSecondsBucket]],
];

/** The panels between a row and the next one (the dashboard's rows are expanded, so their panels follow them). */
function panelsInRow(model: ReturnType<typeof fliptDashboard>, title: string) {
  const panels = model.panels ?? [];
  const start = panels.findIndex((p) => p.type === "row" && p.title === title);
  if (start < 0) return [];
  const end = panels.findIndex((p, i) => i > start && p.type === "row");
  return panels.slice(start + 1, end < 0 ? undefined : end);
}

describe.each(STACKS)("dashboard model of %s", (stack) => {
  const settings = stackSettings(stack);
  const model = fliptDashboard(settings);
  const queries = dashboardQueries(model);

  it("gives every panel at least one non-empty query", () => {
    for (const panel of panelsOf(model)) {
      const exprs = (panel.targets ?? []).map((t) => t.expr?.trim() ?? "");
      expect(exprs.length, panel.title).toBeGreaterThan(0);
      for (const expr of exprs) expect(expr, panel.title).not.toBe("");
    }
  });

  it("queries only series Flipt v1.61 exports (or `up`), and the relay's in the relay's row", () => {
    const relayPanels = new Set(panelsInRow(model, RELAY_ROW).map((p) => p.title));
    const used = (inRelayRow: boolean) =>
      new Set(queries.filter((q) => relayPanels.has(q.panel) === inRelayRow).flatMap((q) => metricNames(q.expr)));
    expect([...used(false)].filter((name) => !isFliptSeries(name))).toEqual([]);
    expect([...used(true)].filter((name) => !isRelaySeries(name))).toEqual([]);
    // The extractor found the metrics, not nothing.
    expect(used(false)).toContain(FLIPT_METRICS.evaluationRequests);
    expect(used(false)).toContain(FLIPT_METRICS.gitSyncLastTime);
    expect(used(true)).toContain(RELAY_SERIES.upstreamLastSuccess);
  });

  it("has the flags relay's row (the stack runs the relay), reading the relay's job", () => {
    expect(settings.relay).toBeDefined();
    const panels = panelsInRow(model, RELAY_ROW);
    expect(panels.map((p) => p.title)).toEqual(RELAY_PANELS.map(([title]) => title));
    for (const q of queries.filter((q) => panels.some((p) => p.title === q.panel))) {
      expect(q.expr, q.panel).toContain('namespace="$namespace", job="flags-relay"');
    }
  });

  it("defines every template variable it uses, and uses each one it defines", () => {
    const defined = (model.templating?.list ?? []).map((v) => v.name);
    expect(defined.sort()).toEqual(Object.values(DASHBOARD_VARIABLES).sort());
    expect(variablesUsed(model).sort()).toEqual([...defined].sort());
  });

  it("reads every panel and query from the datasource variable", () => {
    for (const panel of panelsOf(model)) {
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      for (const target of panel.targets ?? []) expect((target as { datasource?: unknown }).datasource).toEqual(panel.datasource);
    }
  });

  it("defaults the namespace variable to the stack's namespace", () => {
    const ns = model.templating?.list?.find((v) => v.name === DASHBOARD_VARIABLES.namespace);
    expect(ns?.current?.value).toBe(settings.namespace);
  });

  it.each([
    ["Evaluations per second by flag", [FLIPT_METRICS.evaluationRequests]],
    ["Results by flag, value and reason", [FLIPT_METRICS.evaluationResults]],
    ["Evaluation latency", [FLIPT_METRICS.evaluationLatencyBucket]],
    ["Evaluation errors", [FLIPT_METRICS.evaluationErrors]],
    ["Since last Git sync", [FLIPT_METRICS.gitSyncLastTime]],
    ["Since last flag change", [FLIPT_METRICS.gitSyncFlags, FLIPT_METRICS.gitSyncErrors]],
    ["Git sync errors", [FLIPT_METRICS.gitSyncErrors]],
    ["Git sync latency", [FLIPT_METRICS.gitSyncLatencySum, FLIPT_METRICS.gitSyncLatencyCount, FLIPT_METRICS.gitSyncLatencyBucket]],
    ["Flags in rebuilt snapshots", [FLIPT_METRICS.gitSyncFlags]],
    ["Flipt up", ["up"]],
    ["Restarts", [FLIPT_METRICS.processStartTime]],
    ["Memory", [FLIPT_METRICS.processResidentMemory]],
    ["CPU", [FLIPT_METRICS.processCpuSeconds]],
    ...RELAY_PANELS,
  ])("has the panel %s, built on %j", (title, metrics) => {
    const used = queries.filter((q) => q.panel === title).flatMap((q) => metricNames(q.expr));
    expect(used).toEqual(expect.arrayContaining(metrics));
  });

  it("shows latency as p50, p95 and p99", () => {
    const latency = queries.filter((q) => q.panel === "Evaluation latency").map((q) => q.expr);
    expect(latency.map((e) => /histogram_quantile\(([\d.]+),/.exec(e)?.[1])).toEqual(["0.5", "0.95", "0.99"]);
  });

  it("breaks results down by flag, value and reason", () => {
    const [results] = queries.filter((q) => q.panel === "Results by flag, value and reason");
    expect(results.expr).toMatch(/sum by \(exported_namespace, flag, value, reason\)/);
  });

  it("places panels without overlap on the 24-column grid", () => {
    const cells = new Set<string>();
    for (const p of model.panels ?? []) {
      const { x, y, w, h } = p.gridPos!;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
        expect(cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`).toBe(false);
        cells.add(`${i},${j}`);
      }
    }
  });

  it("has unique panel ids and is deterministic", () => {
    const ids = (model.panels ?? []).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboardJson(settings)).toBe(dashboardJson(stackSettings(stack)));
  });
});

describe("the dashboard's flags relay row", () => {
  it("is left out when the stack has no relay (flagsRelay false, and review stacks)", () => {
    for (const settings of [stackSettings("dev", { flagsRelay: false }), stackSettings("pr-7")]) {
      expect(settings.relay).toBeUndefined();
      const model = fliptDashboard(settings);
      expect((model.panels ?? []).map((p) => p.title)).not.toContain(RELAY_ROW);
      expect(dashboardQueries(model).flatMap((q) => metricNames(q.expr)).filter(isRelaySeries)).toEqual([]);
    }
  });

  it("turns the fetch age red after three relay polls plus two scrapes", () => {
    const model = fliptDashboard(stackSettings("dev", { flagsRelayPollInterval: "20s", serviceMonitorInterval: "15s" }));
    const age = panelsOf(model).find((p) => p.title === "Since last upstream fetch") as { fieldConfig?: { defaults?: { thresholds?: { steps?: { value: number | null }[] } } } };
    expect(age.fieldConfig?.defaults?.thresholds?.steps?.map((s) => s.value)).toEqual([null, 3 * 20 + 2 * 15]);
  });
});

describe("dashboard identity and delivery", () => {
  it.each([
    ["flipt-dev", "flipt-dev"],
    ["team-a", "flipt-team-a"],
    ["flipt-a-very-long-namespace-name-for-review-stack-42", "flipt-a-very-long-namespace-name-for-rev"],
    ["x".repeat(34) + "-abcdef", "flipt-" + "x".repeat(34)],
  ])("namespace %s gets the UID %s (at most 40 characters)", (namespace, uid) => {
    const settings = stackSettings("dev", { namespace });
    expect(dashboardUid(settings)).toBe(uid);
    expect(fliptDashboard(settings).uid).toBe(uid);
    expect(uid.length).toBeLessThanOrEqual(40);
  });

  it("has a URL only with a Grafana URL", () => {
    expect(dashboardUrl(stackSettings("dev"))).toBeUndefined();
    expect(dashboardUrl(stackSettings("prod"))).toBe(`${String(readStack("prod").value("grafanaUrl")).replace(/\/$/, "")}/d/flipt-prod`);
  });

  it("labels the sidecar ConfigMap for the sidecar, in the dashboard namespace, and carries the model", () => {
    const settings = stackSettings("dev", { dashboardSidecarLabel: "grafana_dash", dashboardNamespace: "grafana" });
    const configMap = dashboardConfigMapSpec(settings)!;
    expect(configMap.metadata.namespace).toBe("grafana");
    expect(configMap.metadata.labels).toMatchObject({ grafana_dash: "1" });
    expect(JSON.parse((configMap.data as Record<string, string>)["flipt-dev.json"])).toEqual(fliptDashboard(settings));
    expect(dashboardConfigMapSpec(stackSettings("prod"))).toBeUndefined();
  });
});

describe("alert rules", () => {
  const rules = fliptAlertRules(stackSettings("dev")).flatMap((g) => g.rules);

  it("query only Flipt's and the relay's series, `up` and kube-state-metrics' restart counter", () => {
    const used = rules.flatMap((r) => metricNames(r.expr));
    expect(used.filter((name) => !isAlertSeries(name))).toEqual([]);
    expect(used).toContain("kube_pod_container_status_restarts_total");
  });

  it("select the relay's series by the relay's job, and Flipt's by Flipt's", () => {
    for (const rule of rules) {
      const relaySeries = metricNames(rule.expr).some(isRelaySeries);
      if (relaySeries || rule.alert === ALERTS.relayDown) expect(rule.expr, rule.alert).toContain('namespace="flipt-dev", job="flags-relay"');
      else expect(rule.expr, rule.alert).not.toContain("flags-relay");
    }
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining([...RELAY_ALERTS]));
  });

  it.each([
    [ALERTS.relayUpstreamUnreachable, /\) > 600$/, "2m"],
    [ALERTS.relayCommitHeldBack, /\) == 1$/, "1m"],
    [ALERTS.relayOverrideActive, /max by \(namespace, flag\) .*\) > 3600$/, "2m"],
  ])("%s fires past its threshold (%s), after %s", (alert, expr, forDuration) => {
    const rule = rules.find((r) => r.alert === alert)!;
    expect(rule.expr).toMatch(expr);
    expect(rule.for).toBe(forDuration);
  });

  it("each have a severity, a summary and a description", () => {
    for (const rule of rules) {
      expect(["critical", "warning"]).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).not.toBe("");
      expect(rule.annotations.description, rule.alert).not.toBe("");
    }
  });

  it.each([
    ["FliptEvaluationErrors", { alertEvaluationErrorRatio: "0.05" }, /> 0\.05$/, undefined],
    ["FliptEvaluationLatencyHigh", { alertLatencyP99Ms: 80 }, /> 80$/, undefined],
    ["FliptGitSyncFailing", { alertGitSyncFailingMinutes: 15 }, /\[2m\]\)\) > 0$/, "15m"],
    ["FliptRestarting", { alertRestartsPerHour: 7 }, /\[1h\]\) > 7$/, undefined],
  ])("%s takes its threshold from config %j", (alert, values, expr, forDuration) => {
    const rule = fliptAlertRules(stackSettings("dev", values))[0].rules.find((r) => r.alert === alert)!;
    expect(rule.expr).toMatch(expr);
    if (forDuration) expect(rule.for).toBe(forDuration);
  });

  it("widens the Git error window to cover three polls and four scrapes", () => {
    const rule = (values: Record<string, unknown>) =>
      fliptAlertRules(stackSettings("dev", values))[0].rules.find((r) => r.alert === "FliptGitSyncFailing")!.expr;
    expect(rule({ gitPollInterval: "2m" })).toContain("[6m]");
    expect(rule({ serviceMonitorInterval: "1m" })).toContain("[4m]");
  });
});

describe("metric name extraction used by these checks", () => {
  it.each([
    ['sum by (exported_namespace, flag) (rate(flipt_evaluations_requests_total{namespace="x", flag=~"a|b"}[5m]))', ["flipt_evaluations_requests_total"]],
    ["histogram_quantile(0.99, sum by (le) (rate(a_bucket[1m]))) > 25", ["a_bucket"]],
    ["time() - max(max_over_time(timestamp((sum by (pod) (increase(a[2m])) > 0) unless on (pod) (b > 0))[1d:1m]))", ["a", "b"]],
    ['absent(up{job="flipt"} == 1)', ["up"]],
    ["sum without (instance) (x) / ignoring (le) group_left (pod) y", ["x", "y"]],
  ])("finds the metrics of %s", (expr, names) => {
    expect(metricNames(expr).sort()).toEqual(names);
  });
});
