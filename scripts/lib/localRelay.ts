/**
 * A stack's flags relay on this machine: the program its ConfigMap holds, run by node with the
 * Deployment's own command line and environment, where only what points at the pod's world is
 * replaced (the upstream URL by the loopback Git server's, the volume by a directory, the listen
 * address by a loopback port, the mounted service account by a token the API server issued for the
 * relay's ServiceAccount). The e2e tier, the engine tier, deploy:local and the bench run it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { RELAY, RELAY_OBJECTS } from "../../builders/flagsRelayContract";
import type { EnvVar } from "../../builders/fliptConfig";
import { containerEnvironment, fillPlaceholders, secretsOf, withLiveSecrets, type RenderedFlipt, type SecretValues, type StackObject } from "./fliptProcess";
import type { RenderedFile } from "./renderedStack";
import { freePort, type ManagedProcess, type Supervisor, waitFor } from "./processes";


/** The parts of a stack's objects that decide how the relay runs. */
/** A Secret's keys the pod gets as files under a mount path. */
interface SecretFiles {
  readonly mountPath: string;
  readonly secret: string;
  readonly items: readonly { key: string; path: string }[];
}

export interface RenderedRelay {
  readonly command: readonly string[];
  readonly env: readonly EnvVar[];
  readonly secretFiles: readonly SecretFiles[];
  readonly program: string;
  readonly secrets: RenderedFlipt["secrets"];
}

function relayFromObjects(objects: readonly StackObject[]): RenderedRelay | undefined {
  const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === RELAY_OBJECTS.deployment);
  if (!deployment) return undefined;
  const program = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === RELAY_OBJECTS.program);
  if (!program) throw new Error(`the stack has a ${RELAY_OBJECTS.deployment} Deployment but no ConfigMap ${RELAY_OBJECTS.program}`);
  const pod = deployment.spec.template.spec;
  const [container] = pod.containers;
  const secrets = secretsOf(objects);
  const secretFiles: SecretFiles[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v: { name: string }) => v.name === mount.name);
    const sources = volume?.secret ? [{ secret: { name: volume.secret.secretName, items: volume.secret.items } }] : (volume?.projected?.sources ?? []);
    for (const source of sources) if (source.secret) secretFiles.push({ mountPath: mount.mountPath, secret: source.secret.name, items: source.secret.items ?? [] });
  }
  return { command: container.command, env: container.env ?? [], secretFiles, program: program.data[RELAY.programFile], secrets };
}

/** From render's files; undefined when the stack has no relay. */
export function renderedRelay(files: readonly RenderedFile[]): RenderedRelay | undefined {
  return relayFromObjects(files.filter((f) => f.file.endsWith(".yaml")).map((f) => yaml.load(f.content) as StackObject));
}

/** From the objects an API server holds (Secrets as base64 data). */
export function relayFromLiveObjects(objects: readonly StackObject[]): RenderedRelay | undefined {
  return relayFromObjects(withLiveSecrets(objects));
}

/** How the relay reaches the API server: as its ServiceAccount, through the in-pod files. */
export interface RelayApiAccess {
  readonly server: string;
  readonly ca: string;
  /** A token the API server issued for the relay's ServiceAccount (TokenRequest). */
  readonly token: string;
}

export interface LocalRelayOptions {
  readonly supervisor: Supervisor;
  readonly rendered: RenderedRelay;
  /** The loopback Git server's clone URL: the stack's gitRepository here. */
  readonly upstreamUrl: string;
  readonly secretValues: SecretValues;
  /** Stands in for the PersistentVolumeClaim; kept across restarts. */
  readonly dataDir: string;
  readonly namespace: string;
  /** Without it the relay reads no overrides (it says so in its log). */
  readonly api?: RelayApiAccess;
  readonly port?: number;
  readonly echo?: NodeJS.WritableStream;
}

/** The value of `--name=` in a command line. */
export function argumentValue(command: readonly string[], name: string): string | undefined {
  return command.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

export class LocalRelay {
  readonly logFile: string;
  private current: ManagedProcess | undefined;
  private port = 0;
  private readonly programFile: string;
  private readonly serviceAccountDir: string;

  constructor(readonly options: LocalRelayOptions) {
    const base = path.dirname(options.dataDir);
    this.programFile = path.join(base, "program", RELAY.programFile);
    this.serviceAccountDir = path.join(base, "serviceaccount");
    this.logFile = path.join(base, "flags-relay.log");
    fs.mkdirSync(path.dirname(this.programFile), { recursive: true });
    fs.mkdirSync(options.dataDir, { recursive: true });
    fs.writeFileSync(this.programFile, options.rendered.program);
    if (options.api) {
      fs.mkdirSync(this.serviceAccountDir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(this.serviceAccountDir, "token"), options.api.token, { mode: 0o600 });
      fs.writeFileSync(path.join(this.serviceAccountDir, "ca.crt"), options.api.ca);
      fs.writeFileSync(path.join(this.serviceAccountDir, "namespace"), options.namespace);
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Flipt's repository URL on this machine: the relay's, under the name the Deployment serves. */
  repositoryUrl(): string {
    return `${this.url}/${argumentValue(this.options.rendered.command, "repository-name")}`;
  }

  get process(): ManagedProcess | undefined {
    return this.current;
  }

  /** The container's command line with the pod's world replaced, and nothing else. */
  commandLine(): string[] {
    const [, ...rest] = this.options.rendered.command;
    const replaced: Record<string, string> = { upstream: this.options.upstreamUrl, data: this.options.dataDir, listen: `127.0.0.1:${this.port}` };
    return rest.map((arg) => {
      if (arg.endsWith(RELAY.programFile)) return this.programFile;
      const name = /^--([a-z-]+)=/.exec(arg)?.[1];
      return name && name in replaced ? `--${name}=${replaced[name]}` : arg;
    });
  }

  /** Starts the relay (again, on the same port, with the same volume) and waits until it is ready. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.current?.running) throw new Error("the relay is already running");
    if (this.port === 0) this.port = this.options.port ?? (await freePort());
    const { rendered, secretValues, api, supervisor } = this.options;
    // The Secret volumes' files, written where the pod would have them mounted (under this run's directory).
    const mounts = new Map<string, string>();
    for (const files of rendered.secretFiles) {
      const local = path.join(path.dirname(this.options.dataDir), "mounts", files.mountPath);
      fs.mkdirSync(local, { recursive: true, mode: 0o700 });
      const data = rendered.secrets.get(files.secret) ?? {};
      for (const item of files.items) {
        const target = path.join(local, item.path);
        fs.rmSync(target, { force: true }); // owner-read only: replaced, not rewritten, at a restart
        fs.writeFileSync(target, fillPlaceholders(data[item.key] ?? "", secretValues), { mode: 0o400 });
      }
      mounts.set(files.mountPath, local);
    }
    const inMount = (value: string) => {
      for (const [podPath, local] of mounts) if (value.startsWith(`${podPath}/`)) return path.join(local, value.slice(podPath.length));
      return value;
    };
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      ...Object.fromEntries(Object.entries(containerEnvironment(rendered.env, rendered.secrets, secretValues)).map(([k, v]) => [k, inMount(v)])),
      // The pod's HOME is its emptyDir /tmp; here, the run's directory.
      HOME: path.dirname(this.options.dataDir),
    };
    if (api) {
      const server = new URL(api.server);
      Object.assign(env, { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port || "443", FLAGS_RELAY_SERVICE_ACCOUNT_DIR: this.serviceAccountDir });
    }
    this.current = supervisor.spawn("flags-relay", process.execPath, this.commandLine(), { env, logFile: this.logFile, echo: this.options.echo });
    const proc = this.current;
    await waitFor(
      async () => {
        if (!proc.running) throw new Error(`the flags relay exited before it was ready:\n${proc.tail()}`);
        return this.ready();
      },
      { timeoutMs, intervalMs: 100, what: `the flags relay at ${this.url}${RELAY.readyPath}` },
    );
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}${RELAY.readyPath}`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  }

  async metrics(): Promise<string> {
    const response = await fetch(`${this.url}${RELAY.metricsPath}`, { signal: AbortSignal.timeout(5000) });
    return response.text();
  }

  output(): readonly string[] {
    return this.current?.output() ?? [];
  }

  async stop(): Promise<void> {
    await this.current?.stop("SIGTERM");
  }
}
