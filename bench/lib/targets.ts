/**
 * The Flipt servers the benchmarks measure, all started through the shared harness
 * (scripts/lib/localFlipt.ts) from a stack's rendered config, so that what is measured is what the
 * stack deploys. Variants change one thing of that config and say which. Also the stacks and the
 * targets more than one section measures.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { requireEnvironment } from "../../scripts/flags/environments";
import { FLAG_FILE_SUFFIX } from "../../scripts/flags/document";
import { FlagRef, readFlagFiles } from "../../scripts/lib/flagFiles";
import { HEALTHY_TIMEOUT_MS } from "../../scripts/lib/fliptProcess";
import { LocalFlipt, prepareLocalFlipt, repositoryFlagsDir } from "../../scripts/lib/localFlipt";
import { Supervisor } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { EVALUATE_PATHS } from "./evaluationRequests";
import { CpuPinning, EnvironmentOverrides, pinnedFliptTools } from "./pinning";

/** The stacks propagation and the program's commands are measured for. */
export const STACKS = ["dev", "prod"] as const;
/** The stack whose configuration takes production traffic: the baseline of every load comparison. */
export const LOAD_STACK = "prod";

/** The migrated flags (identical in every environment on the day of the switch): dev's folder. */
export const REPO_FLAGS_DIR = repositoryFlagsDir("dev");

export type Storage = "git" | "database";

export interface TargetSpec {
  /** Short name used in the report and the JSON. */
  readonly name: string;
  readonly stack: string;
  /** git: the stack's storage as rendered. database: Flipt's default storage (SQLite here), the flags imported. */
  readonly storage: Storage;
  /** Changes to the rendered config, each one named in `changes`. */
  readonly changes?: readonly ConfigChange[];
  /** Runs after the served repository is made and before Flipt starts (to add history, say). */
  readonly prepare?: (local: LocalFlipt) => void;
  /** Set (or, undefined, unset) in Flipt's environment over the rendered one; pinned targets only (startPinnedTarget). */
  readonly environment?: EnvironmentOverrides;
}

export interface ConfigChange {
  /** What the change is, for the report (`log.level: warn`). */
  readonly label: string;
  /** Edits the config in place; `local` gives the target's temp dir and settings. */
  apply(config: Record<string, any>, local: LocalFlipt): void;
}

export const CONFIG_CHANGES = {
  logLevel: (level: string): ConfigChange => ({ label: `log.level: ${level}`, apply: (c) => (c.log.level = level) }),
  memoryCache: (): ConfigChange => ({
    label: "cache: memory",
    apply: (c) => (c.cache = { enabled: true, backend: "memory", ttl: "60s" }),
  }),
  pollInterval: (seconds: number): ConfigChange => ({
    label: `storage.git.poll_interval: ${seconds}s`,
    apply: (c) => (c.storage.git.poll_interval = `${seconds}s`),
  }),
  /** The clone goes to the target's temp dir rather than os.TempDir(), so that it is removed with it. */
  localGitBackend: (): ConfigChange => ({
    label: "storage.git.backend.type: local",
    apply: (c, local) => (c.storage.git.backend = { type: "local", path: path.join(local.dir, "git-clone") }),
  }),
} as const;

/** The targets the evaluation, footprint, tuning and latency sections compare: ours, database storage, dev. */
export const TARGETS = {
  ours: { name: `git-${LOAD_STACK}`, stack: LOAD_STACK, storage: "git" },
  database: { name: `database-${LOAD_STACK}`, stack: LOAD_STACK, storage: "database" },
  dev: { name: "git-dev", stack: "dev", storage: "git" },
} as const satisfies Record<string, TargetSpec>;

export interface FliptTarget {
  readonly spec: TargetSpec;
  readonly local: LocalFlipt;
  readonly url: string;
  readonly pid: number;
  /** Where Flipt writes its log (see startTarget). */
  readonly logFile: string;
  /** From the server's start (after the migration) to its first healthy answer: with Git storage, the first clone and snapshot. */
  readonly startSeconds: number;
}

/** The flags the migrated repository serves, as namespace/key pairs. */
export function servedFlags(dir = REPO_FLAGS_DIR): FlagRef[] {
  return readFlagFiles(dir).flatMap(({ document }) => document.flags.map((f) => ({ namespace: document.namespace, key: f.key })));
}

function flagFilePaths(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(FLAG_FILE_SUFFIX))
    .sort()
    .map((f) => path.join(dir, f));
}

const IMPORT_TIMEOUT_MS = 60_000;

/** `flipt import` straight into the database, as an operator would seed a database-backed Flipt. */
async function importFlags(supervisor: Supervisor, local: LocalFlipt, fliptBin: string, flagsDir: string): Promise<void> {
  const dataDir = path.dirname(path.dirname(local.flipt.configFile)); // <dataDir>/config/default.yml
  const env = { PATH: process.env.PATH, HOME: dataDir, FLIPT_DB_URL: local.secretValues.dbUrl! };
  // One file per run: given several, Flipt v1.61.1 imports the first and silently ignores the rest.
  for (const file of flagFilePaths(flagsDir)) {
    const proc = supervisor.spawn("flipt-import", fliptBin, ["import", "--config", local.flipt.configFile, file], { env, cwd: dataDir });
    const status = await proc.exitedOrKilledAfter(IMPORT_TIMEOUT_MS);
    if (status.code !== 0) throw new Error(`flipt import ${file} failed (exit ${status.code ?? status.signal}):\n${proc.tail()}`);
  }
}

/**
 * Evaluates every flag once, alone and in one batch, and fails unless each is served: a load run
 * against a missing flag would measure 404s (or, in a batch, error entries inside a 200).
 */
export async function checkServesFlags(target: FliptTarget, flags: readonly FlagRef[]): Promise<void> {
  const request = (f: FlagRef) => ({ namespaceKey: f.namespace, flagKey: f.key, entityId: "bench-check", context: {} });
  const post = async (urlPath: string, body: unknown) => {
    const response = await fetch(`${target.url}${urlPath}`, { method: "POST", body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${target.spec.name}: POST ${urlPath} answered ${response.status}: ${text}`);
    return JSON.parse(text);
  };
  for (const flag of flags) await post(EVALUATE_PATHS.boolean, request(flag));
  const batch = await post(EVALUATE_PATHS.batch, { requests: flags.map(request) });
  const failed = (batch.responses as { type: string }[]).filter((r) => r.type !== "BOOLEAN_EVALUATION_RESPONSE_TYPE");
  if (failed.length > 0) throw new Error(`${target.spec.name}: the batch check returned ${JSON.stringify(failed[0])}`);
}

/**
 * Starts Flipt for `spec` and waits until it is healthy. Two adaptations for measuring, besides the
 * harness's own (loopback ports, local Git server): the log goes to a file (log.file) as a container
 * runtime would store it, instead of through a pipe this process would have to drain on the same
 * two cores; and, for database storage, the storage block is replaced and the flags imported.
 */
export async function startTarget(supervisor: Supervisor, tools: ToolchainPaths, spec: TargetSpec, flagsDir = REPO_FLAGS_DIR, healthyTimeoutMs = HEALTHY_TIMEOUT_MS): Promise<FliptTarget> {
  // Flipt itself is what these targets measure: with the relay off it clones the stack's repository
  // directly (the propagation section measures the relay beside it).
  const local = await prepareLocalFlipt({ supervisor, fliptBin: tools.fliptBin, gitBin: tools.gitBin, stack: spec.stack, flagsDir, values: { flagsRelay: false } });
  const configFile = local.flipt.configFile;
  const config = yaml.load(fs.readFileSync(configFile, "utf8")) as Record<string, any>;
  const logFile = path.join(local.dir, "flipt-json.log");
  config.log.file = logFile;
  if (spec.storage === "database") config.storage = { type: "database" };
  for (const change of spec.changes ?? []) change.apply(config, local);
  spec.prepare?.(local);
  fs.writeFileSync(configFile, yaml.dump(config, { lineWidth: -1, noRefs: true }));
  if (spec.storage === "database") await importFlags(supervisor, local, tools.fliptBin, flagsDir);
  const proc = await local.flipt.launch();
  const launchedAt = performance.now();
  await local.flipt.waitHealthy(proc, healthyTimeoutMs);
  const startSeconds = (performance.now() - launchedAt) / 1000;
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`Flipt (${spec.name}) has no process id`);
  return { spec, local, url: local.flipt.url, pid, logFile, startSeconds };
}

/** startTarget with Flipt on `pinning.flipt` from its start, so that Go sizes GOMAXPROCS to that core. */
export function startPinnedTarget(supervisor: Supervisor, tools: ToolchainPaths, spec: TargetSpec, pinning: CpuPinning, flagsDir?: string, healthyTimeoutMs?: number): Promise<FliptTarget> {
  return startTarget(supervisor, pinnedFliptTools(supervisor, tools, pinning.flipt, spec.environment), spec, flagsDir, healthyTimeoutMs);
}

/** The flags the stack's own environment folder holds: what its Flipt serves. */
export function stackFlagsDir(spec: TargetSpec): string {
  return repositoryFlagsDir(requireEnvironment(spec.stack, "stack"));
}

/** "v1.61.1 (commit 8a86e9e2a6d0)" from `flipt --version`; undefined when it says no version. */
export function fliptVersion(fliptBin: string): string | undefined {
  const output = spawnSync(fliptBin, ["--version"], { encoding: "utf8" }).stdout ?? "";
  const version = /^Version: (\S+)/m.exec(output)?.[1];
  const commit = /^Commit: (\S+)/m.exec(output)?.[1];
  return version && `${version}${commit ? ` (commit ${commit.slice(0, 12)})` : ""}`;
}

/** Bytes Flipt has written to its log so far. */
export function logBytes(target: FliptTarget): number {
  try {
    return fs.statSync(target.logFile).size;
  } catch {
    return 0;
  }
}

/** What a target runs, in words: the stack's config, the storage and the changes. */
export function describeTarget(spec: TargetSpec): string {
  const storage = spec.storage === "git" ? "Git storage" : "database storage (SQLite)";
  const changes = (spec.changes ?? []).map((c) => c.label);
  const environment = Object.entries(spec.environment ?? {}).map(([name, value]) => (value === undefined ? `${name} unset` : `${name}=${value}`));
  return [`${spec.stack} stack config`, storage, ...changes, ...environment].join(", ");
}
