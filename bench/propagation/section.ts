/**
 * The propagation section: the time from a commit reaching the served flags repository (commit and
 * push done) to the first evaluation that returns the new value, measured on a kill switch that is
 * engaged and released in turn, for each stack at once. Before each change the bench waits a random
 * part of the poll interval, so the changes land at independent points of Flipt's poll cycle, as
 * merges do.
 */
import { FLIPT_METRICS } from "../../builders/fliptMetrics";
import { killSwitches, withFlagEnabled } from "../../scripts/lib/flagFiles";
import { metricValue } from "../../scripts/lib/metricsExposition";
import { Supervisor, sleep, waitFor } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { EVALUATE_PATHS } from "../lib/evaluationRequests";
import { Row, formatMiB, formatMs } from "../lib/format";
import { readMemory } from "../lib/processFootprint";
import { Summary, pollingFloor, summarize } from "../lib/stats";
import { FliptTarget, STACKS, startTarget } from "../lib/targets";
import { Section, fliptBlocker } from "../section";

/** How often the new value is looked for: the resolution of every figure below. */
export const EVALUATE_EVERY_MS = 50;
/** Beyond the poll interval, how long a change may take before the run is declared failed. */
const SLACK_MS = 10_000;
/** The file store the services use today reads its snapshot file every 5 s. */
export const FILE_STORE_POLL_MS = 5000;
/** Changes per stack. */
const CHANGES = { full: 10, quick: 3 } as const;

export interface PropagationChange {
  /** Random wait before the commit (ms), which places it in the poll cycle. */
  readonly delayMs: number;
  readonly enabled: boolean;
  /** git commit + push (ms). */
  readonly commitMs: number;
  /** Commit pushed → first evaluation with the new value (ms). */
  readonly propagationMs: number;
  /** Evaluations made while waiting. */
  readonly evaluations: number;
}

export interface PropagationRun {
  readonly stack: string;
  readonly pollInterval: string;
  readonly pollIntervalMs: number;
  readonly flag: string;
  readonly changes: readonly PropagationChange[];
  readonly summaryMs: Summary;
  /** What the poll interval alone costs with uniformly placed changes. */
  readonly floorMs: { readonly median: number; readonly p95: number; readonly max: number };
  /** Mean duration of Flipt's Git syncs (fetch and snapshot rebuild), from its own histogram: the cost on top of the wait for the next poll. */
  readonly gitSyncMeanMs?: number;
  readonly gitSyncs?: number;
  /** Flipt's memory before and after the changes. */
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
}

export interface PropagationResults {
  readonly evaluateEveryMs: number;
  readonly runs: readonly PropagationRun[];
  readonly fileStore: { readonly pollIntervalMs: number; readonly floorMs: PropagationRun["floorMs"]; readonly note: string };
}

async function evaluateBoolean(url: string, namespace: string, key: string): Promise<boolean> {
  const response = await fetch(`${url}${EVALUATE_PATHS.boolean}`, {
    method: "POST",
    body: JSON.stringify({ namespaceKey: namespace, flagKey: key, entityId: "bench-propagation", context: {} }),
    signal: AbortSignal.timeout(2000),
  });
  if (!response.ok) throw new Error(`evaluation of ${namespace}/${key} answered ${response.status}`);
  return ((await response.json()) as { enabled: boolean }).enabled;
}

async function measureChanges(target: FliptTarget, count: number, log: (line: string) => void): Promise<PropagationRun> {
  const { settings, repository, flipt } = target.local;
  const pollIntervalMs = settings.git.pollIntervalSeconds * 1000;
  const flagsDir = repository.flagsPath();
  const switches = killSwitches(flagsDir);
  if (switches.length === 0) throw new Error(`no kill switch among the flags in ${flagsDir}`);
  const { namespace, key, legacyKey } = switches[0];
  let current = await evaluateBoolean(flipt.url, namespace, key);
  const rssBeforeBytes = readMemory(target.pid).rssBytes;
  const changes: PropagationChange[] = [];
  for (let i = 0; i < count; i++) {
    const enabled = !current;
    const delayMs = Math.round(Math.random() * pollIntervalMs);
    await sleep(delayMs);
    const { file, content } = withFlagEnabled(flagsDir, namespace, key, enabled);
    repository.writeFlags({ [file]: content });
    const commitStarted = performance.now();
    repository.commit(`bench: ${enabled ? "engage" : "release"} ${legacyKey}`);
    const committed = performance.now();
    let evaluations = 0;
    await waitFor(
      async () => {
        evaluations++;
        return (await evaluateBoolean(flipt.url, namespace, key)) === enabled;
      },
      { timeoutMs: pollIntervalMs + SLACK_MS, intervalMs: EVALUATE_EVERY_MS, what: `${settings.stack}: ${namespace}/${key} to become ${enabled}` },
    );
    const propagationMs = performance.now() - committed;
    changes.push({ delayMs, enabled, commitMs: committed - commitStarted, propagationMs, evaluations });
    log(`propagation ${settings.stack}: change ${i + 1}/${count} (${enabled ? "engage" : "release"}) served after ${Math.round(propagationMs)} ms`);
    current = enabled;
  }
  const metrics = await flipt.metrics();
  const syncSeconds = metricValue(metrics, FLIPT_METRICS.gitSyncLatencySum);
  const syncs = metricValue(metrics, FLIPT_METRICS.gitSyncLatencyCount);
  return {
    stack: settings.stack,
    pollInterval: settings.git.pollInterval,
    pollIntervalMs,
    flag: `${namespace}/${key}`,
    changes,
    summaryMs: summarize(changes.map((c) => c.propagationMs)),
    floorMs: pollingFloor(pollIntervalMs),
    gitSyncMeanMs: syncSeconds !== undefined && syncs ? (syncSeconds / syncs) * 1000 : undefined,
    gitSyncs: syncs,
    rssBeforeBytes,
    rssAfterBytes: readMemory(target.pid).rssBytes,
  };
}

/**
 * One Flipt per stack, each from its rendered config and with its own Git server, measured at the
 * same time (the waits dominate; neither needs much CPU).
 */
export async function measurePropagation(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  stacks: readonly string[],
  changesPerStack: number,
  log: (line: string) => void,
): Promise<PropagationResults> {
  const runs = await Promise.all(
    stacks.map(async (stack) => {
      const target = await startTarget(supervisor, tools, { name: `propagation-${stack}`, stack, storage: "git" });
      try {
        return await measureChanges(target, changesPerStack, log);
      } finally {
        await target.local.flipt.stop();
      }
    }),
  );
  return {
    evaluateEveryMs: EVALUATE_EVERY_MS,
    runs,
    fileStore: {
      pollIntervalMs: FILE_STORE_POLL_MS,
      floorMs: pollingFloor(FILE_STORE_POLL_MS),
      note: "not measured here: the file store's poll alone, after a deploy has changed the snapshot file",
    },
  };
}

const TITLE = "1 propagation";

function propagationRows(results: PropagationResults): Row[] {
  const rows: Row[] = [];
  for (const run of results.runs) {
    const m = run.summaryMs;
    const floor = run.floorMs;
    rows.push([
      TITLE,
      `${run.stack}: commit → new value (poll ${run.pollInterval}, n=${m.n})`,
      `median ${formatMs(m.median)} · p95 ${formatMs(m.p95)} · max ${formatMs(m.max)}`,
      `poll interval alone: median ${formatMs(floor.median)} · p95 ${formatMs(floor.p95)} · max ${formatMs(floor.max)}`,
    ]);
    const sync = run.gitSyncMeanMs === undefined ? "no sync recorded" : `mean Git sync ${formatMs(run.gitSyncMeanMs)} over ${run.gitSyncs} polls`;
    rows.push([TITLE, `${run.stack}: cost on top of the poll`, sync, `Flipt RSS ${formatMiB(run.rssBeforeBytes)} → ${formatMiB(run.rssAfterBytes)} over the ${m.n} commits`]);
  }
  const fileStore = results.fileStore;
  const floor = fileStore.floorMs;
  rows.push([
    TITLE,
    `file store (replaced): poll ${fileStore.pollIntervalMs / 1000}s`,
    `median ${formatMs(floor.median)} · p95 ${formatMs(floor.p95)} · max ${formatMs(floor.max)}, after a deploy`,
    "the poll alone (not measured): a change also needs a deploy",
  ]);
  return rows;
}

export const propagationSection: Section<PropagationResults> = {
  title: TITLE,
  blocker: fliptBlocker,
  measure: ({ supervisor, tools, options, log }) => {
    const changes = CHANGES[options.quick ? "quick" : "full"];
    log(`propagation: ${changes} changes per stack (${STACKS.join(", ")}), both at once`);
    return measurePropagation(supervisor, tools, STACKS, changes, log);
  },
  rows: propagationRows,
  problems: () => [],
};
