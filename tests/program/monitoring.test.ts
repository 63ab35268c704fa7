import { beforeAll, describe, expect, it } from "vitest";
import { ALERTS, RELAY_ALERTS } from "../../builders/monitoring";
import { ProgramRun, RecordedResource, byType, isSecretPath, k8sObject, runProgram } from "./harness";
import { readStack } from "../../settings/stackFiles";

const SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const GRAFANA_PROVIDER = "pulumi:providers:grafana";
const FOLDER = "grafana:oss/folder:Folder";
const DASHBOARD = "grafana:oss/dashboard:Dashboard";

/** Runs under test: the stacks as configured, and dev switched to each alternative a user can configure. */
const RUNS = {
  dev: ["dev", {}],
  prod: ["prod", {}],
  review: ["pr-123", {}],
  devApi: ["dev", { grafanaUrl: "https://g.example/" }],
  devNoOperator: ["dev", { serviceMonitorEnabled: false }],
  devCustom: [
    "dev",
    {
      serviceMonitorInterval: "15s",
      serviceMonitorLabels: ["release=prom", "team=platform"],
      dashboardSidecarLabel: "grafana_dash",
      dashboardNamespace: "grafana",
      alertLatencyP99Ms: 80,
    },
  ],
} as const satisfies Record<string, readonly [string, Record<string, unknown>]>;

const runs = new Map<keyof typeof RUNS, ProgramRun>();
/** Resource name → URNs of its dependsOn, per run; the harness records options but not dependencies. */
const dependencies = new Map<keyof typeof RUNS, Map<string, string[]>>();
let recording = new Map<string, string[]>();

function captureDependencies(): void {
  const proto = require("@pulumi/pulumi/runtime/mocks").MockMonitor.prototype;
  const original = proto.registerResource;
  proto.registerResource = function (req: { getName(): string; getDependenciesList(): string[] }, callback: unknown) {
    recording.set(req.getName(), req.getDependenciesList());
    return original.call(this, req, callback);
  };
}

beforeAll(async () => {
  captureDependencies();
  for (const [key, [stack, overrides]] of Object.entries(RUNS)) {
    recording = new Map();
    runs.set(key as keyof typeof RUNS, await runProgram(stack, overrides));
    dependencies.set(key as keyof typeof RUNS, recording);
  }
});

const run = (key: keyof typeof RUNS) => runs.get(key)!;

/** The resources the Monitoring component created, as `<type>` (or `<type> <kind>` for Kubernetes objects). */
function monitoringChildren(r: ProgramRun): string[] {
  return r.resources
    .filter((res) => res.parent.endsWith("flipt-deploy:index:Monitoring::flipt-monitoring"))
    .map((res) => res.type)
    .sort();
}

function sidecarConfigMap(r: ProgramRun): RecordedResource | undefined {
  return byType(r, CONFIG_MAP).find((c) => c.inputs.metadata.name.endsWith("-dashboard"));
}

describe.each([
  { key: "dev", namespace: "flipt-dev", relay: true },
  { key: "prod", namespace: "flipt-prod", relay: true },
  { key: "review", namespace: "flipt-pr-123", relay: false },
] as const)("monitoring of $key", ({ key, namespace, relay }) => {
  it("selects Flipt's Service with the ServiceMonitor: its labels, its namespace, its port named http, /metrics", () => {
    const monitor = k8sObject(run(key), "ServiceMonitor", "flipt").inputs;
    const service = k8sObject(run(key), "Service", "flipt").inputs;
    expect(monitor.metadata.namespace).toBe(namespace);
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: [service.metadata.namespace] });
    expect(Object.keys(monitor.spec.selector.matchLabels).length).toBeGreaterThan(0);
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    const [endpoint] = monitor.spec.endpoints;
    expect(monitor.spec.endpoints).toHaveLength(1);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(endpoint.port);
    expect(endpoint).toMatchObject({ port: "http", path: "/metrics", interval: "30s" });
  });

  it("creates the ServiceMonitor and PrometheusRule after Flipt's Service", () => {
    const service = k8sObject(run(key), "Service", "flipt").name;
    for (const kind of ["ServiceMonitor", "PrometheusRule"]) {
      const name = k8sObject(run(key), kind, "flipt").name;
      expect(dependencies.get(key)!.get(name)!.some((urn) => urn.endsWith(`::${service}`)), kind).toBe(true);
    }
  });

  it("labels the ServiceMonitor and PrometheusRule for kube-prometheus-stack (release label from config)", () => {
    for (const kind of ["ServiceMonitor", "PrometheusRule"]) {
      expect(k8sObject(run(key), kind, "flipt").inputs.metadata.labels, kind).toMatchObject({ release: "kube-prometheus-stack" });
    }
  });

  it("defines the alerts in Flipt's namespace: five, the autoscaler's where the stack autoscales, the relay's four where it runs the relay", () => {
    const rule = k8sObject(run(key), "PrometheusRule", "flipt").inputs;
    expect(rule.metadata.namespace).toBe(namespace);
    const alerts = rule.spec.groups.flatMap((g: { rules: { alert: string }[] }) => g.rules.map((r) => r.alert));
    const autoscaled = byType(run(key), "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length > 0;
    const expected = Object.values(ALERTS)
      .filter((a) => autoscaled || a !== ALERTS.autoscalerAtMaximum)
      .filter((a) => relay || !RELAY_ALERTS.includes(a));
    expect(alerts.sort()).toEqual(expected.sort());
    // kube-state-metrics' series (restarts, the autoscaler's) carry no job label; Flipt's carry job="flipt", the relay's job="flags-relay".
    const fromKubeStateMetrics: string[] = [ALERTS.restarting, ALERTS.autoscalerAtMaximum];
    for (const r of rule.spec.groups[0].rules as { alert: string; expr: string }[]) {
      const job = RELAY_ALERTS.includes(r.alert) ? `, job="flags-relay"` : fromKubeStateMetrics.includes(r.alert) ? "" : `, job="flipt"`;
      expect(r.expr, r.alert).toContain(`namespace="${namespace}"${job}`);
    }
  });

  it(`has Flipt's ServiceMonitor${relay ? " and the relay's" : " only (no relay)"}`, () => {
    const monitors = byType(run(key), SERVICE_MONITOR).map((m) => m.inputs.metadata.name);
    expect(monitors.sort()).toEqual(relay ? ["flags-relay", "flipt"] : ["flipt"]);
  });

  it("exports the dashboard UID", () => {
    expect(run(key).outputs.dashboardUid).toBe(namespace);
  });
});

describe.each([
  { key: "dev", namespace: "flipt-dev" },
  { key: "prod", namespace: "flipt-prod" },
] as const)("the flags relay's ServiceMonitor in $key", ({ key, namespace }) => {
  it("selects the relay's Service by its labels, in its namespace, port http, /metrics, at Flipt's interval and with the operator's labels", () => {
    const monitor = k8sObject(run(key), "ServiceMonitor", "flags-relay").inputs;
    const service = k8sObject(run(key), "Service", "flags-relay").inputs;
    expect(monitor.metadata.namespace).toBe(namespace);
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: [namespace] });
    expect(monitor.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "flags-relay", "app.kubernetes.io/instance": namespace });
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints).toHaveLength(1);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(monitor.spec.endpoints[0].port);
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: "http", path: "/metrics", interval: "30s" });
    expect(monitor.metadata.labels).toMatchObject({ release: "kube-prometheus-stack", "app.kubernetes.io/name": "flags-relay" });
  });
});

describe("sidecar delivery (no grafanaUrl)", () => {
  it.each([
    ["dev", [SERVICE_MONITOR, SERVICE_MONITOR]],
    ["review", [SERVICE_MONITOR]],
  ] as const)("%s: a ConfigMap for the sidecar in the monitoring namespace, and nothing for Grafana's API", (key, monitors) => {
    expect(monitoringChildren(run(key))).toEqual([CONFIG_MAP, PROMETHEUS_RULE, ...monitors]);
    const configMap = sidecarConfigMap(run(key))!.inputs;
    expect(configMap.metadata.namespace).toBe("monitoring");
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: "1" });
    const uid = run(key).outputs.dashboardUid;
    expect(Object.keys(configMap.data)).toEqual([`${uid}.json`]);
    expect(JSON.parse(configMap.data[`${uid}.json`]).uid).toBe(uid);
    expect(run(key).outputs.dashboardUrl).toBeUndefined();
  });

  it("takes the sidecar label and namespace from config", () => {
    const configMap = sidecarConfigMap(run("devCustom"))!.inputs;
    expect(configMap.metadata.namespace).toBe("grafana");
    expect(configMap.metadata.labels.grafana_dash).toBe("1");
    expect(configMap.metadata.labels.grafana_dashboard).toBeUndefined();
  });
});

describe("API delivery (grafanaUrl and grafanaToken)", () => {
  it.each([
    ["prod", String(readStack("prod").value("grafanaUrl")), "flipt-prod"],
    ["devApi", "https://g.example", "flipt-dev"],
  ] as const)("%s: a Grafana provider, Folder and Dashboard, and no sidecar ConfigMap", (key, url, uid) => {
    const r = run(key);
    // Both run the relay: Flipt's ServiceMonitor and the relay's.
    expect(monitoringChildren(r)).toEqual([DASHBOARD, FOLDER, PROMETHEUS_RULE, SERVICE_MONITOR, SERVICE_MONITOR, GRAFANA_PROVIDER].sort());
    expect(sidecarConfigMap(r)).toBeUndefined();
    const provider = byType(r, GRAFANA_PROVIDER)[0];
    expect(provider.inputs.url).toBe(url);
    expect(isSecretPath(provider, "auth")).toBe(true);
    expect(byType(r, FOLDER)[0].inputs).toMatchObject({ title: "Feature flags", uid: `${uid}-folder` });
    for (const resource of [...byType(r, FOLDER), ...byType(r, DASHBOARD)]) {
      expect(resource.provider, resource.name).toContain("flipt-monitoring-grafana");
    }
    const dashboard = byType(r, DASHBOARD)[0].inputs;
    expect(dashboard.overwrite).toBe(true);
    expect(JSON.parse(dashboard.configJson).uid).toBe(uid);
    expect(r.outputs).toMatchObject({ dashboardUid: uid, dashboardUrl: `${url}/d/${uid}` });
  });

  it("delivers the same dashboard model as the sidecar ConfigMap", () => {
    const viaApi = byType(run("devApi"), DASHBOARD)[0].inputs.configJson;
    const viaSidecar = sidecarConfigMap(run("dev"))!.inputs.data["flipt-dev.json"];
    expect(JSON.parse(viaApi)).toEqual(JSON.parse(viaSidecar));
  });
});

describe("configuration", () => {
  it("creates neither ServiceMonitor nor PrometheusRule with serviceMonitorEnabled=false, but still the dashboard", () => {
    expect(monitoringChildren(run("devNoOperator"))).toEqual([CONFIG_MAP]);
    expect(byType(run("devNoOperator"), SERVICE_MONITOR)).toEqual([]);
    expect(byType(run("devNoOperator"), PROMETHEUS_RULE)).toEqual([]);
  });

  it("takes the scrape interval, extra labels (the relay's ServiceMonitor too) and alert thresholds from config", () => {
    const monitor = k8sObject(run("devCustom"), "ServiceMonitor", "flipt").inputs;
    expect(monitor.spec.endpoints[0].interval).toBe("15s");
    expect(monitor.metadata.labels).toMatchObject({ release: "prom", team: "platform", "app.kubernetes.io/name": "flipt" });
    const relayMonitor = k8sObject(run("devCustom"), "ServiceMonitor", "flags-relay").inputs;
    expect(relayMonitor.spec.endpoints[0].interval).toBe("15s");
    expect(relayMonitor.metadata.labels).toMatchObject({ release: "prom", team: "platform", "app.kubernetes.io/name": "flags-relay" });
    const rules = k8sObject(run("devCustom"), "PrometheusRule", "flipt").inputs.spec.groups[0].rules;
    expect(rules.find((r: { alert: string }) => r.alert === ALERTS.latencyHigh).expr).toMatch(/ > 80$/);
  });
});
