import * as yaml from "js-yaml";
import { GitAuth, Settings } from "../settings/types";
import { FLIPT, SECRET_KEYS, objectNames, relayRepositoryUrl } from "./names";

/** The repository Flipt clones: the in-cluster flags relay when it runs, otherwise gitRepository itself. */
export function fliptRepository(settings: Settings): string {
  return settings.relay ? relayRepositoryUrl(settings) : settings.git.repository;
}

/** How Flipt authenticates to the repository it clones: not at all to the flags relay, otherwise gitAuth. */
export function fliptGitAuth(settings: Settings): GitAuth {
  return settings.relay ? "none" : settings.git.auth;
}

/**
 * Flipt v1's configuration file (mounted at /etc/flipt/config/default.yml). It holds no secret:
 * the database URL, the bootstrap token and the Git credentials reach Flipt as FLIPT_* variables
 * from Secrets (see fliptEnvironment).
 */
export function fliptConfigDocument(settings: Settings): Record<string, unknown> {
  const { git } = settings;
  return {
    log: { level: settings.logLevel, encoding: "json", grpc_level: "error" },
    server: { protocol: "http", host: "0.0.0.0", http_port: FLIPT.httpPort, grpc_port: FLIPT.grpcPort },
    storage: {
      type: "git",
      read_only: true,
      git: {
        repository: fliptRepository(settings),
        ref: git.ref,
        directory: git.directory,
        poll_interval: git.pollInterval,
        // Flipt keeps the clone in memory; no writable volume is needed for it.
        backend: { type: "memory" },
      },
    },
    db: {
      // url: from FLIPT_DB_URL
      max_open_conn: settings.database.maxOpenConns,
      max_idle_conn: Math.min(2, settings.database.maxOpenConns),
      conn_max_lifetime: "30m",
    },
    authentication: {
      required: true,
      // Evaluation (and OFREP) needs no token, so a flag check never touches the database.
      // (`metadata` is left out: Flipt v1.61 deprecates it and logs a warning at every start.)
      exclude: { management: false, evaluation: true, ofrep: true },
      methods: { token: { enabled: true } },
    },
    metrics: { enabled: true, exporter: "prometheus" },
    meta: { check_for_updates: false, telemetry_enabled: false, state_directory: `${FLIPT.dataDir}/state` },
  };
}

export function fliptConfigYaml(settings: Settings): string {
  return yaml.dump(fliptConfigDocument(settings), { lineWidth: -1, noRefs: true, sortKeys: false });
}

/** Flipt's environment variable for a configuration path, as Flipt binds them (`FLIPT_` + path with `_`). */
export function fliptEnvName(configPath: string): string {
  return `FLIPT_${configPath.toUpperCase().replace(/\./g, "_")}`;
}

export const ENV = {
  dbUrl: fliptEnvName("db.url"),
  bootstrapToken: fliptEnvName("authentication.methods.token.bootstrap.token"),
  basicUsername: fliptEnvName("storage.git.authentication.basic.username"),
  basicPassword: fliptEnvName("storage.git.authentication.basic.password"),
  accessToken: fliptEnvName("storage.git.authentication.token.access_token"),
  sshUser: fliptEnvName("storage.git.authentication.ssh.user"),
  sshPrivateKey: fliptEnvName("storage.git.authentication.ssh.private_key_bytes"),
  /** Read by go-git's known_hosts callback. */
  sshKnownHosts: "SSH_KNOWN_HOSTS",
  /** Read by Go's runtime. */
  goMemoryLimit: "GOMEMLIMIT",
  goGC: "GOGC",
} as const;

const MIB = 2 ** 20;

/** GOMEMLIMIT's value: whole MiB (Go reads the suffix), rounded down so it stays within the share. */
export function goMemoryLimitValue(bytes: number): string {
  return `${Math.floor(bytes / MIB)}MiB`;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
}

/** A variable from a key of a Secret. */
export function fromSecret(name: string, secret: string, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

/** The variables the Flipt container (and its migration init container) gets. */
export function fliptEnvironment(settings: Settings): EnvVar[] {
  const names = objectNames();
  const env: EnvVar[] = [
    fromSecret(ENV.dbUrl, names.dbSecret, SECRET_KEYS.dbUrl),
    fromSecret(ENV.bootstrapToken, names.bootstrapSecret, SECRET_KEYS.bootstrapToken),
  ];
  switch (fliptGitAuth(settings)) {
    case "basic":
      env.push(fromSecret(ENV.basicUsername, names.gitSecret, SECRET_KEYS.gitUsername));
      env.push(fromSecret(ENV.basicPassword, names.gitSecret, SECRET_KEYS.gitCredential));
      break;
    case "token":
      env.push(fromSecret(ENV.accessToken, names.gitSecret, SECRET_KEYS.gitCredential));
      break;
    case "ssh":
      env.push({ name: ENV.sshUser, value: settings.git.sshUser });
      env.push(fromSecret(ENV.sshPrivateKey, names.gitSecret, SECRET_KEYS.gitCredential));
      env.push({ name: ENV.sshKnownHosts, value: `${FLIPT.sshDir}/${FLIPT.knownHostsFile}` });
      break;
    case "none":
      break;
  }
  const { memoryLimitBytes, gcPercent } = settings.goRuntime;
  if (memoryLimitBytes !== undefined) env.push({ name: ENV.goMemoryLimit, value: goMemoryLimitValue(memoryLimitBytes) });
  env.push({ name: ENV.goGC, value: String(gcPercent) });
  return env;
}
