/**
 * A real Prometheus (Debian's 2.42, toolchainPaths().prometheusBin) on loopback, configured the way
 * the Prometheus Operator configures one from the stack's rendered ServiceMonitor and
 * PrometheusRule. `operatorScrapeJob` is what the operator would generate; `adaptScrapeJobForLocalRun`
 * lists every change the test makes to it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { dashboardConfigMapName, dashboardUid } from "../../../builders/dashboard";
import type { DashboardModel } from "../../../builders/grafanaSdk";
import type { RuleGroup } from "../../../builders/monitoring";
import type { RenderedFile } from "../../../scripts/lib/renderedStack";
import { describeExit } from "../../../scripts/lib/fliptProcess";
import { ManagedProcess, Supervisor, freePort, waitFor } from "../../../scripts/lib/processes";
import { Settings } from "../../../settings/types";

interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [field: string]: any;
}

export interface ServiceMonitorEndpoint {
  readonly port: string;
  readonly path: string;
  readonly scheme: string;
  readonly interval: string;
}

/** What a cluster's Prometheus stack reads from a rendered stack: the objects it watches and the dashboard it shows. */
export interface RenderedMonitoring {
  readonly serviceMonitor: K8sObject;
  readonly service: K8sObject;
  readonly deployment: K8sObject;
  readonly ruleGroups: readonly RuleGroup[];
  readonly dashboard: DashboardModel;
}

export function renderedMonitoring(files: readonly RenderedFile[], settings: Settings): RenderedMonitoring {
  const objects = files.filter((f) => f.file.endsWith(".yaml")).map((f) => yaml.load(f.content) as K8sObject);
  const only = (kind: string) => {
    const found = objects.filter((o) => o.kind === kind && o.metadata.namespace === settings.namespace);
    if (found.length !== 1) throw new Error(`the rendered stack has ${found.length} ${kind} objects in ${settings.namespace}, expected 1`);
    return found[0];
  };
  return {
    serviceMonitor: only("ServiceMonitor"),
    service: only("Service"),
    deployment: only("Deployment"),
    ruleGroups: only("PrometheusRule").spec.groups,
    dashboard: renderedDashboard(files, objects, settings),
  };
}

/** The dashboard model as delivered: the sidecar ConfigMap's JSON, or in API mode the model file render writes. */
function renderedDashboard(files: readonly RenderedFile[], objects: readonly K8sObject[], settings: Settings): DashboardModel {
  const uid = dashboardUid(settings);
  const apiModel = files.find((f) => f.file === `dashboard-${uid}.json`);
  if (apiModel) return JSON.parse(apiModel.content) as DashboardModel;
  const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === dashboardConfigMapName(settings));
  const json = configMap?.data?.[`${uid}.json`];
  if (typeof json !== "string") throw new Error(`the rendered stack has neither dashboard-${uid}.json nor a ConfigMap ${dashboardConfigMapName(settings)} with ${uid}.json`);
  return JSON.parse(json) as DashboardModel;
}

/** One `scrape_configs` entry in Prometheus' configuration file. */
export interface ScrapeJob {
  readonly job_name: string;
  readonly honor_labels: boolean;
  readonly scrape_interval: string;
  readonly scrape_timeout?: string;
  readonly metrics_path: string;
  readonly scheme: string;
  readonly static_configs: readonly { readonly targets: readonly string[]; readonly labels: Readonly<Record<string, string>> }[];
}

/** Stands in for the pod's name (the operator copies `__meta_kubernetes_pod_name`). */
export function localPodName(monitoring: RenderedMonitoring): string {
  return `${monitoring.deployment.metadata.name}-local`;
}

/**
 * The scrape job the Prometheus Operator generates for the ServiceMonitor's first endpoint, with
 * `target` in place of the pod's address. Throws if the operator would find no target: the
 * ServiceMonitor must select the Service (labels, namespace) and name one of its ports, and that
 * port must lead to a named container port of the Deployment.
 */
export function operatorScrapeJob(monitoring: RenderedMonitoring, target: string): ScrapeJob {
  const { serviceMonitor, service, deployment } = monitoring;
  const spec = serviceMonitor.spec;
  const namespace = service.metadata.namespace!;
  const name = `ServiceMonitor ${serviceMonitor.metadata.name}`;
  for (const [key, value] of Object.entries<string>(spec.selector.matchLabels)) {
    if (service.metadata.labels?.[key] !== value) throw new Error(`${name} selects ${key}=${value}, which Service ${service.metadata.name} does not carry`);
  }
  if (!spec.namespaceSelector.matchNames.includes(namespace)) throw new Error(`${name} does not look in namespace ${namespace}`);
  if (spec.jobLabel !== undefined) throw new Error(`${name} sets jobLabel; this harness only knows the default job label (the Service's name)`);
  const endpoint = spec.endpoints[0] as ServiceMonitorEndpoint;
  const servicePort = service.spec.ports.find((p: { name: string }) => p.name === endpoint.port);
  if (!servicePort) throw new Error(`${name} scrapes port ${endpoint.port}, which Service ${service.metadata.name} does not name`);
  const containers: { name: string; ports?: { name: string }[] }[] = deployment.spec.template.spec.containers;
  const container = containers.find((c) => c.ports?.some((p) => p.name === servicePort.targetPort));
  if (!container) throw new Error(`Service port ${endpoint.port} targets ${servicePort.targetPort}, which no container of Deployment ${deployment.metadata.name} names`);
  return {
    // The operator's job name; the `job` label is set separately, below.
    job_name: `serviceMonitor/${serviceMonitor.metadata.namespace}/${serviceMonitor.metadata.name}/0`,
    // The operator's default (honorLabels: false): a scraped label that collides with a target
    // label is kept as `exported_<name>` — Flipt's own `namespace` becomes `exported_namespace`.
    honor_labels: false,
    scrape_interval: endpoint.interval,
    metrics_path: endpoint.path,
    scheme: endpoint.scheme,
    static_configs: [
      {
        targets: [target],
        // What the operator's relabeling copies from Kubernetes service discovery.
        labels: {
          namespace, // __meta_kubernetes_namespace
          service: service.metadata.name, // __meta_kubernetes_service_name
          pod: localPodName(monitoring), // __meta_kubernetes_pod_name
          container: container.name, // __meta_kubernetes_pod_container_name
          endpoint: endpoint.port, // the endpoint's port name
          job: service.metadata.name, // the Service's name, as no jobLabel is set
        },
      },
    ],
  };
}

/**
 * The only changes from what the operator generates: a shorter scrape interval, so the test sees
 * several scrapes within its time budget (the dev ServiceMonitor's 30s would need minutes), and a
 * scrape timeout that fits in it (Prometheus' default, 10s, must not exceed the interval).
 */
export function adaptScrapeJobForLocalRun(job: ScrapeJob, scrapeInterval: string): ScrapeJob {
  return { ...job, scrape_interval: scrapeInterval, scrape_timeout: scrapeInterval };
}

export interface PrometheusOptions {
  readonly bin: string;
  readonly scrapeJobs: readonly ScrapeJob[];
  readonly ruleGroups: readonly RuleGroup[];
  /** Also shortened for the test: the operator's default is 30s. */
  readonly evaluationInterval: string;
}

export interface QueryResult {
  readonly status: string;
  readonly error?: string;
  readonly resultType?: string;
  /** Instant-vector samples; a scalar counts as one. */
  readonly series: readonly { readonly metric: Record<string, string>; readonly value: number }[];
}

export interface RuleStatus {
  readonly name: string;
  readonly query: string;
  readonly health: string;
  readonly lastError?: string;
  readonly lastEvaluation: string;
  readonly type: string;
  readonly state?: string;
}

export interface TargetStatus {
  readonly labels: Record<string, string>;
  readonly scrapeUrl: string;
  readonly scrapeInterval: string;
  readonly health: string;
  readonly lastError: string;
  readonly lastScrape: string;
}

interface ApiResponse<T> {
  readonly status: string;
  readonly data?: T;
  readonly errorType?: string;
  readonly error?: string;
}

const READY_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** A Prometheus server started through a Supervisor, stopped with the rest of the stack. */
export class PrometheusServer {
  private constructor(
    readonly url: string,
    readonly process: ManagedProcess,
    readonly configFile: string,
  ) {}

  static async start(supervisor: Supervisor, options: PrometheusOptions): Promise<PrometheusServer> {
    const dir = supervisor.tempDir("prometheus");
    const rulesFile = path.join(dir, "rules.yml");
    const configFile = path.join(dir, "prometheus.yml");
    fs.writeFileSync(rulesFile, yaml.dump({ groups: options.ruleGroups }, { lineWidth: -1, noRefs: true }));
    const config = {
      global: { evaluation_interval: options.evaluationInterval },
      rule_files: [rulesFile],
      scrape_configs: options.scrapeJobs,
    };
    fs.writeFileSync(configFile, yaml.dump(config, { lineWidth: -1, noRefs: true }));
    const port = await freePort();
    const proc = supervisor.spawn(
      "prometheus",
      options.bin,
      [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
      { cwd: dir, logFile: path.join(dir, "prometheus.log") },
    );
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, proc, configFile);
    const exitedEarly = proc.exited.then((status) => {
      throw new Error(`Prometheus exited (${describeExit(status)}) before it was ready; its last output:\n${proc.tail()}`);
    });
    try {
      await Promise.race([waitFor(() => server.ready(), { timeoutMs: READY_TIMEOUT_MS, what: `Prometheus at ${server.url}/-/ready` }), exitedEarly]);
    } finally {
      exitedEarly.catch(() => undefined);
    }
    return server;
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  }

  /** An instant query at the current time, through /api/v1/query; a failed query is a result, not an exception. */
  async query(expr: string): Promise<QueryResult> {
    const body = await this.api<{ resultType: string; result: any }>("/api/v1/query", { query: expr }, "POST");
    if (body.status !== "success") return { status: body.status, error: `${body.errorType}: ${body.error}`, series: [] };
    const { resultType, result } = body.data!;
    const series =
      resultType === "scalar"
        ? [{ metric: {}, value: Number(result[1]) }]
        : (result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    return { status: body.status, resultType, series };
  }

  /** Values of `label` on the series `match` selects: what Grafana's `label_values(match, label)` lists. */
  async labelValues(label: string, match: string): Promise<string[]> {
    const body = await this.api<string[]>(`/api/v1/label/${encodeURIComponent(label)}/values`, { "match[]": match });
    if (body.status !== "success") throw new Error(`label values of ${label} for ${match}: ${body.errorType}: ${body.error}`);
    return body.data!;
  }

  async rules(): Promise<RuleStatus[]> {
    const body = await this.api<{ groups: { rules: RuleStatus[] }[] }>("/api/v1/rules", {});
    if (body.status !== "success") throw new Error(`/api/v1/rules: ${body.errorType}: ${body.error}`);
    return body.data!.groups.flatMap((g) => g.rules);
  }

  async targets(): Promise<TargetStatus[]> {
    const body = await this.api<{ activeTargets: TargetStatus[] }>("/api/v1/targets", { state: "active" });
    if (body.status !== "success") throw new Error(`/api/v1/targets: ${body.errorType}: ${body.error}`);
    return body.data!.activeTargets;
  }

  /** GET with the parameters in the URL; queries are POSTed, as Grafana does, so their length does not matter. */
  private async api<T>(apiPath: string, params: Record<string, string>, method: "GET" | "POST" = "GET"): Promise<ApiResponse<T>> {
    const form = new URLSearchParams(params);
    const url = method === "GET" && form.size > 0 ? `${this.url}${apiPath}?${form}` : `${this.url}${apiPath}`;
    const response = await fetch(url, { method, body: method === "POST" ? form : undefined, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return (await response.json()) as ApiResponse<T>;
  }
}
