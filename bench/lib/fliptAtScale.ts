/**
 * Flipt serving generated flags (generatedFlags.ts) from the prod stack's configuration, pinned to
 * one core, as the scale and goruntime sections measure it: starting it, committing one changed
 * flag at a time and waiting for the sync that rebuilds the snapshot (Flipt's own
 * flipt_git_sync_latency), and open-loop attacks on it at a constant rate.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { FlagRef } from "../../scripts/lib/flagFiles";
import { Supervisor, sleep } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { LatencySummary, runVegeta, sentRate, summarizeResults, vegetaTargetLines } from "../load/vegeta";
import { GeneratedFlags, generateFlags, withOneFlagChanged, writeGeneratedFlags } from "./generatedFlags";
import { CpuPinning } from "./pinning";
import { readMemory } from "./processFootprint";
import { spread } from "./stats";
import { CONFIG_CHANGES, FliptTarget, TargetSpec, startPinnedTarget } from "./targets";

const MIB = 1024 * 1024;
/** Start is measured, not assumed: a Flipt that takes minutes to clone is a figure, within this bound. */
const START_TIMEOUT_MS = 300_000;
/** A sync must show within the poll interval plus this (a slow build at 10,000 flags included). */
const SYNC_GRACE_MS = 120_000;
const SCRAPE_EVERY_MS = 100;

export interface SyncSettings {
  /** Poll interval during the measurement (the stack's own is 15 s: 20 syncs would take 5 minutes per row). */
  readonly pollIntervalSeconds: number;
  /** One-flag commits after the first, each waited for; memory is read after the last. */
  readonly syncs: number;
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

/** What a generated-flags Flipt is started with, besides the prod stack's rendered configuration and the poll interval. */
export interface GeneratedFliptSpec {
  readonly name: string;
  readonly flags: number;
  readonly pollIntervalSeconds: number;
  readonly changes?: TargetSpec["changes"];
  readonly prepare?: TargetSpec["prepare"];
  readonly environment?: TargetSpec["environment"];
}

/** Generates the flags, serves them and starts Flipt on `pinning.flipt` from the prod stack's config. */
export async function startGeneratedFlipt(supervisor: Supervisor, tools: ToolchainPaths, spec: GeneratedFliptSpec, pinning: CpuPinning): Promise<{ target: FliptTarget; generated: GeneratedFlags }> {
  const generated = generateFlags({ count: spec.flags });
  const flagsDir = supervisor.tempDir(`generated-flags-${spec.flags}`);
  writeGeneratedFlags(flagsDir, generated);
  const target: TargetSpec = {
    name: spec.name,
    stack: "prod",
    storage: "git",
    changes: [CONFIG_CHANGES.pollInterval(spec.pollIntervalSeconds), ...(spec.changes ?? [])],
    prepare: spec.prepare,
    environment: spec.environment,
  };
  return { target: await startPinnedTarget(supervisor, tools, target, pinning, flagsDir, START_TIMEOUT_MS), generated };
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

/** Called with every exposition scraped while waiting for syncs (the goruntime section reads Go's memory from it). */
export type OnExposition = (exposition: string) => void;

async function syncCounters(target: FliptTarget, onExposition: OnExposition): Promise<SyncCounters> {
  const exposition = await target.local.flipt.metrics();
  onExposition(exposition);
  return parseSyncCounters(exposition);
}

interface OneSync {
  readonly seconds: number;
  readonly syncsCounted: number;
  readonly commitToSyncedSeconds: number;
}

/** Commits one changed flag and waits for the sync that rebuilds the snapshot. */
async function commitAndWaitForSync(target: FliptTarget, generated: GeneratedFlags, index: number, pollIntervalSeconds: number, afterCommit: () => void, onExposition: OnExposition): Promise<{ sync: OneSync; generated: GeneratedFlags }> {
  const changed = withOneFlagChanged(generated, index);
  const local = target.local;
  let previous = await syncCounters(target, onExposition);
  local.repository.writeFlags({ [changed.file]: changed.generated.files.get(changed.file)! });
  if (local.repository.commit(`bench: change ${changed.flag.namespace}/${changed.flag.key}`) === undefined) throw new Error(`changing ${changed.flag.key} changed no file`);
  afterCommit();
  const pushedAt = performance.now();
  const deadline = pushedAt + pollIntervalSeconds * 1000 + SYNC_GRACE_MS;
  while (performance.now() < deadline) {
    await sleep(SCRAPE_EVERY_MS);
    const now = await syncCounters(target, onExposition);
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

/** `syncs + 1` one-flag commits, each waited for, a different flag each time; memory read after the last. */
export async function measureSyncs(target: FliptTarget, generated: GeneratedFlags, settings: SyncSettings, afterCommit: () => void = () => undefined, onExposition: OnExposition = () => undefined): Promise<SyncFigures> {
  const syncs: OneSync[] = [];
  let current = generated;
  // Spread over the flags (and so over the files): a different flag each time.
  const step = Math.max(1, Math.floor(generated.flags.length / (settings.syncs + 1)));
  for (let i = 0; i <= settings.syncs; i++) {
    const next = await commitAndWaitForSync(target, current, (i * step) % generated.flags.length, settings.pollIntervalSeconds, afterCommit, onExposition);
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

/** One vegeta attack on `target` at a constant rate, from the generator's core. */
export async function attackAtRate(supervisor: Supervisor, tools: ToolchainPaths, target: FliptTarget, pinning: CpuPinning, name: string, lines: string, rate: number, seconds: number, timeoutSeconds: number): Promise<LoadFigures> {
  const targetsFile = path.join(target.local.dir, `${name}.jsonl`);
  fs.writeFileSync(targetsFile, lines);
  const results = await runVegeta(supervisor, tools.vegetaBin, {
    name,
    targetsFile,
    ratePerSecond: rate,
    durationSeconds: seconds,
    timeoutSeconds,
    keepBodies: false,
    cpus: pinning.generator,
    workDir: target.local.dir,
  });
  return { ratePerSecond: rate, durationSeconds: seconds, sentPerSecond: sentRate(results), latencyMs: summarizeResults(results) };
}

/** Boolean evaluation of a random boolean flag for a random entity per request. */
export function randomBooleanFlagLines(url: string, flags: readonly FlagRef[], count: number): string {
  const picked = Array.from({ length: count }, () => flags[Math.floor(Math.random() * flags.length)]);
  return vegetaTargetLines(url, "boolean", picked, count, 1);
}
