import { afterAll, beforeAll, expect, test } from "vitest";
import { FLIPT_LABELS, FLIPT_METRICS, KUBE_STATE_METRICS, SCRAPE_METRICS } from "../../builders/fliptMetrics";
import { ALERTS, FLIPT_JOB, fliptMatchers, promDurationSeconds } from "../../builders/monitoring";
import { sleep, waitFor } from "../../scripts/lib/processes";
import { renderSettings } from "../../scripts/lib/renderedStack";
import { VARIABLE_VALUES, dashboardQueries, panelsOf, substituteVariables } from "../monitoring/promql";
import {
  BRANCH_ONLY_FLAG,
  BRANCH_ONLY_FLAG_STATUS,
  INVALID_FILE_NAME,
  INVALID_FLAG_FILE,
  WRONG_TYPE_STATUS,
  evaluateAtBranch,
  evaluateWithWrongType,
  pushBranchOnlyFlag,
} from "./harness/errorCounters";
import { FlagRef, readFlagFiles } from "../../scripts/lib/flagFiles";
import { OpenFeatureClients, closeOpenFeature } from "../../scripts/lib/openFeatureClients";
import {
  PrometheusServer,
  RenderedMonitoring,
  ScrapeJob,
  adaptScrapeJobForLocalRun,
  operatorScrapeJob,
  renderedMonitoring,
} from "./harness/prometheus";
import { E2EStack, describeWithFlipt, startStack } from "./harness/stack";
import { figure } from "./harness/summary";

/** Scrape and rule evaluation in the test (the dev ServiceMonitor says 30s; see adaptScrapeJobForLocalRun). */
const SCRAPE_INTERVAL = "5s";
const SCRAPE_INTERVAL_MS = promDurationSeconds(SCRAPE_INTERVAL) * 1000;
const EVALUATION_INTERVAL = "5s";
/** One round evaluates every served flag once, plus one evaluation that Flipt counts as an error. */
const ROUND_EVERY_MS = 250;
const SUBJECT_PREFIX = "org-";
/** A PromQL subquery, `[<range>:<step>]`. */
const SUBQUERY = /\[[^\]:]+:([^\]]+)\]/;
/** The faults test waits for errors to be scraped, a whole subquery step (1m), two failed polls and two scrapes. */
const FAULTS_TEST_TIMEOUT_MS = 160_000;

/** Evaluations in the background, like services calling Flipt, until stopped. */
class EvaluationLoad {
  booleans = 0;
  failures = 0;
  countedErrors = 0;
  wrongType = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(clients: OpenFeatureClients, flags: readonly FlagRef[], fliptUrl: string) {
    const boolean = async ({ namespace, key }: FlagRef, subject: string) => {
      const details = await (await clients.client(namespace)).getBooleanDetails(key, false, { targetingKey: subject });
      if (details.errorCode) this.failures++;
      else this.booleans++;
    };
    const failing = async (subject: string) => {
      if ((await evaluateAtBranch(fliptUrl, BRANCH_ONLY_FLAG, subject)) === BRANCH_ONLY_FLAG_STATUS) this.countedErrors++;
      else this.failures++;
      // The errors alert counts error codes of evaluation calls other than NotFound.
      if ((await evaluateWithWrongType(fliptUrl, BRANCH_ONLY_FLAG, subject)) === WRONG_TYPE_STATUS) this.wrongType++;
      else this.failures++;
    };
    this.done = (async () => {
      for (let round = 0; this.running; round++) {
        const subject = `${SUBJECT_PREFIX}${round % 50}`;
        await Promise.all([...flags.map((flag) => boolean(flag, subject)), failing(subject)]).catch(() => this.failures++);
        await sleep(ROUND_EVERY_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

describeWithFlipt("scenario 6: metrics and dashboard", () => {
  let stack: E2EStack;
  let monitoring: RenderedMonitoring;
  let job: ScrapeJob;
  let prometheus: PrometheusServer;
  let clients: OpenFeatureClients;
  let load: EvaluationLoad | undefined;
  let flags: FlagRef[];
  /** Wall-clock seconds when the last fault was seen in Prometheus; rules must have evaluated since. */
  let faultsSeenAt = 0;

  const namespace = () => stack.settings.namespace;
  const target = () => fliptMatchers(namespace());
  const variableValues = () => ({ ...VARIABLE_VALUES, namespace: namespace() });
  const seriesCount = async (expr: string) => {
    const result = await prometheus.query(expr);
    if (result.status !== "success") throw new Error(`${expr}: ${result.error}`);
    return result.series.length;
  };
  /** Waits until Prometheus has scraped Flipt `count` more times. */
  const nextScrapes = async (count: number) => {
    const since = Date.now();
    await waitFor(async () => {
      const seconds = Math.floor((Date.now() - since) / 1000);
      if (seconds < 1) return false;
      const result = await prometheus.query(`count_over_time(${SCRAPE_METRICS.up}{${target()}}[${seconds}s])`);
      return (result.series[0]?.value ?? 0) >= count;
    }, { timeoutMs: (count + 2) * SCRAPE_INTERVAL_MS, intervalMs: 500, what: `${count} scrapes of Flipt` });
  };

  beforeAll(async () => {
    stack = await startStack({ database: "sqlite" });
    // The stack as startStack runs it (Flipt against Git, no relay): its monitoring objects, the ones Prometheus scrapes here.
    monitoring = renderedMonitoring(renderSettings(stack.settings), stack.settings);
    job = adaptScrapeJobForLocalRun(operatorScrapeJob(monitoring, new URL(stack.flipt.url).host), SCRAPE_INTERVAL);
    prometheus = await PrometheusServer.start(stack.supervisor, {
      bin: stack.tools.prometheusBin,
      scrapeJobs: [job],
      ruleGroups: monitoring.ruleGroups,
      evaluationInterval: EVALUATION_INTERVAL,
    });
    clients = new OpenFeatureClients(stack.flipt.url);
    flags = readFlagFiles(stack.repository.flagsPath()).flatMap(({ document }) => document.flags.map((f) => ({ namespace: document.namespace, key: f.key })));
    pushBranchOnlyFlag(stack.repository, stack.tools.gitBin, stack.supervisor.tempDir("metrics-branch"));
    load = new EvaluationLoad(clients, flags, stack.flipt.url);
  });
  afterAll(async () => {
    await load?.stop();
    await closeOpenFeature();
    await stack?.stop();
  });

  test("Prometheus scrapes Flipt's /metrics with the ServiceMonitor's endpoint and the operator's target labels", async ({ task }) => {
    const endpoint = monitoring.serviceMonitor.spec.endpoints[0];
    const [scraped] = await waitFor(async () => {
      const targets = await prometheus.targets();
      return targets.length === 1 && targets[0].health === "up" && targets;
    }, { timeoutMs: 3 * SCRAPE_INTERVAL_MS, what: "Prometheus to scrape Flipt successfully" });
    const labels = job.static_configs[0].labels;
    expect(scraped.labels).toMatchObject(labels);
    expect(labels).toMatchObject({ job: FLIPT_JOB, namespace: namespace(), endpoint: endpoint.port });
    expect(new URL(scraped.scrapeUrl).pathname).toBe(endpoint.path);
    figure(task, "ServiceMonitor endpoint", `port ${endpoint.port}, ${endpoint.scheme}, path ${endpoint.path}, interval ${endpoint.interval}`);
    figure(task, "test's scrape", `${scraped.scrapeUrl} every ${scraped.scrapeInterval} (shortened from ${endpoint.interval}); rules every ${EVALUATION_INTERVAL}`);
    figure(task, "target labels", Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(" "));

    // Flipt's own `namespace` (its flag namespace) collides with the target's and is kept as exported_namespace.
    const evaluated = await waitFor(async () => {
      const result = await prometheus.query(`count by (namespace, ${FLIPT_LABELS.fliptNamespace}) (${FLIPT_METRICS.evaluationRequests}{${target()}})`);
      return result.series.length > 0 && result.series.map((s) => s.metric);
    }, { timeoutMs: 3 * SCRAPE_INTERVAL_MS, what: `${FLIPT_METRICS.evaluationRequests} in Prometheus` });
    const fliptNamespaces = [...new Set(flags.map((f) => f.namespace))];
    for (const labels of evaluated) expect(labels.namespace).toBe(namespace());
    expect(evaluated.map((l) => l[FLIPT_LABELS.fliptNamespace])).toEqual(expect.arrayContaining(fliptNamespaces));
    figure(task, "exported_namespace", evaluated.map((l) => l[FLIPT_LABELS.fliptNamespace]).sort().join(", "));
  });

  test("evaluation errors and a failed Git sync reach Prometheus", async ({ task }) => {
    const selector = (metric: string) => `${metric}{${target()}}`;
    await waitFor(async () => (await seriesCount(`count_over_time(${selector(FLIPT_METRICS.evaluationErrors)}[1m]) >= 2`)) > 0, {
      timeoutMs: 4 * SCRAPE_INTERVAL_MS,
      what: `two scrapes of ${FLIPT_METRICS.evaluationErrors}`,
    });
    figure(task, "evaluations so far", `${load!.booleans} boolean, ${load!.countedErrors} variant at branch ${BRANCH_ONLY_FLAG.branch} (counted as errors), ${load!.wrongType} boolean calls of that variant flag (InvalidArgument), ${load!.failures} unexpected failures`);

    // A subquery (`[1d:1m]` in "Since last flag change") is evaluated at whole steps only: one must
    // pass after syncs were scraped, and before Git fails, for its "loaded without errors" to hold.
    const subqueries = dashboardQueries(monitoring.dashboard).filter((q) => SUBQUERY.test(q.expr));
    const waitedFrom = Date.now();
    for (const q of subqueries) {
      const stepMs = promDurationSeconds(SUBQUERY.exec(q.expr)![1]) * 1000;
      await waitFor(async () => (await seriesCount(substituteVariables(q.expr, variableValues()))) > 0, {
        // A whole step, plus a poll and two scrapes that show a sync.
        timeoutMs: stepMs + stack.settings.git.pollIntervalSeconds * 1000 + 2 * SCRAPE_INTERVAL_MS,
        intervalMs: 1000,
        what: `"${q.panel}" to have data`,
      });
    }
    figure(task, "waited for a whole minute", `${Date.now() - waitedFrom} ms (${subqueries.map((q) => q.panel).join(", ")})`);

    stack.repository.writeFlags({ [INVALID_FILE_NAME]: INVALID_FLAG_FILE });
    stack.repository.commit("add an invalid flag file");
    const committed = Date.now();
    await waitFor(async () => (await seriesCount(`increase(${selector(FLIPT_METRICS.gitSyncErrors)}[1m]) > 0`)) > 0, {
      timeoutMs: stack.settings.git.pollIntervalSeconds * 2000 + 3 * SCRAPE_INTERVAL_MS,
      intervalMs: 500,
      what: `an increase of ${FLIPT_METRICS.gitSyncErrors} in Prometheus`,
    });
    figure(task, "invalid commit → sync errors rising in Prometheus", `${Date.now() - committed} ms`);
    faultsSeenAt = Date.now() / 1000;
    await nextScrapes(2);
  }, FAULTS_TEST_TIMEOUT_MS);

  test("every dashboard panel query returns at least one series", async ({ task }) => {
    const queries = dashboardQueries(monitoring.dashboard);
    const panels = panelsOf(monitoring.dashboard).map((p) => p.title ?? "(untitled)");
    const results = await Promise.all(queries.map(async (q) => ({ ...q, result: await prometheus.query(substituteVariables(q.expr, variableValues())) })));
    const byPanel = panels.map((panel) => {
      const own = results.filter((r) => r.panel === panel);
      const withData = own.filter((r) => r.result.status === "success" && r.result.series.length > 0);
      // A stat panel's number, for the reader of the summary.
      const single = own.length === 1 && own[0].result.series.length === 1 ? ` (${Number(own[0].result.series[0].value.toPrecision(3))})` : "";
      return { panel, queries: own.length, withData: withData.length, single };
    });
    figure(task, "panels with data", `${byPanel.filter((p) => p.withData === p.queries && p.queries > 0).length}/${panels.length} (${results.filter((r) => r.result.series.length > 0).length}/${queries.length} queries)`);
    figure(task, "per panel", byPanel.map((p) => `${p.panel}: ${p.withData === p.queries ? `yes${p.single}` : `NO (${p.withData}/${p.queries})`}`).join("; "));
    figure(task, "variables", `$namespace=${namespace()}, $flag=${VARIABLE_VALUES.flag}, $__rate_interval=${VARIABLE_VALUES.__rate_interval}, $__range=${VARIABLE_VALUES.__range}`);
    for (const r of results) {
      expect.soft(r.result.error, `${r.panel} ${r.refId}: ${r.expr}`).toBeUndefined();
      expect.soft(r.result.series.length, `${r.panel} ${r.refId} returns no series: ${substituteVariables(r.expr, variableValues())}`).toBeGreaterThan(0);
    }
    expect(panels.length).toBeGreaterThan(0);
  });

  test("the dashboard's variables list the stack's namespace and the evaluated flags", async ({ task }) => {
    const listed: Record<string, string[]> = {};
    for (const variable of (monitoring.dashboard.templating?.list ?? []) as { name: string; type: string; query?: string }[]) {
      if (variable.type !== "query") continue;
      const call = /^label_values\((.+),\s*(\w+)\)$/.exec(variable.query ?? "");
      expect(call, `variable ${variable.name}: ${variable.query}`).not.toBeNull();
      listed[variable.name] = await prometheus.labelValues(call![2], substituteVariables(call![1], variableValues()));
    }
    figure(task, "values", Object.entries(listed).map(([name, values]) => `$${name}: ${values.length} (${values.slice(0, 3).join(", ")}${values.length > 3 ? ", …" : ""})`).join("; "));
    expect(listed.namespace).toEqual([namespace()]);
    expect(listed.flag).toEqual(expect.arrayContaining([...flags.map((f) => f.key), BRANCH_ONLY_FLAG.key]));
  });

  test("every alert rule is loaded and evaluates without error; the alerts on the faults caused here see them", async ({ task }) => {
    const rules = monitoring.ruleGroups.flatMap((g) => g.rules);
    const loaded = await waitFor(async () => {
      const statuses = await prometheus.rules();
      const evaluated = statuses.filter((s) => Date.parse(s.lastEvaluation) / 1000 > faultsSeenAt);
      return evaluated.length === rules.length && statuses;
    }, { timeoutMs: 4 * SCRAPE_INTERVAL_MS, what: "every rule to be evaluated after the faults were scraped" });
    const states: string[] = [];
    const returning = new Map<string, number>();
    for (const rule of rules) {
      const status = loaded.find((s) => s.name === rule.alert);
      expect(status, `rule ${rule.alert} loaded`).toBeDefined();
      expect.soft(status!.health, `${rule.alert}: ${status!.lastError}`).toBe("ok");
      expect.soft(status!.lastError ?? "", rule.alert).toBe("");
      const result = await prometheus.query(rule.expr);
      expect.soft(result.status, `${rule.alert}: ${result.error}`).toBe("success");
      states.push(`${rule.alert} ${status!.state}`);
      if (result.series.length > 0) returning.set(rule.alert, result.series.length);
    }
    figure(task, "rules", `${loaded.filter((s) => s.health === "ok").length}/${rules.length} health ok; ${states.join(", ")}`);
    figure(task, "expressions returning series", [...returning].map(([alert, count]) => `${alert} (${count})`).join(", ") || "none");
    // A selector that matched nothing would also evaluate without error: the faults caused here must be seen.
    for (const alert of [ALERTS.gitSyncFailing, ALERTS.evaluationErrors]) expect.soft(returning.has(alert), `${alert} sees the fault`).toBe(true);
    expect(loaded.filter((s) => s.type === "alerting")).toHaveLength(rules.length);
  });

  test("every series selector in the alert rules matches scraped series, except kube-state-metrics' restarts", async ({ task }) => {
    const kubernetesOnly = new Set<string>(Object.values(KUBE_STATE_METRICS));
    const selectors = new Map<string, string>();
    for (const rule of monitoring.ruleGroups.flatMap((g) => g.rules)) {
      for (const match of rule.expr.matchAll(/([A-Za-z_:][\w:]*)\{([^}]*)\}/g)) selectors.set(match[0], rule.alert);
    }
    const needsCluster: string[] = [];
    const matched: string[] = [];
    for (const [selector, alert] of selectors) {
      const metric = selector.slice(0, selector.indexOf("{"));
      if (kubernetesOnly.has(metric)) {
        needsCluster.push(`${metric} (${alert})`);
        continue;
      }
      expect.soft(await seriesCount(selector), `${alert}: ${selector} matches a scraped series`).toBeGreaterThan(0);
      matched.push(metric);
    }
    figure(task, "selectors with series", matched.join(", "));
    figure(task, "needs a Kubernetes cluster (kube-state-metrics)", needsCluster.join(", ") || "none");
    // The restarts for every stack; the autoscaler's two series where the stack autoscales.
    const expected = [`${KUBE_STATE_METRICS.containerRestarts} (${ALERTS.restarting})`];
    if (stack.settings.autoscaling) {
      expected.push(`${KUBE_STATE_METRICS.autoscalerCurrentReplicas} (${ALERTS.autoscalerAtMaximum})`, `${KUBE_STATE_METRICS.autoscalerMaxReplicas} (${ALERTS.autoscalerAtMaximum})`);
    }
    expect(needsCluster).toEqual(expected);
  });
});
