import { RelaySettings, Settings } from "../settings/types";
import { FLIPT_LABELS, FLIPT_METRICS, RELAY_LABELS, RELAY_SERIES, SCRAPE_METRICS } from "./fliptMetrics";
import { DashboardModel, DataSourceRef, common, dashboard, prometheus, stat, timeseries } from "./grafanaSdk";
import { ObjectSpec } from "./kubernetes";
import { commonLabels } from "./names";
import {
  ALERTS,
  FLIPT_JOB,
  RELAY_UPSTREAM_UNREACHABLE_SECONDS,
  fliptMatchers,
  promDuration,
  promDurationSeconds,
  relayMatchers,
  scrapeWindowSeconds,
} from "./monitoring";

/** Template variables of the dashboard; queries refer to them as `$<name>`. */
export const DASHBOARD_VARIABLES = { datasource: "datasource", namespace: "namespace", flag: "flag" } as const;

/** Grafana limits dashboard UIDs to 40 characters. */
const UID_MAX_LENGTH = 40;

/** Deterministic per stack: Flipt's namespace, prefixed with `flipt-` unless it already names Flipt. */
export function dashboardUid(settings: Settings): string {
  const ns = settings.namespace;
  return (ns.startsWith("flipt") ? ns : `flipt-${ns}`).slice(0, UID_MAX_LENGTH).replace(/-+$/, "");
}

/** The API-mode folder's UID, fixed so a recreated stack finds its folder instead of adding one. */
export function dashboardFolderUid(settings: Settings): string {
  return `${dashboardUid(settings).slice(0, UID_MAX_LENGTH - "-folder".length)}-folder`;
}

export function dashboardTitle(settings: Settings): string {
  return `Flipt feature flags (${settings.namespace})`;
}

/** Where the dashboard is in API mode; Grafana redirects `/d/<uid>` to the full address. */
export function dashboardUrl(settings: Settings): string | undefined {
  const api = settings.monitoring.grafanaApi;
  return api ? `${api.url}/d/${dashboardUid(settings)}` : undefined;
}

const DATASOURCE: DataSourceRef = { type: "prometheus", uid: `\${${DASHBOARD_VARIABLES.datasource}}` };
const m = FLIPT_METRICS;
/** Flipt's targets in the selected namespace; with the flag filter for per-flag series. */
const target = fliptMatchers(`$${DASHBOARD_VARIABLES.namespace}`);
const perFlag = `${target}, ${FLIPT_LABELS.flag}=~"$${DASHBOARD_VARIABLES.flag}"`;
const flagLegend = `{{${FLIPT_LABELS.fliptNamespace}}}/{{${FLIPT_LABELS.flag}}}`;

interface Query {
  readonly expr: string;
  readonly legend: string;
}

interface PanelText {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly width: number;
  readonly height?: number;
}

function queryBuilders(queries: readonly Query[]) {
  return queries.map((q, i) =>
    new prometheus.DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(String.fromCharCode(65 + i))
      .expr(q.expr)
      .legendFormat(q.legend),
  );
}

function timeseriesPanel(text: PanelText, queries: readonly Query[], style: "lines" | "stacked" | "bars" = "lines") {
  const panel = new timeseries.PanelBuilder()
    .title(text.title)
    .description(text.description)
    .datasource(DATASOURCE)
    .unit(text.unit)
    .span(text.width)
    .height(text.height ?? 8)
    .min(0)
    .fillOpacity(style === "lines" ? 10 : 60)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true));
  if (style === "stacked") panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (style === "bars") panel.drawStyle(common.GraphDrawStyle.Bars);
  for (const q of queryBuilders(queries)) panel.withTarget(q);
  return panel;
}

/** A single number; `red` is the value (or below it, with `redBelow`) that turns the stat red. */
function statPanel(text: PanelText, query: Query, threshold: { readonly red: number; readonly redBelow?: boolean }) {
  const steps = threshold.redBelow
    ? [{ value: null, color: "red" }, { value: threshold.red, color: "green" }]
    : [{ value: null, color: "green" }, { value: threshold.red, color: "red" }];
  const panel = new stat.PanelBuilder()
    .title(text.title)
    .description(text.description)
    .datasource(DATASOURCE)
    .unit(text.unit)
    .span(text.width)
    .height(text.height ?? 6)
    .noValue("no data")
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Background)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps));
  for (const q of queryBuilders([query])) panel.withTarget(q);
  return panel;
}

const rate = (metric: string, matchers: string) => `rate(${metric}{${matchers}}[$__rate_interval])`;
const increase = (metric: string, matchers: string, range = "$__rate_interval") => `increase(${metric}{${matchers}}[${range}])`;

function evaluationPanels() {
  const latency = (q: number) => ({
    expr: `histogram_quantile(${q}, sum by (le) (${rate(m.evaluationLatencyBucket, perFlag)}))`,
    legend: `p${Math.round(q * 100)}`,
  });
  return [
    timeseriesPanel(
      { title: "Evaluations per second by flag", description: "Evaluations of existing flags, per Flipt namespace and flag key.", unit: "reqps", width: 12 },
      [{ expr: `sum by (${FLIPT_LABELS.fliptNamespace}, ${FLIPT_LABELS.flag}) (${rate(m.evaluationRequests, perFlag)})`, legend: flagLegend }],
    ),
    timeseriesPanel(
      { title: "Results by flag, value and reason", description: "Successful evaluations by the value returned (variant key, or true/false) and Flipt's reason.", unit: "reqps", width: 12 },
      [
        {
          expr: `sum by (${FLIPT_LABELS.fliptNamespace}, ${FLIPT_LABELS.flag}, ${FLIPT_LABELS.value}, ${FLIPT_LABELS.reason}) (${rate(m.evaluationResults, perFlag)})`,
          legend: `${flagLegend} = {{${FLIPT_LABELS.value}}} ({{${FLIPT_LABELS.reason}}})`,
        },
      ],
      "stacked",
    ),
    timeseriesPanel(
      { title: "Evaluation latency", description: "p50/p95/p99 of single evaluations; Flipt's buckets start at 0, 5, 10, 25 ms, so values below 5 ms are interpolated.", unit: "ms", width: 8 },
      [latency(0.5), latency(0.95), latency(0.99)],
    ),
    timeseriesPanel(
      { title: "Evaluation errors", description: "Evaluations that failed after the flag was found (unknown flags show as NotFound in the next panel).", unit: "reqps", width: 8 },
      [{ expr: `sum by (${FLIPT_LABELS.fliptNamespace}, ${FLIPT_LABELS.flag}) (${rate(m.evaluationErrors, perFlag)})`, legend: flagLegend }],
    ),
    timeseriesPanel(
      { title: "Evaluation API responses by code", description: "gRPC status of evaluation calls (HTTP included); NotFound is a client asking for a flag that does not exist.", unit: "reqps", width: 8 },
      [
        {
          // go-grpc-prometheus exports a zero series per method and code; keep the ones that happen.
          expr: `sum by (grpc_method, grpc_code) (${rate(m.grpcHandled, `${target}, grpc_service=~"${m.evaluationGrpcServices}"`)}) > 0`,
          legend: "{{grpc_method}} {{grpc_code}}",
        },
      ],
      "stacked",
    ),
  ];
}

function gitSyncPanels(settings: Settings) {
  const window = promDuration(scrapeWindowSeconds(settings));
  const changed = `(sum by (pod) (${increase(m.gitSyncFlags, target, window)}) > 0)`;
  const failed = `(sum by (pod) (${increase(m.gitSyncErrors, target, window)}) > 0)`;
  // A sample is up to one scrape old: red after three missed polls, plus two scrapes of slack.
  const pollRed = 3 * settings.git.pollIntervalSeconds + 2 * promDurationSeconds(settings.monitoring.scrapeInterval);
  return [
    statPanel(
      { title: "Since last Git sync", description: `Seconds since the last poll of ${settings.git.ref}, successful or not (Flipt polls every ${settings.git.pollInterval}).`, unit: "s", width: 4 },
      { expr: `time() - max(${m.gitSyncLastTime}{${target}} > 0)`, legend: "seconds" },
      { red: pollRed },
    ),
    statPanel(
      { title: "Since last flag change", description: `Seconds since a sync last loaded changed flags without errors (to within ${window}); "no data" when none in the last day.`, unit: "s", width: 4 },
      { expr: `time() - max(max_over_time(timestamp(${changed} unless on (pod) ${failed})[1d:1m]))`, legend: "seconds" },
      { red: 7 * 86_400 },
    ),
    timeseriesPanel(
      { title: "Git sync errors", description: "Failed sync attempts next to all attempts, per pod.", unit: "short", width: 8, height: 6 },
      [
        { expr: `sum by (pod) (${increase(m.gitSyncErrors, target)})`, legend: "errors {{pod}}" },
        { expr: `sum by (pod) (${increase(m.gitSyncLatencyCount, target)})`, legend: "syncs {{pod}}" },
      ],
    ),
    timeseriesPanel(
      { title: "Git sync latency", description: "Average and p99 duration of a sync (fetch and snapshot rebuild).", unit: "s", width: 8, height: 6 },
      [
        { expr: `sum by (pod) (${rate(m.gitSyncLatencySum, target)}) / sum by (pod) (${rate(m.gitSyncLatencyCount, target)})`, legend: "avg {{pod}}" },
        { expr: `histogram_quantile(0.99, sum by (pod, le) (${rate(m.gitSyncLatencyBucket, target)}))`, legend: "p99 {{pod}}" },
      ],
    ),
    timeseriesPanel(
      {
        title: "Flags in rebuilt snapshots",
        description: "Flipt adds a snapshot's flag count each time a sync rebuilds it (a change, or a retry after a failed fetch): a bar of N is a rebuild of a snapshot with N flags.",
        unit: "short",
        width: 24,
        height: 6,
      },
      [{ expr: `sum by (pod) (${increase(m.gitSyncFlags, target)})`, legend: "{{pod}}" }],
      "bars",
    ),
  ];
}

function processPanels() {
  return [
    statPanel(
      { title: "Flipt up", description: "Flipt pods whose last scrape succeeded.", unit: "short", width: 4 },
      { expr: `sum(${SCRAPE_METRICS.up}{${target}})`, legend: "up" },
      { red: 1, redBelow: true },
    ),
    statPanel(
      { title: "Restarts", description: "Flipt process restarts in the selected time range (a new process start time).", unit: "short", width: 4 },
      { expr: `sum(changes(${m.processStartTime}{${target}}[$__range]))`, legend: "restarts" },
      { red: 1 },
    ),
    timeseriesPanel(
      { title: "Memory", description: "Resident memory and Go heap in use, per pod.", unit: "bytes", width: 8, height: 6 },
      [
        { expr: `sum by (pod) (${m.processResidentMemory}{${target}})`, legend: "rss {{pod}}" },
        { expr: `sum by (pod) (${m.goHeapInuse}{${target}})`, legend: "heap {{pod}}" },
      ],
    ),
    timeseriesPanel(
      { title: "CPU", description: "CPU cores used, per pod.", unit: "short", width: 8, height: 6 },
      [{ expr: `sum by (pod) (${rate(m.processCpuSeconds, target)})`, legend: "{{pod}}" }],
    ),
  ];
}

/** The flags relay's row: is upstream reachable, is its head held back, which overrides are in place. */
function relayPanels(settings: Settings, relay: RelaySettings) {
  const r = RELAY_SERIES;
  const relayTarget = relayMatchers(`$${DASHBOARD_VARIABLES.namespace}`);
  // As "Since last Git sync": red after three missed polls, plus two scrapes of slack.
  const fetchRed = 3 * relay.pollIntervalSeconds + 2 * promDurationSeconds(settings.monitoring.scrapeInterval);
  return [
    statPanel(
      {
        title: "Since last upstream fetch",
        description: `Seconds since the relay last fetched ${settings.git.ref} from the Git host (it polls every ${relay.pollInterval}; ${ALERTS.relayUpstreamUnreachable} at ${RELAY_UPSTREAM_UNREACHABLE_SECONDS} s).`,
        unit: "s",
        width: 4,
      },
      { expr: `time() - max(${r.upstreamLastSuccess}{${relayTarget}})`, legend: "seconds" },
      { red: fetchRed },
    ),
    statPanel(
      { title: "Upstream up", description: "1 when the relay's last fetch from the Git host succeeded, 0 when it failed.", unit: "short", width: 4 },
      { expr: `max(${r.upstreamUp}{${relayTarget}})`, legend: "up" },
      { red: 1, redBelow: true },
    ),
    statPanel(
      { title: "Head held back", description: `1 while ${settings.git.ref}'s head fails the flags checks and Flipt is served the last good commit (npm run flags -- override --stack ${settings.stack} --status names the problems).`, unit: "short", width: 4 },
      { expr: `max(${r.heldBack}{${relayTarget}})`, legend: "held back" },
      { red: 1 },
    ),
    timeseriesPanel(
      { title: "Commits held back", description: "Upstream commits the relay held back because their flags failed the checks.", unit: "short", width: 12, height: 6 },
      [{ expr: `sum(${increase(r.heldBackTotal, relayTarget)})`, legend: "held back" }],
      "bars",
    ),
    timeseriesPanel(
      { title: "Overrides by state", description: "Break-glass overrides the relay applies (applied), keeps against a different upstream change (conflict) or refuses (rejected).", unit: "short", width: 12, height: 6 },
      [{ expr: `sum by (${RELAY_LABELS.state}) (${r.overrides}{${relayTarget}})`, legend: `{{${RELAY_LABELS.state}}}` }],
      "stacked",
    ),
    timeseriesPanel(
      { title: "Relay poll duration", description: "Average and p99 duration of one poll: fetch, checks, overrides, write.", unit: "s", width: 12, height: 6 },
      [
        { expr: `sum(${rate(r.pollSecondsSum, relayTarget)}) / sum(${rate(r.pollSecondsCount, relayTarget)})`, legend: "avg" },
        { expr: `histogram_quantile(0.99, sum by (le) (${rate(r.pollSecondsBucket, relayTarget)}))`, legend: "p99" },
      ],
    ),
  ];
}

function variables(settings: Settings) {
  const ns = new dashboard.QueryVariableBuilder(DASHBOARD_VARIABLES.namespace)
    .label("Namespace")
    .datasource(DATASOURCE)
    .query(`label_values(${SCRAPE_METRICS.up}{job="${FLIPT_JOB}"}, namespace)`)
    .current({ text: settings.namespace, value: settings.namespace })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
  const flag = new dashboard.QueryVariableBuilder(DASHBOARD_VARIABLES.flag)
    .label("Flag")
    .datasource(DATASOURCE)
    .query(`label_values(${m.evaluationRequests}{${target}}, ${FLIPT_LABELS.flag})`)
    .multi(true)
    .includeAll(true)
    .allValue(".*")
    .current({ text: ["All"], value: ["$__all"] })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
  const datasource = new dashboard.DatasourceVariableBuilder(DASHBOARD_VARIABLES.datasource).label("Data source").type("prometheus");
  return [datasource, ns, flag];
}

/** The dashboard model (plain JSON), the same for API and sidecar delivery. */
export function fliptDashboard(settings: Settings): DashboardModel {
  const builder = new dashboard.DashboardBuilder(dashboardTitle(settings))
    .uid(dashboardUid(settings))
    .description("Flag evaluations, results, latency and errors; Git sync health; Flipt's process. Generated by flipt-deploy.")
    .tags(["flipt", "feature-flags"])
    .editable()
    .refresh("1m")
    .time({ from: "now-6h", to: "now" })
    .timezone("browser");
  for (const v of variables(settings)) builder.withVariable(v);
  const rows: [string, ReturnType<typeof timeseriesPanel | typeof statPanel>[]][] = [
    ["Evaluations", evaluationPanels()],
    ["Git sync", gitSyncPanels(settings)],
    ["Flipt", processPanels()],
  ];
  if (settings.relay) rows.push(["Flags relay", relayPanels(settings, settings.relay)]);
  let id = 1;
  for (const [title, panels] of rows) {
    builder.withRow(new dashboard.RowBuilder(title).id(id++));
    for (const panel of panels) builder.withPanel(panel.id(id++));
  }
  // Through JSON: the SDK's objects carry marker methods (`_implementsDataqueryVariant`) that are not model.
  return JSON.parse(JSON.stringify(builder.build())) as DashboardModel;
}

/** The model as delivered: stable key order and two-space indentation, so a change reads as a diff. */
export function dashboardJson(settings: Settings): string {
  return `${JSON.stringify(fliptDashboard(settings), null, 2)}\n`;
}

export function dashboardConfigMapName(settings: Settings): string {
  return `${settings.namespace}-dashboard`;
}

/** Sidecar delivery: a ConfigMap Grafana's dashboard sidecar picks up by its label. Undefined in API mode. */
export function dashboardConfigMapSpec(settings: Settings): ObjectSpec | undefined {
  const { monitoring } = settings;
  if (monitoring.grafanaApi) return undefined;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: dashboardConfigMapName(settings),
      namespace: monitoring.dashboardNamespace,
      labels: { ...commonLabels(settings), [monitoring.sidecarLabel]: "1" },
    },
    data: { [`${dashboardUid(settings)}.json`]: dashboardJson(settings) },
  };
}

/** Dashboard objects in the cluster: the sidecar ConfigMap, or none when Grafana's API is used. */
export function dashboardObjectSpecs(settings: Settings): ObjectSpec[] {
  const configMap = dashboardConfigMapSpec(settings);
  return configMap ? [configMap] : [];
}
