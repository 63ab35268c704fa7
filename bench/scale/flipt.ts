/**
 * Flipt with Git storage at a given size: generated flags (generatedFlags.ts) in the prod stack's
 * configuration, optionally behind years of repository history, Flipt pinned to one core. One row
 * per size: start to healthy, memory, one sync after a one-flag commit and memory after more of
 * them, open-loop boolean latency with a random flag per request, and the client-side snapshot.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { FLAGS_MIRROR_BRANCH, updateFlagsMirror } from "../../scripts/flags/mirror";
import type { FlagRef } from "../../scripts/lib/flagFiles";
import { gitEnv } from "../../scripts/lib/flagsRepository";
import { LocalFlipt } from "../../scripts/lib/localFlipt";
import { Supervisor, sleep } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { CpuPinning } from "../lib/pinning";
import { readMemory } from "../lib/processFootprint";
import { spread } from "../lib/stats";
import { CONFIG_CHANGES, ConfigChange, FliptTarget, TargetSpec, startPinnedTarget } from "../lib/targets";
import { LatencySummary, runVegeta, sentRate, summarizeResults, vegetaTargetLines } from "../load/vegeta";
import { GeneratedFlags, generateFlags, withOneFlagChanged, writeGeneratedFlags } from "./generatedFlags";

/** The client-side SDKs' poll: one namespace's whole state (Flipt v1's evaluation snapshot). */
export const SNAPSHOT_PATH = "/internal/v1/evaluation/snapshot/namespace/";
const MIB = 1024 * 1024;
/** Start is measured, not assumed: a Flipt that takes minutes to clone is a figure, within this bound. */
const START_TIMEOUT_MS = 300_000;
/** A sync must show within the poll interval plus this (a slow build at 10,000 flags included). */
const SYNC_GRACE_MS = 120_000;
const SCRAPE_EVERY_MS = 100;

/** What each row's Flipt runs with, besides the prod stack's rendered configuration. */
export interface ScaleFliptSettings {
  /** Poll interval during the measurement (the stack's own is 15 s: 20 syncs would take 5 minutes per row). */
  readonly pollIntervalSeconds: number;
  /** One-flag commits after the first, each waited for; memory is read after the last. */
  readonly syncs: number;
  readonly booleanRatePerSecond: number;
  readonly loadSeconds: number;
  readonly snapshotRatePerSecond: number;
  readonly snapshotSeconds: number;
  /** vegeta targets per attack (each a random flag and entity). */
  readonly targets: number;
  readonly timeoutSeconds: number;
}

/** The repository behind a row: generated flags, and commits touching other files. */
export interface ScaleRepository {
  readonly flags: number;
  /** Commits after the flags' own, each changing a file outside the flags directory. */
  readonly historyCommits: number;
  /** "main": Flipt follows the branch everything lands on; "flags-mirror": a branch holding the flags directory only. */
  readonly branch: "main" | typeof FLAGS_MIRROR_BRANCH;
}

export interface SyncFigures {
  /** The sync that built the snapshot after the first one-flag commit (Flipt's flipt_git_sync_latency). */
  readonly firstSeconds: number;
  /** Syncs inside that figure: 1 is exact; more means a no-change sync landed in the same scrape. */
  readonly firstSyncsCounted: number;
  /** Push to the snapshot rebuilt (bounded below by the wait for the next poll). */
  readonly firstCommitToSyncedSeconds: number;
  /** Every change sync of the row (the first included). */
  readonly changeSyncs: number;
  readonly medianSeconds: number;
  readonly maxSeconds: number;
  readonly rssAfterMiB: number;
}

export interface LoadFigures {
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  readonly sentPerSecond: number;
  readonly latencyMs: LatencySummary;
}

export interface SnapshotFigures extends LoadFigures {
  readonly namespace: string;
  readonly namespaceFlags: number;
  /** The JSON body's size, uncompressed. */
  readonly bytes: number;
}

export interface FliptScaleRow {
  readonly flags: number;
  readonly namespaces: number;
  readonly historyCommits: number;
  readonly branch: ScaleRepository["branch"];
  /** Commits on the branch Flipt follows, and the bare repository's size on disk (what it clones). */
  readonly branchCommits: number;
  readonly repositoryMiB: number;
  readonly startSeconds: number;
  readonly rssAfterStartMiB: number;
  readonly sync: SyncFigures;
  readonly boolean?: LoadFigures;
  readonly snapshot?: SnapshotFigures;
}

/** A Flipt row that could not be measured (its start timed out, a sync never came). */
export interface FailedScaleRow {
  readonly flags: number;
  readonly historyCommits: number;
  readonly branch: ScaleRepository["branch"];
  readonly error: string;
}

export type ScaleRow = FliptScaleRow | FailedScaleRow;

export const isMeasuredRow = (row: ScaleRow): row is FliptScaleRow => !("error" in row);


function git(cwd: string, args: readonly string[], input?: string): string {
  return execFileSync("git", args, { cwd, env: gitEnv(), encoding: "utf8", input, maxBuffer: 256 * MIB, stdio: ["pipe", "pipe", "pipe"] });
}

/**
 * `commits` commits on top of HEAD, each rewriting one of 200 service values files (what a deploy
 * repository's history is made of), written with git fast-import and pushed.
 */
export function addHistory(workTree: string, branch: string, commits: number): void {
  if (commits === 0) return;
  const head = git(workTree, ["rev-parse", "HEAD"]).trim();
  const chunks: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  for (let i = 1; i <= commits; i++) {
    const service = `svc-${i % 200}`;
    const values = `# ${service}\nimage:\n  tag: "1.${Math.floor(i / 200)}.${i % 200}"\nreplicas: ${1 + (i % 5)}\n`;
    chunks.push(
      `commit refs/heads/${branch}\n`,
      `committer bench <bench@localhost> ${1_700_000_000 + i * 600} +0000\n`,
      data(`deploy ${service} ${i}`),
      i === 1 ? `from ${head}\n` : "",
      `M 100644 inline deploy/${service}/values.yaml\n`,
      data(values),
    );
  }
  git(workTree, ["fast-import", "--quiet", "--force"], chunks.join(""));
  git(workTree, ["reset", "--quiet", "--hard", branch]);
  git(workTree, ["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`]);
}

/**
 * The fix measured against history: the flags mirror (`npm run flags -- mirror`, what the
 * flags-mirror workflow runs after every push to main), updated and pushed as the workflow does.
 */
export function pushFlagsMirror(workTree: string, flagsRoot: string, mirror: string): void {
  const update = updateFlagsMirror(workTree, flagsRoot, "HEAD", mirror, gitEnv());
  if (update.appended) git(workTree, ["push", "--quiet", "origin", `refs/heads/${mirror}:refs/heads/${mirror}`]);
}

interface SyncCounters {
  readonly count: number;
  readonly sum: number;
  readonly flags: number;
}

/** flipt_git_sync_latency (histogram, seconds) and flipt_git_sync_flags (counter) from an exposition. */
export function parseSyncCounters(exposition: string): SyncCounters {
  let count = 0;
  let sum = 0;
  let flags = 0;
  for (const line of exposition.split("\n")) {
    const match = /^(flipt_git_sync_(?:latency\w*?_(sum|count)|flags\w*?))(?:\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (match[2] === "sum") sum += value;
    else if (match[2] === "count") count += value;
    else if (/^flipt_git_sync_flags/.test(match[1])) flags += value;
  }
  return { count, sum, flags };
}

async function syncCounters(target: FliptTarget): Promise<SyncCounters> {
  return parseSyncCounters(await target.local.flipt.metrics());
}

interface OneSync {
  readonly seconds: number;
  readonly syncsCounted: number;
  readonly commitToSyncedSeconds: number;
}

/** Commits one changed flag and waits for the sync that rebuilds the snapshot. */
async function commitAndWaitForSync(target: FliptTarget, generated: GeneratedFlags, index: number, pollIntervalSeconds: number, afterCommit: () => void): Promise<{ sync: OneSync; generated: GeneratedFlags }> {
  const changed = withOneFlagChanged(generated, index);
  const local = target.local;
  let previous = await syncCounters(target);
  local.repository.writeFlags({ [changed.file]: changed.generated.files.get(changed.file)! });
  if (local.repository.commit(`bench: change ${changed.flag.namespace}/${changed.flag.key}`) === undefined) throw new Error(`changing ${changed.flag.key} changed no file`);
  afterCommit();
  const pushedAt = performance.now();
  const deadline = pushedAt + pollIntervalSeconds * 1000 + SYNC_GRACE_MS;
  while (performance.now() < deadline) {
    await sleep(SCRAPE_EVERY_MS);
    const now = await syncCounters(target);
    if (now.flags > previous.flags) {
      return {
        sync: { seconds: now.sum - previous.sum, syncsCounted: now.count - previous.count, commitToSyncedSeconds: (performance.now() - pushedAt) / 1000 },
        generated: changed.generated,
      };
    }
    previous = now;
  }
  throw new Error(`no sync rebuilt the snapshot within ${(deadline - pushedAt) / 1000} s of the commit changing ${changed.flag.key}`);
}

async function measureSyncs(target: FliptTarget, generated: GeneratedFlags, settings: ScaleFliptSettings, afterCommit: () => void): Promise<SyncFigures> {
  const syncs: OneSync[] = [];
  let current = generated;
  // Spread over the flags (and so over the files): a different flag each time.
  const step = Math.max(1, Math.floor(generated.flags.length / (settings.syncs + 1)));
  for (let i = 0; i <= settings.syncs; i++) {
    const next = await commitAndWaitForSync(target, current, (i * step) % generated.flags.length, settings.pollIntervalSeconds, afterCommit);
    syncs.push(next.sync);
    current = next.generated;
  }
  await sleep(1000);
  const [first] = syncs;
  const seconds = spread(syncs.map((s) => s.seconds));
  return {
    firstSeconds: first.seconds,
    firstSyncsCounted: first.syncsCounted,
    firstCommitToSyncedSeconds: first.commitToSyncedSeconds,
    changeSyncs: syncs.length,
    medianSeconds: seconds.median,
    maxSeconds: seconds.max,
    rssAfterMiB: readMemory(target.pid).rssBytes / MIB,
  };
}

async function attack(supervisor: Supervisor, tools: ToolchainPaths, target: FliptTarget, pinning: CpuPinning, name: string, lines: string, rate: number, seconds: number, settings: ScaleFliptSettings): Promise<LoadFigures> {
  const targetsFile = path.join(target.local.dir, `${name}.jsonl`);
  fs.writeFileSync(targetsFile, lines);
  const results = await runVegeta(supervisor, tools.vegetaBin, {
    name,
    targetsFile,
    ratePerSecond: rate,
    durationSeconds: seconds,
    timeoutSeconds: settings.timeoutSeconds,
    keepBodies: false,
    cpus: pinning.generator,
    workDir: target.local.dir,
  });
  return { ratePerSecond: rate, durationSeconds: seconds, sentPerSecond: sentRate(results), latencyMs: summarizeResults(results) };
}

/** Boolean evaluation of a random boolean flag for a random entity per request. */
function booleanLines(url: string, flags: readonly FlagRef[], count: number): string {
  const picked = Array.from({ length: count }, () => flags[Math.floor(Math.random() * flags.length)]);
  return vegetaTargetLines(url, "boolean", picked, count, 1);
}

async function probeSnapshot(supervisor: Supervisor, tools: ToolchainPaths, target: FliptTarget, generated: GeneratedFlags, pinning: CpuPinning, settings: ScaleFliptSettings): Promise<SnapshotFigures> {
  const perNamespace = new Map<string, number>();
  for (const flag of generated.flags) perNamespace.set(flag.namespace, (perNamespace.get(flag.namespace) ?? 0) + 1);
  const [namespace, namespaceFlags] = [...perNamespace].sort((a, b) => b[1] - a[1])[0];
  const url = `${target.url}${SNAPSHOT_PATH}${encodeURIComponent(namespace)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(settings.timeoutSeconds * 1000) });
  const body = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw new Error(`GET ${SNAPSHOT_PATH}${namespace} answered ${response.status}: ${body.toString("utf8").slice(0, 200)}`);
  const lines = `${JSON.stringify({ method: "GET", url })}\n`;
  const load = await attack(supervisor, tools, target, pinning, "snapshot", lines, settings.snapshotRatePerSecond, settings.snapshotSeconds, settings);
  return { ...load, namespace, namespaceFlags, bytes: body.length };
}

function branchCommits(local: LocalFlipt, branch: string): number {
  return Number(git(local.repository.barePath, ["rev-list", "--count", `refs/heads/${branch}`]).trim());
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(full) : fs.statSync(full).size;
  }
  return total;
}

/** The top directory of the flags in the repository (flags/prod → flags): what the mirror keeps. */
function flagsRoot(local: LocalFlipt): string {
  return local.flagsServer.into.split("/")[0];
}

/** One row: a Flipt for `repository`, measured, and stopped. */
export async function measureFliptAtScale(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  repository: ScaleRepository,
  settings: ScaleFliptSettings,
  pinning: CpuPinning,
  measureLoad: boolean,
  log: (line: string) => void,
): Promise<FliptScaleRow> {
  const mirrored = repository.branch === FLAGS_MIRROR_BRANCH;
  const generated = generateFlags({ count: repository.flags });
  const flagsDir = supervisor.tempDir(`scale-flags-${repository.flags}`);
  writeGeneratedFlags(flagsDir, generated);
  const changes: ConfigChange[] = [CONFIG_CHANGES.pollInterval(settings.pollIntervalSeconds)];
  if (mirrored) changes.push({ label: `storage.git.ref: ${FLAGS_MIRROR_BRANCH}`, apply: (c) => (c.storage.git.ref = FLAGS_MIRROR_BRANCH) });
  const spec: TargetSpec = {
    name: `scale-${repository.flags}-history-${repository.historyCommits}-${repository.branch}`,
    stack: "prod",
    storage: "git",
    changes,
    prepare: (local) => {
      addHistory(local.repository.workTree, local.settings.git.ref, repository.historyCommits);
      if (mirrored) pushFlagsMirror(local.repository.workTree, flagsRoot(local), FLAGS_MIRROR_BRANCH);
    },
  };
  const label = `${repository.flags} flags, ${repository.historyCommits} commits of history, branch ${repository.branch}`;
  log(`scale: starting Flipt (${label}) on CPU ${pinning.flipt}`);
  const target = await startPinnedTarget(supervisor, tools, spec, pinning, flagsDir, START_TIMEOUT_MS);
  try {
    // The workflow appends to the mirror after every flags change on main: so does every commit here.
    const afterCommit = mirrored ? () => void pushFlagsMirror(target.local.repository.workTree, flagsRoot(target.local), FLAGS_MIRROR_BRANCH) : () => undefined;
    await sleep(2000);
    const rssAfterStartMiB = readMemory(target.pid).rssBytes / MIB;
    const commits = branchCommits(target.local, mirrored ? FLAGS_MIRROR_BRANCH : target.local.settings.git.ref);
    const repositoryMiB = directoryBytes(target.local.repository.barePath) / MIB;
    log(`scale: ${label}: healthy after ${target.startSeconds.toFixed(2)} s, RSS ${rssAfterStartMiB.toFixed(0)} MiB, ${commits} commits on the branch, repository ${repositoryMiB.toFixed(1)} MiB`);
    let boolean: LoadFigures | undefined;
    let snapshot: SnapshotFigures | undefined;
    if (measureLoad) {
      const booleans = generated.flags.filter((f) => f.type === "BOOLEAN_FLAG_TYPE");
      boolean = await attack(supervisor, tools, target, pinning, "boolean", booleanLines(target.url, booleans, settings.targets), settings.booleanRatePerSecond, settings.loadSeconds, settings);
      log(`scale: ${label}: boolean @ ${boolean.ratePerSecond} req/s: p50 ${boolean.latencyMs.p50.toFixed(2)} · p99 ${boolean.latencyMs.p99.toFixed(2)} ms, ${boolean.latencyMs.errors} errors`);
      snapshot = await probeSnapshot(supervisor, tools, target, generated, pinning, settings);
      log(`scale: ${label}: snapshot of ${snapshot.namespace} (${snapshot.namespaceFlags} flags): ${snapshot.bytes} bytes, p99 ${snapshot.latencyMs.p99.toFixed(1)} ms @ ${snapshot.ratePerSecond} req/s, ${snapshot.latencyMs.errors} errors`);
    }
    const sync = await measureSyncs(target, generated, settings, afterCommit);
    log(`scale: ${label}: first sync ${sync.firstSeconds.toFixed(3)} s (${sync.firstSyncsCounted} counted), median ${sync.medianSeconds.toFixed(3)} s over ${sync.changeSyncs}; RSS after ${sync.rssAfterMiB.toFixed(0)} MiB`);
    return {
      flags: repository.flags,
      namespaces: generated.namespaces.length,
      historyCommits: repository.historyCommits,
      branch: repository.branch,
      branchCommits: commits,
      repositoryMiB,
      startSeconds: target.startSeconds,
      rssAfterStartMiB,
      sync,
      boolean,
      snapshot,
    };
  } finally {
    await target.local.flipt.stop();
  }
}
