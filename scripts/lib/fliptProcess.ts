/**
 * Runs Flipt on this machine from what `npm run render` produces for a stack: the ConfigMap's
 * config file, the Deployment's commands and environment, and the Secrets' values with their
 * `<secret:…>` placeholders replaced by real ones. Only the adaptations in `adaptConfigForLocalRun`
 * differ from what a pod gets. Used by `npm run local` and the end-to-end tests.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { SQLITE_URL } from "../../builders/database";
import { FLIPT, fliptConfigPath, objectNames } from "../../builders/names";
import { EnvVar } from "../../builders/fliptConfig";
import { placeholderSecret } from "../../settings/stackFiles";
import { GitSettings } from "../../settings/types";
import type { RenderedFile } from "./renderedStack";
import type { GitServerAuth } from "./gitServer";
import { ExitStatus, ManagedProcess, Supervisor, waitFor } from "./processes";

/** The placeholders render writes for secret values: `<secret:dbUrl>` and so on. */
export type SecretName = "dbUrl" | "bootstrapToken" | "gitCredential";
export type SecretValues = Readonly<Partial<Record<SecretName, string>>>;

interface Container {
  readonly name: string;
  readonly command: readonly string[];
  readonly env: readonly EnvVar[];
}

/** The parts of a rendered stack that decide how Flipt runs. */
export interface RenderedFlipt {
  readonly configYaml: string;
  readonly migrate: Container;
  readonly serve: Container;
  /** stringData of each Secret, by Secret name, placeholders included. */
  readonly secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** A Kubernetes object as render writes it or as the API server returns it. */
export type StackObject = { kind: string; metadata: { name: string }; [k: string]: any };

export function renderedFlipt(files: readonly RenderedFile[]): RenderedFlipt {
  // Kubernetes objects only; render may add other files (a dashboard model).
  return fliptFromObjects(files.filter((f) => f.file.endsWith(".yaml")).map((f) => yaml.load(f.content) as StackObject));
}

/**
 * The same from the objects an API server holds after `pulumi up` (the engine tier): Secrets
 * come back as base64 `data` instead of `stringData`, with their real values.
 */
export function fliptFromLiveObjects(objects: readonly StackObject[]): RenderedFlipt {
  return fliptFromObjects(withLiveSecrets(objects));
}

/** Live Secrets (base64 `data`) given the `stringData` render writes, so one reading serves both. */
export function withLiveSecrets(objects: readonly StackObject[]): StackObject[] {
  const decoded = (data: Record<string, string> = {}) =>
    Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]));
  return objects.map((o) => (o.kind === "Secret" ? { ...o, stringData: { ...decoded(o.data), ...o.stringData } } : o));
}

/** Each Secret's stringData, by Secret name (render's placeholders, or live values after withLiveSecrets). */
export function secretsOf(objects: readonly StackObject[]): Map<string, Record<string, string>> {
  const secrets = new Map<string, Record<string, string>>();
  for (const o of objects) if (o.kind === "Secret") secrets.set(o.metadata.name, o.stringData ?? {});
  return secrets;
}

function fliptFromObjects(objects: readonly StackObject[]): RenderedFlipt {
  const names = objectNames();
  const find = (kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`the stack has no ${kind} ${name}`);
    return found;
  };
  const configMap = find("ConfigMap", names.config);
  const podSpec = find("Deployment", names.deployment).spec.template.spec;
  const secrets = secretsOf(objects);
  const container = (list: Container[] | undefined, name: string) => {
    const found = list?.find((c) => c.name === name);
    if (!found) throw new Error(`the Deployment ${names.deployment} has no container ${name}`);
    return found;
  };
  return {
    configYaml: configMap.data[FLIPT.configFile],
    migrate: container(podSpec.initContainers, "migrate"),
    serve: container(podSpec.containers, FLIPT.name),
    secrets,
  };
}

/** Replaces every `<secret:name>` in `text`; a placeholder without a value is an error. */
export function fillPlaceholders(text: string, values: SecretValues): string {
  let filled = text;
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) filled = filled.split(placeholderSecret(name)).join(value);
  }
  const left = /<secret:[^>]*>/.exec(filled);
  if (left) throw new Error(`no test value for the secret placeholder ${left[0]}`);
  return filled;
}

/** A container's environment as a process gets it: literal values, and Secret keys with placeholders filled. */
export function containerEnvironment(
  env: readonly EnvVar[],
  secrets: RenderedFlipt["secrets"],
  values: SecretValues,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const variable of env) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref) {
      const data = secrets.get(ref.name);
      if (!data || !(ref.key in data)) throw new Error(`${variable.name} reads Secret ${ref.name} key ${ref.key}, which the stack does not render`);
      result[variable.name] = fillPlaceholders(data[ref.key], values);
    } else {
      result[variable.name] = variable.value ?? "";
    }
  }
  return result;
}

/** Where a Flipt process on this machine differs from a pod. */
export interface LocalRun {
  readonly httpPort: number;
  readonly grpcPort: number;
  /** Clone URL of the loopback Git server's copy of the flags repository. */
  readonly repositoryUrl: string;
  /** Stands in for the pod's data volume (FLIPT.dataDir). */
  readonly dataDir: string;
}

/** A path under the pod's data volume, moved into the local data directory. */
export function relocateDataPath(podPath: string, dataDir: string): string {
  return podPath.startsWith(FLIPT.dataDir) ? path.join(dataDir, podPath.slice(FLIPT.dataDir.length)) : podPath;
}

/** A `file:` URL under the pod's data volume (sqlite mode's FLIPT_DB_URL), moved into the local data directory. */
export function relocateDataUrl(value: string, dataDir: string): string {
  return value.startsWith(`file:${FLIPT.dataDir}`) ? `file:${relocateDataPath(value.slice("file:".length), dataDir)}` : value;
}

/** FLIPT_DB_URL for the embedded SQLite database: the review stacks' URL, in the local data directory. */
export function localSqliteUrl(dataDir: string): string {
  return relocateDataUrl(SQLITE_URL, dataDir);
}

/**
 * The rendered config file with the only changes a process outside Kubernetes needs. Everything
 * else (storage, poll interval, authentication, metrics, logging, database pool) stays as rendered.
 */
export function adaptConfigForLocalRun(configYaml: string, local: LocalRun): Record<string, any> {
  const config = yaml.load(configYaml) as Record<string, any>;
  // Loopback only, on free ports: the container's fixed ports may be taken here and must not be exposed.
  config.server.host = "127.0.0.1";
  config.server.http_port = local.httpPort;
  config.server.grpc_port = local.grpcPort;
  // The loopback Git server's copy of the flags repository instead of the real remote.
  config.storage.git.repository = local.repositoryUrl;
  // The temp dir stands in for the pod's emptyDir data volume.
  config.meta.state_directory = relocateDataPath(config.meta.state_directory, local.dataDir);
  return config;
}

/** What the loopback Git server asks of Flipt: the stack's kind of authentication, with `credential` as the secret. */
export function localGitAuth(git: GitSettings, credential: string): GitServerAuth {
  switch (git.auth) {
    case "none":
      return { kind: "none" };
    case "basic":
      return { kind: "basic", username: git.username, password: credential };
    case "token":
      return { kind: "token", token: credential };
    case "ssh":
      throw new Error("the loopback Git server speaks HTTP only; a stack with gitAuth=ssh cannot run locally");
  }
}

/** A container command with the image's paths replaced by local ones. */
function localCommand(command: readonly string[], fliptBin: string, configFile: string): string[] {
  return command.map((arg) => (arg === FLIPT.binary ? fliptBin : arg === fliptConfigPath ? configFile : arg));
}

export interface FliptProcessOptions {
  readonly fliptBin: string;
  readonly rendered: RenderedFlipt;
  readonly local: LocalRun;
  readonly secretValues: SecretValues;
  /** Echo Flipt's output here (the local runner does not; tests keep it in memory and in flipt.log). */
  readonly echo?: NodeJS.WritableStream;
}

const MIGRATE_TIMEOUT_MS = 60_000;
export const HEALTHY_TIMEOUT_MS = 60_000;

/** One Flipt server (and its migration step) started from a rendered stack; can be stopped and started again. */
export class FliptProcess {
  readonly url: string;
  readonly configFile: string;
  readonly logFile: string;
  private current: ManagedProcess | undefined;

  constructor(
    private readonly supervisor: Supervisor,
    readonly options: FliptProcessOptions,
  ) {
    const { local } = options;
    this.url = `http://127.0.0.1:${local.httpPort}`;
    this.configFile = path.join(local.dataDir, "config", FLIPT.configFile);
    this.logFile = path.join(local.dataDir, "flipt.log");
    fs.mkdirSync(path.dirname(this.configFile), { recursive: true });
    const config = adaptConfigForLocalRun(options.rendered.configYaml, local);
    fs.writeFileSync(this.configFile, yaml.dump(config, { lineWidth: -1, noRefs: true }));
  }

  get process(): ManagedProcess | undefined {
    return this.current;
  }

  /** The serving process's output so far. */
  output(): readonly string[] {
    return this.current?.output() ?? [];
  }

  /** Runs the init container's migration, then starts the server without waiting for it. */
  async launch(): Promise<ManagedProcess> {
    if (this.current?.running) throw new Error("Flipt is already running");
    await this.migrate();
    this.current = this.run("flipt", this.options.rendered.serve);
    return this.current;
  }

  /** launch() and wait until /health answers; fails early, with Flipt's last output, if it exits. */
  async start(timeoutMs = HEALTHY_TIMEOUT_MS): Promise<void> {
    const proc = await this.launch();
    await this.waitHealthy(proc, timeoutMs);
  }

  async waitHealthy(proc: ManagedProcess, timeoutMs = HEALTHY_TIMEOUT_MS): Promise<void> {
    const exitedEarly = proc.exited.then((status) => {
      throw new Error(`Flipt exited (${describeExit(status)}) before it was healthy; its last output:\n${proc.tail()}`);
    });
    const healthy = waitFor(() => this.healthy(), { timeoutMs, intervalMs: 100, what: `Flipt at ${this.url}${FLIPT.healthPath}` });
    try {
      await Promise.race([healthy, exitedEarly]);
    } catch (error) {
      if (proc.running) throw new Error(`${(error as Error).message}; Flipt's last output:\n${proc.tail()}`);
      throw error;
    } finally {
      exitedEarly.catch(() => undefined);
    }
  }

  async healthy(): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}${FLIPT.healthPath}`, { signal: AbortSignal.timeout(2000) });
      return response.ok;
    } catch {
      return false;
    }
  }

  /** The Prometheus exposition from Flipt's metrics endpoint. */
  async metrics(): Promise<string> {
    const response = await fetch(`${this.url}${FLIPT.metricsPath}`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`${FLIPT.metricsPath} answered ${response.status}`);
    return response.text();
  }

  async stop(): Promise<ExitStatus | undefined> {
    return this.current?.stop("SIGTERM");
  }

  private async migrate(): Promise<void> {
    const proc = this.run("flipt-migrate", this.options.rendered.migrate);
    const status = await proc.exitedOrKilledAfter(MIGRATE_TIMEOUT_MS);
    if (status.code !== 0) throw new Error(`flipt migrate failed (${describeExit(status)}):\n${proc.tail()}`);
  }

  private run(name: string, container: Container): ManagedProcess {
    const { fliptBin, rendered, local, secretValues, echo } = this.options;
    const [command, ...args] = localCommand(container.command, fliptBin, this.configFile);
    const variables = containerEnvironment(container.env, rendered.secrets, secretValues);
    // A live Secret holds the pod's sqlite path itself (render's holds a placeholder).
    const relocated = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, relocateDataUrl(value, local.dataDir)]));
    const env = { PATH: process.env.PATH, HOME: local.dataDir, ...relocated };
    return this.supervisor.spawn(name, command, args, { env, cwd: local.dataDir, logFile: this.logFile, echo });
  }
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
}
