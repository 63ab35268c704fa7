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
import { gitEnv } from "../../scripts/lib/flagsRepository";
import { LocalFlipt } from "../../scripts/lib/localFlipt";
import { Supervisor, sleep } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { LoadFigures, SyncFigures, SyncSettings, attackAtRate, measureSyncs, randomBooleanFlagLines, startGeneratedFlipt } from "../lib/fliptAtScale";
import type { GeneratedFlags } from "../lib/generatedFlags";
import { CpuPinning } from "../lib/pinning";
import { readMemory } from "../lib/processFootprint";
import { ConfigChange, FliptTarget } from "../lib/targets";

export type { LoadFigures, SyncFigures } from "../lib/fliptAtScale";

/** The client-side SDKs' poll: one namespace's whole state (Flipt v1's evaluation snapshot). */
export const SNAPSHOT_PATH = "/internal/v1/evaluation/snapshot/namespace/";
const MIB = 1024 * 1024;

/** What each row's Flipt runs with, besides the prod stack's rendered configuration. */
export interface ScaleFliptSettings extends SyncSettings {
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

async function probeSnapshot(supervisor: Supervisor, tools: ToolchainPaths, target: FliptTarget, generated: GeneratedFlags, pinning: CpuPinning, settings: ScaleFliptSettings): Promise<SnapshotFigures> {
  const perNamespace = new Map<string, number>();
  for (const flag of generated.flags) perNamespace.set(flag.namespace, (perNamespace.get(flag.namespace) ?? 0) + 1);
  const [namespace, namespaceFlags] = [...perNamespace].sort((a, b) => b[1] - a[1])[0];
  const url = `${target.url}${SNAPSHOT_PATH}${encodeURIComponent(namespace)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(settings.timeoutSeconds * 1000) });
  const body = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw new Error(`GET ${SNAPSHOT_PATH}${namespace} answered ${response.status}: ${body.toString("utf8").slice(0, 200)}`);
  const lines = `${JSON.stringify({ method: "GET", url })}\n`;
  const load = await attackAtRate(supervisor, tools, target, pinning, "snapshot", lines, settings.snapshotRatePerSecond, settings.snapshotSeconds, settings.timeoutSeconds);
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
  const changes: ConfigChange[] = mirrored ? [{ label: `storage.git.ref: ${FLAGS_MIRROR_BRANCH}`, apply: (c) => (c.storage.git.ref = FLAGS_MIRROR_BRANCH) }] : [];
  const label = `${repository.flags} flags, ${repository.historyCommits} commits of history, branch ${repository.branch}`;
  log(`scale: starting Flipt (${label}) on CPU ${pinning.flipt}`);
  const { target, generated } = await startGeneratedFlipt(
    supervisor,
    tools,
    {
      name: `scale-${repository.flags}-history-${repository.historyCommits}-${repository.branch}`,
      flags: repository.flags,
      pollIntervalSeconds: settings.pollIntervalSeconds,
      changes,
      prepare: (local) => {
        addHistory(local.repository.workTree, local.settings.git.ref, repository.historyCommits);
        if (mirrored) pushFlagsMirror(local.repository.workTree, flagsRoot(local), FLAGS_MIRROR_BRANCH);
      },
    },
    pinning,
  );
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
      boolean = await attackAtRate(supervisor, tools, target, pinning, "boolean", randomBooleanFlagLines(target.url, booleans, settings.targets), settings.booleanRatePerSecond, settings.loadSeconds, settings.timeoutSeconds);
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
