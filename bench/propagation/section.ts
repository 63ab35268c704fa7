/**
 * The propagation section: the time from a commit reaching the served flags repository (commit and
 * push done) to the first evaluation that returns the new value, measured on a kill switch that is
 * engaged and released in turn, for each stack at once, on two paths in the same run: Flipt cloning
 * the repository directly (the stack with its relay off, as review stacks run) and Flipt behind the
 * stack's flags relay (as dev and prod run). Before each change the bench waits a random part of the
 * poll interval, so the changes land at independent points of the poll cycles, as merges do. For
 * the relay it also measures its CPU per poll and memory, and a new Flipt's time to healthy with
 * upstream up and with upstream down.
 */
import { FLIPT_METRICS } from "../../builders/fliptMetrics";
import { killSwitches, withFlagEnabled } from "../../scripts/lib/flagFiles";
import { evaluateBoolean } from "../../scripts/lib/booleanEvaluation";
import { metricValue } from "../../scripts/lib/metricsExposition";
import * as fs from "node:fs";
import { RELAY_METRICS } from "../../builders/flagsRelayContract";
import { REPOSITORY_FLAGS_ROOT } from "../../scripts/lib/localFlipt";
import { startRelayedFlipt, type RelayedFlipt } from "../../scripts/lib/relayedFlipt";
import type { FlagsRepository } from "../../scripts/lib/flagsRepository";
import type { FliptProcess } from "../../scripts/lib/fliptProcess";
import type { Settings } from "../../settings/types";
import { Supervisor, sleep, waitFor } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { Row, formatMiB, formatMs } from "../lib/format";
import { clockTicksPerSecond, readMemory } from "../lib/processFootprint";
import { Summary, pollingFloor, summarize } from "../lib/stats";
import { FliptTarget, STACKS, startTarget } from "../lib/targets";
import { Section, fliptBlocker } from "../section";

/** The entity the bench evaluates as. */
const ENTITY = "bench-propagation";
/** How often the new value is looked for: the resolution of every figure below. */
export const EVALUATE_EVERY_MS = 50;
/** Beyond the poll interval, how long a change may take before the run is declared failed. */
const SLACK_MS = 10_000;
/** The file store the services use today reads its snapshot file every 5 s. */
export const FILE_STORE_POLL_MS = 5000;
/** Changes per stack and path. */
const CHANGES = { full: 20, quick: 3 } as const;
/** New Flipts started from the relay with upstream up, and as many with it down. */
const STARTS = { full: 3, quick: 1 } as const;
/** The goal of prod's commit-to-served p95 behind the relay. */
export const PROD_RELAY_P95_GOAL_MS = 15_000;

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

/** What the relay costs and what it buys, beside its propagation. */
export interface RelayFigures {
  readonly pollInterval: string;
  /** The relay's CPU per upstream poll over the changes: its own and its git children's, which fetch upstream and serve Flipt's polls. */
  readonly cpuMsPerPoll: number;
  readonly polls: number;
  readonly rssBytes: number;
  /** A new Flipt's launch to healthy, cloning from the relay, with upstream up and with upstream down (ms). */
  readonly startHealthyUpMs: readonly number[];
  readonly startHealthyDownMs: readonly number[];
}

export interface PropagationRun {
  readonly stack: string;
  /** direct: Flipt clones the repository (the relay off); relay: Flipt clones the stack's flags relay. Absent in runs before the relay: direct. */
  readonly path?: "direct" | "relay";
  readonly relay?: RelayFigures;
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

/** What a run measures: a Flipt, the repository commits go to, and the process whose memory is read. */
interface Measured {
  readonly settings: Settings;
  readonly repository: FlagsRepository;
  readonly flipt: FliptProcess;
  readonly pid: number;
  /** The relay's poll on top of Flipt's, for the timeout (0 on the direct path). */
  readonly extraPollMs: number;
}

function measuredTarget(target: FliptTarget): Measured {
  return { settings: target.local.settings, repository: target.local.repository, flipt: target.local.flipt, pid: target.pid, extraPollMs: 0 };
}

async function measureChanges(target: Measured, count: number, log: (line: string) => void, path: "direct" | "relay"): Promise<PropagationRun> {
  const { settings, repository, flipt } = target;
  const pollIntervalMs = settings.git.pollIntervalSeconds * 1000;
  const flagsDir = repository.flagsPath();
  const switches = killSwitches(flagsDir);
  if (switches.length === 0) throw new Error(`no kill switch among the flags in ${flagsDir}`);
  const { namespace, key, legacyKey } = switches[0];
  let current = await evaluateBoolean(flipt.url, { namespace, key }, ENTITY);
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
        return (await evaluateBoolean(flipt.url, { namespace, key }, ENTITY)) === enabled;
      },
      { timeoutMs: pollIntervalMs + target.extraPollMs + SLACK_MS, intervalMs: EVALUATE_EVERY_MS, what: `${settings.stack} (${path}): ${namespace}/${key} to become ${enabled}` },
    );
    const propagationMs = performance.now() - committed;
    changes.push({ delayMs, enabled, commitMs: committed - commitStarted, propagationMs, evaluations });
    log(`propagation ${settings.stack} ${path}: change ${i + 1}/${count} (${enabled ? "engage" : "release"}) served after ${Math.round(propagationMs)} ms`);
    current = enabled;
  }
  const metrics = await flipt.metrics();
  const syncSeconds = metricValue(metrics, FLIPT_METRICS.gitSyncLatencySum);
  const syncs = metricValue(metrics, FLIPT_METRICS.gitSyncLatencyCount);
  return {
    stack: settings.stack,
    path,
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

/** utime + stime of a process and its reaped children (git fetch, cat-file, fast-import), in seconds. */
function cpuWithChildrenSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / clockTicksPerSecond();
}

/** A new Flipt from the relay, launched and waited for: launch to healthy (ms). */
async function newFliptStart(relayed: RelayedFlipt): Promise<number> {
  const local = await relayed.newFlipt();
  const proc = await local.flipt.launch();
  const launched = performance.now();
  await local.flipt.waitHealthy(proc);
  const ms = performance.now() - launched;
  await local.flipt.stop();
  return ms;
}

async function measureRelayed(supervisor: Supervisor, tools: ToolchainPaths, stack: string, changes: number, starts: number, log: (line: string) => void): Promise<PropagationRun> {
  // The flags root: the relay checks every environment, as flags lint does.
  const relayed = await startRelayedFlipt({ supervisor, fliptBin: tools.fliptBin, gitBin: tools.gitBin, stack, flagsDir: REPOSITORY_FLAGS_ROOT });
  const flipt = relayed.local.flipt;
  try {
    await flipt.start();
    const relayPid = relayed.relay.process!.pid!;
    const pollsBefore = metricValue(await relayed.relay.metrics(), RELAY_METRICS.fetches) ?? 0;
    const cpuBefore = cpuWithChildrenSeconds(relayPid);
    const run = await measureChanges(
      { settings: relayed.settings, repository: relayed.upstream.repository, flipt, pid: flipt.process!.pid!, extraPollMs: relayed.settings.relay!.pollIntervalSeconds * 1000 },
      changes,
      log,
      "relay",
    );
    const polls = (metricValue(await relayed.relay.metrics(), RELAY_METRICS.fetches) ?? 0) - pollsBefore;
    const cpuMsPerPoll = polls > 0 ? ((cpuWithChildrenSeconds(relayPid) - cpuBefore) * 1000) / polls : 0;
    const rssBytes = readMemory(relayPid).rssBytes;
    const startHealthyUpMs: number[] = [];
    const startHealthyDownMs: number[] = [];
    for (let i = 0; i < starts; i++) startHealthyUpMs.push(await newFliptStart(relayed));
    await relayed.upstream.gitServer.stop();
    for (let i = 0; i < starts; i++) startHealthyDownMs.push(await newFliptStart(relayed));
    await relayed.upstream.gitServer.start();
    log(`propagation ${stack} relay: ${polls} polls at ${cpuMsPerPoll.toFixed(1)} ms CPU each; new Flipt healthy in ${startHealthyUpMs.map(Math.round).join("/")} ms (upstream up), ${startHealthyDownMs.map(Math.round).join("/")} ms (down)`);
    return { ...run, relay: { pollInterval: relayed.settings.relay!.pollInterval, cpuMsPerPoll, polls, rssBytes, startHealthyUpMs, startHealthyDownMs } };
  } finally {
    await flipt.stop();
    await relayed.relay.stop();
  }
}

/**
 * Per stack, a Flipt cloning the repository directly and a Flipt behind the stack's relay, each from
 * the rendered config and with its own Git server, all measured at the same time (the waits
 * dominate; none needs much CPU).
 */
export async function measurePropagation(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  stacks: readonly string[],
  changesPerStack: number,
  log: (line: string) => void,
  starts: number = STARTS.quick,
): Promise<PropagationResults> {
  const direct = stacks.map(async (stack) => {
    const target = await startTarget(supervisor, tools, { name: `propagation-${stack}`, stack, storage: "git" });
    try {
      return await measureChanges(measuredTarget(target), changesPerStack, log, "direct");
    } finally {
      await target.local.flipt.stop();
    }
  });
  const relayed = stacks.map((stack) => measureRelayed(supervisor, tools, stack, changesPerStack, starts, log));
  const runs = await Promise.all([...direct, ...relayed]);
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
    const relay = run.relay;
    const name = `${run.stack}${run.path === undefined ? "" : run.path === "relay" ? " through the relay" : " direct Git"}`;
    rows.push([
      TITLE,
      `${name}: commit → new value (${relay ? `relay poll ${relay.pollInterval} + Flipt poll ${run.pollInterval}` : `poll ${run.pollInterval}`}, n=${m.n})`,
      `median ${formatMs(m.median)} · p95 ${formatMs(m.p95)} · max ${formatMs(m.max)}`,
      relay ? "both polls: up to their sum" : `poll interval alone: median ${formatMs(floor.median)} · p95 ${formatMs(floor.p95)} · max ${formatMs(floor.max)}`,
    ]);
    const sync = run.gitSyncMeanMs === undefined ? "no sync recorded" : `mean Git sync ${formatMs(run.gitSyncMeanMs)} over ${run.gitSyncs} polls`;
    rows.push([TITLE, `${name}: cost on top of the poll`, sync, `Flipt RSS ${formatMiB(run.rssBeforeBytes)} → ${formatMiB(run.rssAfterBytes)} over the ${m.n} commits`]);
    if (relay) {
      rows.push([TITLE, `${run.stack} relay: CPU per upstream poll (its git included, serving Flipt's polls too), memory`, `${relay.cpuMsPerPoll.toFixed(1)} ms CPU per poll over ${relay.polls} polls`, `relay RSS ${formatMiB(relay.rssBytes)}`]);
      const list = (values: readonly number[]) => values.map((v) => formatMs(v)).join(", ");
      rows.push([TITLE, `${run.stack}: new Flipt from the relay, launch → healthy`, `upstream up: ${list(relay.startHealthyUpMs)}`, `upstream down: ${list(relay.startHealthyDownMs)}`]);
    }
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
    log(`propagation: ${changes} changes per stack (${STACKS.join(", ")}) and path (direct Git, through the relay), all at once`);
    return measurePropagation(supervisor, tools, STACKS, changes, log, STARTS[options.quick ? "quick" : "full"]);
  },
  rows: propagationRows,
  problems: (results) => {
    const prod = results.runs.find((r) => r.stack === "prod" && r.path === "relay");
    if (prod && prod.summaryMs.p95 > PROD_RELAY_P95_GOAL_MS) return [`propagation: prod through the relay p95 ${formatMs(prod.summaryMs.p95)}, above the goal of ${formatMs(PROD_RELAY_P95_GOAL_MS)}`];
    return [];
  },
};
