import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { crc32, fnv32a } from "../../scripts/flags/bucketing";
import { FLAGS_ROOT, type Environment } from "../../scripts/flags/environments";
import type { FolderFile } from "../../scripts/flags/folder";
import { run, type CliIo } from "../../scripts/flags/main";

export const REPO_ROOT = path.resolve(__dirname, "../..");
/** The committed flags root, with a directory per environment. */
export const FLAGS_DIR = path.join(REPO_ROOT, FLAGS_ROOT);
/** The committed flags of one environment. */
export const envDir = (environment: Environment, root: string = FLAGS_DIR) => path.join(root, environment);
/** The file store's snapshot that flags/ was migrated from, kept as a record (file-store-migration/README.md). */
export const RECORDED_SNAPSHOT = path.join(REPO_ROOT, "file-store-migration", "feature_flag_snapshot.json");
/** The day flags/ was migrated (`--today` of the recorded run). */
export const MIGRATION_DAY = "2026-11-24";

export interface SnapshotEntry {
  key: string;
  enabled?: boolean;
  rollout_percent?: number;
  owners?: string[];
  description?: string;
}

export function snapshotJson(flags: SnapshotEntry[], schemaVersion = 1): string {
  return JSON.stringify({ schema_version: schemaVersion, flags }, null, 2);
}

export interface CliResult {
  code: number;
  stdout: string[];
  stderr: string[];
}

/** Runs the CLI in-process, from `cwd`, on a fixed day. */
export function runCli(args: string[], options: { cwd?: string; today?: string } = {}): CliResult {
  const result: CliResult = { code: 0, stdout: [], stderr: [] };
  const io: CliIo = {
    cwd: options.cwd ?? REPO_ROOT,
    today: options.today ?? MIGRATION_DAY,
    stdout: (line) => result.stdout.push(line),
    stderr: (line) => result.stderr.push(line),
  };
  const code = run(args, io);
  if (typeof code !== "number") throw new Error(`flags ${args[0]} answers asynchronously: use runCliAsync`);
  result.code = code;
  return result;
}

/** Runs a command that may reach a cluster (override) in-process; `env` stands in for the process's. */
export async function runCliAsync(args: string[], options: { cwd?: string; today?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const result: CliResult = { code: 0, stdout: [], stderr: [] };
  const io: CliIo = {
    cwd: options.cwd ?? REPO_ROOT,
    today: options.today ?? MIGRATION_DAY,
    env: options.env ?? {},
    stdout: (line) => result.stdout.push(line),
    stderr: (line) => result.stderr.push(line),
  };
  result.code = await run(args, io);
  return result;
}

const tempDirs: string[] = [];

/** A fresh directory, removed by `removeTempDirs` (each test file calls it in afterAll). */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flags-test-"));
  tempDirs.push(dir);
  return dir;
}

/**
 * A flags root holding the migration of the recorded snapshot, made anew: for tests that need
 * known flags (a namespace, a kill switch, the migration's lifecycle dates). The committed flags/
 * changes with every flag PR, so no test may rely on what it holds.
 */
export function migratedFlags(): string {
  const dir = path.join(tempDir(), "flags");
  const result = run(["migrate", "--from", RECORDED_SNAPSHOT, "--out", dir, "--today", MIGRATION_DAY], {
    cwd: REPO_ROOT,
    today: MIGRATION_DAY,
    stdout: () => undefined,
    stderr: (line) => {
      throw new Error(`migrating the recorded snapshot: ${line}`);
    },
  });
  if (result !== 0) throw new Error(`migrating the recorded snapshot exited ${result}`);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
}

export function listFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

export function folder(files: Record<string, string>): FolderFile[] {
  return Object.entries(files).map(([p, text]) => ({ path: p, text }));
}

export const INDEX = 'version: "1.0"\ninclude:\n  - "*.features.yml"\n';

// ---- reference behaviour of both stores, for "serves the same" assertions ----------------

/**
 * What the file store serves (file-store-migration/README.md): trimmed keys, later entries win,
 * unknown flags off, blank subjects get the full flag state.
 */
export function fileStoreServes(entries: SnapshotEntry[], legacyKey: string, subject: string): boolean {
  const flag = [...entries].reverse().find((entry) => entry.key.trim() === legacyKey);
  if (flag === undefined || !flag.enabled) return false;
  const percent = flag.rollout_percent ?? 0;
  if (percent === 0 || percent >= 100 || subject.trim() === "") return true;
  return fnv32a(`${legacyKey}:${subject}`) % 100 < percent;
}

type Doc = {
  namespace?: string;
  flags?: Array<Record<string, any>>;
  segments?: Array<Record<string, any>>;
};

/**
 * Flipt v1.61.1's boolean evaluation (internal/server/evaluation/evaluation.go) over flag files,
 * for the constructs the migration writes. Checked against a real Flipt v1.61.1 while writing
 * these tests. Returns undefined for an unknown flag (Flipt: not found; OpenFeature: the default).
 */
export function fliptServes(files: FolderFile[], namespace: string, key: string, entityId: string): boolean | undefined {
  return fliptEvaluator(files)(namespace, key, entityId);
}

/** `fliptServes` with the files parsed once, for loops over many subjects. */
export function fliptEvaluator(files: FolderFile[]): (namespace: string, key: string, entityId: string) => boolean | undefined {
  const docs = files.filter((f) => f.path.endsWith(".features.yml")).flatMap((f) => yaml.loadAll(f.text) as Doc[]);
  return (namespace, key, entityId) => evaluate(docs, namespace, key, entityId);
}

function evaluate(docs: Doc[], namespace: string, key: string, entityId: string): boolean | undefined {
  const inNamespace = docs.filter((d) => (d.namespace ?? "default") === namespace);
  const flag = inNamespace.flatMap((d) => d.flags ?? []).find((f) => f.key === key);
  if (flag === undefined) return undefined;
  const segments = new Map(inNamespace.flatMap((d) => d.segments ?? []).map((s) => [s.key as string, s]));
  for (const rollout of flag.rollouts ?? []) {
    if (rollout.threshold) {
      if (crc32(entityId + key) % 100 < rollout.threshold.percentage) return rollout.threshold.value ?? false;
    } else if (rollout.segment) {
      const segment = segments.get(rollout.segment.key);
      if (segment && segmentMatches(segment, entityId)) return rollout.segment.value ?? false;
    }
  }
  return flag.enabled ?? false;
}

function segmentMatches(segment: Record<string, any>, entityId: string): boolean {
  const results = (segment.constraints ?? []).map((c: Record<string, any>) => {
    if (c.type !== "ENTITY_ID_COMPARISON_TYPE") throw new Error(`simulator: unsupported constraint ${c.type}`);
    if (c.operator === "empty") return entityId.trim() === "";
    if (c.operator === "eq") return entityId !== "" && entityId === c.value;
    throw new Error(`simulator: unsupported operator ${c.operator}`);
  });
  return segment.match_type === "ANY_MATCH_TYPE" ? results.some(Boolean) : results.every(Boolean);
}
