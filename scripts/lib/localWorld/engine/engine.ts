/**
 * The real Pulumi engine for the engine tier and `deploy:local`: the CLI built by `setup.sh
 * --engine`, a local state backend (file:// in a temp dir), the passphrase secrets provider, the
 * real Kubernetes provider installed into a private PULUMI_HOME, and, for the providers the Go
 * module proxy refuses, a real plugin found on PATH or else its stand-in (standInProviders).
 * Each operation runs in its own process (operation.ts).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { ManagedProcess, Supervisor } from "../../processes";
import { ToolchainPaths } from "../../../toolchain/paths";
import { projectDir, readProjectFile } from "../../../../settings/schema";
import type { StackConfig } from "../../../../settings/stackFiles";
import { OperationKind, OperationRequest, OperationResult, Progress } from "./operation";
import { readYamlFile } from "../../../../settings/yamlFile";

const PROJECT = readProjectFile().name;
/** The providers the program needs that cannot be had here, and where each one's stand-in lives. */
export const STAND_IN_PROVIDERS = [
  { plugin: "pulumi-resource-random", dir: path.join(__dirname, "..", "random-provider-stand-in") },
  { plugin: "pulumi-resource-postgresql", dir: path.join(__dirname, "..", "postgresql-provider-stand-in") },
] as const;
const OPERATION_SCRIPT = path.join(__dirname, "operation.ts");
/** Node with tsx's loader in the same process: a signal reaches the operation itself, with no tsx process between to relay it. */
const NODE_WITH_TSX = [process.execPath, "--import", "tsx"] as const;
/** Pulumi's own await on a Deployment is 10 minutes; an operation gets a little more. */
const OPERATION_TIMEOUT_MS = 12 * 60_000;
/** A CLI command without a program (state, stack export) is quick. */
const CLI_TIMEOUT_MS = 60_000;


export interface RunOptions {
  /** `--diff`: the detailed diff a PR comment carries. */
  readonly diff?: boolean;
  /** `up --refresh`: the live state is read first, so drift made by hand is put back. */
  readonly refresh?: boolean;
  /** `--expect-no-changes` (preview, refresh-preview): the operation fails when there is anything to change. */
  readonly expectNoChanges?: boolean;
  /** What onLine gets: the CLI's own text (default) or one line per resource step (operation.ts's Progress). */
  readonly progress?: Progress;
  /** Each line of the operation's progress, as it is printed. */
  readonly onLine?: (line: string) => void;
  /** Environment variables for this operation (and the provider plugins it starts), e.g. PULUMI_K8S_ENABLE_PATCH_FORCE. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A CLI command's exit status and output, stdout and stderr apart. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Engine {
  /** The local backend's checkpoint of a stack (what `pulumi stack export` prints). */
  stateFile(stack: string): string;
  /** The state backend's directory. */
  readonly stateDir: string;
  /** Which plugin serves each stand-in provider: a real one found on PATH, or the stand-in. */
  readonly providerNotes: readonly string[];
  run(op: OperationKind, stack: string, config: StackConfig, options?: RunOptions): Promise<OperationResult>;
  /** Asks the running operation to stop at a safe point (the CLI's own cancel); true if one was running. */
  cancel(): boolean;
  /** A plain CLI command on a stack that needs no program (`state unprotect`, `stack export`). */
  cli(stack: string, args: readonly string[]): { ok: boolean; output: string };
  /** The CLI with exactly `args`, in the project's directory, for commands that run no program (`refresh --preview-only`). */
  command(args: readonly string[], timeoutMs?: number): CliRun;
}

/** The first `name` on `searchPath` that is an executable file, if any. */
export function findOnPath(name: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The stand-in directories to put on PATH and one line per provider saying which plugin serves it:
 * a real plugin already on PATH wins over its stand-in.
 */
export function standInProviders(searchPath: string | undefined): { dirs: string[]; notes: string[] } {
  const dirs: string[] = [];
  const notes: string[] = [];
  for (const { plugin, dir } of STAND_IN_PROVIDERS) {
    const real = findOnPath(plugin, searchPath);
    if (real) notes.push(`${plugin}: the real plugin at ${real}`);
    else if (fs.existsSync(path.join(dir, plugin))) {
      dirs.push(dir);
      notes.push(`${plugin}: STAND-IN (${path.relative(projectDir, dir)}/; the Go module proxy refuses the real one; never shipped)`);
    } else notes.push(`${plugin}: none (no real plugin on PATH and no stand-in at ${path.relative(projectDir, dir)})`);
  }
  return { dirs, notes };
}

/** A resource of a stack's checkpoint, as the local backend stores it. */
export interface StateResource {
  readonly type: string;
  readonly outputs?: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } };
}

/** The resources in a stack's checkpoint (the local backend's state file); none when the stack has no file yet. */
export function checkpointResources(stateFile: string): StateResource[] {
  if (!fs.existsSync(stateFile)) return [];
  const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as { checkpoint?: { latest?: { resources?: StateResource[] } } };
  return state.checkpoint?.latest?.resources ?? [];
}

/**
 * Lock files of the local backend whose process is gone (a CLI killed mid-operation): the
 * service backend's `pulumi cancel` has no equivalent for a file backend, so they are removed.
 */
export function clearStaleLocks(locksDir: string): string[] {
  const removed: string[] = [];
  if (!fs.existsSync(locksDir)) return removed;
  for (const entry of fs.readdirSync(locksDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".json")) continue;
    const file = path.join(entry.parentPath, entry.name);
    const pid = Number((JSON.parse(fs.readFileSync(file, "utf8")) as { pid?: number }).pid);
    if (Number.isInteger(pid) && pid > 0 && fs.existsSync(`/proc/${pid}`)) continue;
    fs.rmSync(file);
    removed.push(file);
  }
  return removed;
}

/** Writes the stack file's plain values, keeping what the CLI wrote (encryption salt, secrets). */
function writeStackFile(workDir: string, stack: string, plain: Record<string, unknown>): void {
  const file = path.join(workDir, `Pulumi.${stack}.yaml`);
  const existing = fs.existsSync(file) ? ((readYamlFile(file) ?? {}) as { config?: Record<string, unknown> }) : {};
  fs.writeFileSync(file, yaml.dump({ ...existing, config: { ...plain } }, { lineWidth: -1 }));
}

export function prepareEngine(supervisor: Supervisor, paths: ToolchainPaths, kubeconfig: string): Engine {
  const dir = supervisor.tempDir("flipt-local-pulumi");
  const [home, state, workDir] = ["home", "state", "work"].map((name) => path.join(dir, name));
  for (const d of [home, state, workDir]) fs.mkdirSync(d);
  fs.copyFileSync(path.join(projectDir, "Pulumi.yaml"), path.join(workDir, "Pulumi.yaml"));
  const providers = standInProviders(process.env.PATH);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [path.dirname(paths.pulumiBin), process.env.PATH, ...providers.dirs].join(path.delimiter),
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: randomBytes(16).toString("hex"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // Nothing may be downloaded: a plugin that is not installed fails where it is needed.
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_ACCESS_TOKEN: undefined,
    KUBECONFIG: kubeconfig,
  };
  const install = spawnSync(
    paths.pulumiBin,
    ["plugin", "install", "resource", "kubernetes", paths.pulumiKubernetesVersion, "--file", paths.pulumiKubernetesBin],
    { env, encoding: "utf8", timeout: 120_000 },
  );
  if (install.status !== 0) throw new Error(`pulumi plugin install of the Kubernetes provider failed: ${install.stderr || install.error?.message}`);

  const command = (args: readonly string[], timeoutMs = CLI_TIMEOUT_MS): CliRun => {
    const run = spawnSync(paths.pulumiBin, args, { env, cwd: workDir, encoding: "utf8", timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
    return { status: run.status, stdout: run.stdout ?? "", stderr: `${run.stderr ?? ""}${run.error ? run.error.message : ""}` };
  };
  let runs = 0;
  let current: ManagedProcess | undefined;
  return {
    stateFile: (stack) => path.join(state, ".pulumi", "stacks", PROJECT, `${stack}.json`),
    stateDir: state,
    providerNotes: providers.notes,
    cancel() {
      if (!current?.running) return false;
      current.signalLeader("SIGTERM");
      return true;
    },
    cli(stack, args) {
      const run = command([...args, "--stack", stack, "--non-interactive", "--color", "never"]);
      return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
    },
    command,
    async run(op, stack, config, options = {}) {
      writeStackFile(workDir, stack, config.plain);
      const request: OperationRequest = {
        op,
        stack,
        workDir,
        secrets: Object.fromEntries(Object.entries(config.secrets).map(([key, value]) => [key, { value, secret: true }])),
        diff: options.diff,
        refresh: options.refresh,
        expectNoChanges: options.expectNoChanges,
        progress: options.progress,
      };
      const base = path.join(dir, `${++runs}-${op}-${stack}`);
      fs.writeFileSync(`${base}.request.json`, JSON.stringify(request));
      const [node, ...loader] = NODE_WITH_TSX;
      clearStaleLocks(path.join(state, ".pulumi", "locks"));
      const child = supervisor.spawn(`pulumi ${op} ${stack}`, node, [...loader, OPERATION_SCRIPT, `${base}.request.json`, `${base}.result.json`], {
        env: { ...env, ...options.env },
        cwd: projectDir,
        logFile: `${base}.log`,
        onLine: options.onLine,
      });
      current = child;
      const exit = await child.exitWithin(OPERATION_TIMEOUT_MS);
      if (exit.code !== 0 || !fs.existsSync(`${base}.result.json`)) {
        throw new Error(`the ${op} of ${stack} did not finish (exit ${exit.code ?? exit.signal}):\n${child.tail(40)}`);
      }
      return JSON.parse(fs.readFileSync(`${base}.result.json`, "utf8")) as OperationResult;
    },
  };
}
