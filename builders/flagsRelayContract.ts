/**
 * What the flags relay (the in-cluster mirror of the flags repository) and everything around it
 * agree on: names, ports, paths, the program's arguments and environment, metric names and the
 * override objects' shape. The relay program, the builders, the flags tool, the tests and the
 * bench read them from here, so each is defined once.
 *
 * Not to be confused with the `flags-mirror` branch (`npm run flags -- mirror`), a history-free
 * branch on the Git host: the relay is a pod in Flipt's namespace that Flipt reads from.
 */

export const RELAY = {
  name: "flags-relay",
  port: 8080,
  portName: "http",
  /** Liveness: the process answers. */
  healthPath: "/healthz",
  /** Readiness: a served commit exists (from upstream or from the volume). */
  readyPath: "/ready",
  metricsPath: "/metrics",
  /** The PersistentVolumeClaim's mount: the repository, the state file. */
  dataDir: "/var/lib/flags-relay",
  /** The program's ConfigMap is mounted here. */
  programDir: "/opt/flags-relay",
  programFile: "flags-relay.mjs",
  tmpDir: "/tmp",
  /** The ssh key and known_hosts (gitAuth=ssh) are mounted here from the stack's Git Secret and Flipt's ConfigMap. */
  sshDir: "/etc/flags-relay/ssh",
  /** The stack's Git Secret (gitAuth basic or token) is mounted here: the credential is read from a file, never from the environment. */
  gitSecretDir: "/etc/flags-relay/git",
  /** The `node` user of the official Node.js image. */
  uid: 1000,
  gid: 1000,
  /** How often the relay lists override objects, besides after every upstream fetch. */
  overrideCheckSeconds: 2,
  /** Upstream fetches give up after this long; the next poll tries again. */
  fetchTimeoutSeconds: 30,
} as const;

/** Kubernetes names of the relay's objects (in Flipt's namespace). */
export const RELAY_OBJECTS = {
  serviceAccount: RELAY.name,
  role: RELAY.name,
  roleBinding: RELAY.name,
  program: `${RELAY.name}-program`,
  claim: RELAY.name,
  deployment: RELAY.name,
  service: RELAY.name,
  networkPolicy: RELAY.name,
  serviceMonitor: RELAY.name,
  /** Written by the relay itself (not by Pulumi, so it is never drift): what it serves and each override's state. */
  statusConfigMap: `${RELAY.name}-status`,
  /** Granted to whoever may override a flag during an outage (bound to flagsOverrideGroups). */
  overrideRole: "flags-override",
  overrideRoleBinding: "flags-override",
} as const;

/** The status ConfigMap's key: JSON of RelayStatus. */
export const STATUS_KEY = "status.json";

/** An override is a ConfigMap in Flipt's namespace with this label, written by `npm run flags -- override`. */
export const OVERRIDE_LABEL = "flipt-deploy.io/flags-override";
export const OVERRIDE_NAME_PREFIX = "flags-override-";

/** The override ConfigMap's data keys. */
export const OVERRIDE_KEYS = {
  /** `<namespace>/<key>`. */
  flag: "flag",
  /** JSON of OverrideValue. */
  value: "value",
  reason: "reason",
  /** Who the API server says wrote it (SelfSubjectReview), and when (RFC 3339). */
  requestedBy: "requestedBy",
  requestedAt: "requestedAt",
} as const;

/** What an override serves: a boolean or variant flag on or off for everyone, or a boolean flag true for a share of entities. */
export type OverrideValue = { readonly enabled: boolean } | { readonly rollout: number };

/** The state of one override, as the relay reports it. */
export type OverrideState =
  /** Applied on top of upstream's last good commit. */
  | "applied"
  /** Applied, but upstream changed the flag to something else since the override began: merge or clear it. */
  | "conflict"
  /** Upstream's flags now carry the override's values: it ended by itself and is no longer applied. */
  | "merged"
  /** Not applied: the flag is not in upstream's last good commit, or the result would not load. */
  | "rejected";

export interface OverrideStatus {
  readonly name: string;
  readonly uid: string;
  readonly flag: string;
  readonly value: OverrideValue;
  readonly state: OverrideState;
  /** RFC 3339: when the relay first saw it. */
  readonly since: string;
  readonly message: string;
}

export interface HeldBackCommit {
  readonly commit: string;
  readonly at: string;
  /** The lint problems, one per line, as `flags lint` prints them. */
  readonly problems: readonly string[];
}

/** The relay's status ConfigMap: what it serves, where upstream is, and each override it knows of. */
export interface RelayStatus {
  /** The head of the branch Flipt follows on the relay. */
  readonly servedCommit?: string;
  /** Upstream's commit the served one is built from (the last that passed the checks). */
  readonly goodUpstreamCommit?: string;
  /** Upstream's head at the last successful fetch. */
  readonly upstreamCommit?: string;
  readonly lastFetchSuccess?: string;
  readonly upstreamReachable: boolean;
  /** Upstream's head when it is held back (failed the checks). */
  readonly heldBack?: HeldBackCommit;
  readonly overrides: readonly OverrideStatus[];
  readonly updatedAt: string;
}

/** The relay's metrics (Prometheus names); the alerts and the dashboard use these. */
export const RELAY_METRICS = {
  /** Unix time of the last successful upstream fetch (gauge). */
  upstreamLastSuccess: "flags_relay_upstream_last_success_timestamp_seconds",
  /** 1 when the last fetch succeeded, 0 when it failed (gauge). */
  upstreamUp: "flags_relay_upstream_up",
  /** Upstream fetches, by result ok|error (counter). */
  fetches: "flags_relay_upstream_fetches_total",
  /** 1 while upstream's head fails the checks and is held back (gauge). */
  heldBack: "flags_relay_commit_held_back",
  /** Upstream commits held back since the relay started (counter). */
  heldBackTotal: "flags_relay_held_back_commits_total",
  /** Overrides by state applied|conflict|rejected (gauge; merged ones are ended and not counted). */
  overrides: "flags_relay_overrides",
  /** Unix time an override began, per flag (gauge; only for applied and conflicting overrides). */
  overrideStarted: "flags_relay_override_started_timestamp_seconds",
  /** Commits written to the served branch, by cause upstream|override (counter). */
  servedCommits: "flags_relay_served_commits_total",
  /** Unix time of the served head's commit (gauge). */
  servedTimestamp: "flags_relay_served_commit_timestamp_seconds",
  /** Seconds one poll took: fetch, checks, overrides, write (histogram). */
  pollSeconds: "flags_relay_poll_duration_seconds",
} as const;

/** Environment variables of the relay container (the Git credential comes from the stack's Git Secret). */
export const RELAY_ENV = {
  gitAuth: "FLAGS_RELAY_GIT_AUTH",
  /** Files (basic: user name and password; token: the token), from the mounted Git Secret. */
  gitUsernameFile: "FLAGS_RELAY_GIT_USERNAME_FILE",
  gitCredentialFile: "FLAGS_RELAY_GIT_CREDENTIAL_FILE",
  /** ssh: the private key file and known_hosts file. */
  sshKeyFile: "FLAGS_RELAY_SSH_KEY_FILE",
  sshKnownHostsFile: "FLAGS_RELAY_SSH_KNOWN_HOSTS_FILE",
  sshUser: "FLAGS_RELAY_SSH_USER",
} as const;

/** What the relay is told to do: the same in the pod and in the tests. */
export interface RelayArguments {
  /** The stack's gitRepository. */
  readonly upstream: string;
  readonly ref: string;
  /** The stack's gitDirectory, e.g. flags/prod; its parent is the flags root the checks read. */
  readonly directory: string;
  /** The path the relay serves the repository under: the last segment of gitRepository. */
  readonly repositoryName: string;
  /** Go-style duration, e.g. 5s. */
  readonly pollInterval: string;
  readonly dataDir: string;
  /** host:port to listen on. */
  readonly listen: string;
  /** Flipt's namespace: where the override objects and the status ConfigMap live. */
  readonly namespace: string;
}

/** The command-line arguments of the relay program, in order. */
export function relayArgumentList(args: RelayArguments): string[] {
  return [
    `--upstream=${args.upstream}`,
    `--ref=${args.ref}`,
    `--directory=${args.directory}`,
    `--repository-name=${args.repositoryName}`,
    `--poll-interval=${args.pollInterval}`,
    `--data=${args.dataDir}`,
    `--listen=${args.listen}`,
    `--namespace=${args.namespace}`,
  ];
}

/** The name the relay serves the repository under: gitRepository's last path segment (`flipt-deploy.git`). */
export function relayRepositoryName(gitRepository: string): string {
  const scp = /^[^/@]+@[^:]+:(.+)$/.exec(gitRepository);
  const pathPart = scp ? scp[1] : new URL(gitRepository).pathname;
  const last = pathPart.split("/").filter((s) => s !== "").pop() ?? "flags.git";
  return last.endsWith(".git") ? last : `${last}.git`;
}

/** An override ConfigMap's name for a flag: readable, unique per flag, within Kubernetes' 63 characters. */
export function overrideObjectName(flag: string, hash: (text: string) => string): string {
  const slug = flag.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  const suffix = hash(flag).slice(0, 8);
  const room = 63 - OVERRIDE_NAME_PREFIX.length - suffix.length - 1;
  return `${OVERRIDE_NAME_PREFIX}${slug.slice(0, room).replace(/-+$/, "")}-${suffix}`;
}
