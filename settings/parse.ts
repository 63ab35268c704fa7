import { environmentDirectory, ENVIRONMENTS, FLAGS_ROOT, isEnvironment, type Environment } from "./environments";
import { ConfigDeclaration } from "./schema";
import { UserError } from "./userError";
import {
  DatabaseMode, GitAuth, LogLevel, MonitoringSettings, PostgresSettings, RelaySettings, ServiceTarget, Settings, SslMode,
} from "./types";
import {
  dnsLabel, dnsSubdomain, envName, goDurationSeconds, httpUrl, pgIdentifier, pinnedImage, promDuration,
  quantityValue, repositoryScheme,
} from "./validators";

/** Raw stack configuration: short keys (without the `project:` prefix) to values as Pulumi or YAML gives them. */
export interface ConfigInput {
  readonly project: string;
  readonly stack: string;
  readonly values: Readonly<Record<string, unknown>>;
  /** Short keys whose values Pulumi holds as secrets. */
  readonly secretKeys: ReadonlySet<string>;
  readonly declarations: readonly ConfigDeclaration[];
}

/** A configuration mistake a user can make: one line per problem, no stack trace. */
export class ConfigError extends UserError {
  constructor(problems: readonly string[]) {
    super(problems);
    this.name = "ConfigError";
  }
}

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const GIT_AUTHS: readonly GitAuth[] = ["none", "basic", "token", "ssh"];
const DATABASE_MODES: readonly DatabaseMode[] = ["postgres", "sqlite"];
const SSL_MODES: readonly SslMode[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
const POLL_INTERVAL_BOUNDS = { min: 1, max: 3600 };
const MAX_REPLICAS = 10;
/** The autoscaler may run more pods than a fixed count sensibly lists (prod's maximum is sized from the bench). */
const MAX_AUTOSCALED_REPLICAS = 50;
/** The key every service gets; defined once here and used by the service wiring builder. */
export const FLIPT_URL_KEY = "FLIPT_URL";

/** Collects problems while reading typed values, so every mistake is reported at once. */
class Reader {
  readonly problems: string[] = [];
  private readonly declared: Map<string, ConfigDeclaration>;

  constructor(private readonly input: ConfigInput) {
    this.declared = new Map(input.declarations.map((d) => [d.key, d]));
    for (const key of Object.keys(input.values)) {
      if (!this.declared.has(key)) this.fail(key, input.values[key], `a key declared in Pulumi.yaml (unknown key)`);
    }
  }

  /** Reports `<project>:<key>: <value> ...; expected <form>`. Secret values are never printed. */
  fail(key: string, value: unknown, expected: string): void {
    const shown = this.declared.get(key)?.secret ? "(secret value not shown)" : JSON.stringify(value);
    this.problems.push(`${this.input.project}:${key}: ${shown} is invalid; expected ${expected}`);
  }

  /**
   * Whether the stack's configuration sets the key to something other than Pulumi.yaml's default (the
   * Pulumi CLI hands the program the project's defaults as configuration, so presence alone says nothing).
   */
  given(key: string): boolean {
    const value = this.input.values[key];
    return value !== undefined && String(value) !== String(this.declared.get(key)?.default);
  }

  private raw(key: string): unknown {
    const decl = this.declared.get(key);
    if (!decl) throw new Error(`internal: ${key} is read but not declared in Pulumi.yaml`);
    return this.input.values[key] ?? decl.default;
  }

  string(key: string): string {
    const value = this.raw(key);
    if (value === undefined) {
      this.problems.push(`${this.input.project}:${key}: missing; expected ${this.declared.get(key)?.description}`);
      return "";
    }
    if (typeof value !== "string") {
      this.fail(key, value, "a string");
      return "";
    }
    return value;
  }

  secret(key: string): string {
    const value = this.string(key);
    if (this.input.values[key] !== undefined && !this.input.secretKeys.has(key)) {
      this.problems.push(
        `${this.input.project}:${key}: a plaintext value was given; expected a secret ` +
          `(pulumi config set --secret ${key} <value>)`,
      );
    }
    return value;
  }

  integer(key: string, min: number, max: number): number {
    const value = this.raw(key);
    const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      this.fail(key, value, `an integer from ${min} to ${max}`);
      return min;
    }
    return n;
  }

  boolean(key: string): boolean {
    const value = this.raw(key);
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    this.fail(key, value, "true or false");
    return false;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.string(key);
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.fail(key, value, `one of ${allowed.join(", ")}`);
    return allowed[0];
  }

  stringArray(key: string): string[] {
    let value = this.raw(key);
    if (typeof value === "string") {
      try {
        value = JSON.parse(value);
      } catch {
        /* reported below */
      }
    }
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
      this.fail(key, value, "a list of strings");
      return [];
    }
    return value as string[];
  }

  /** A string checked by a validator that returns the expected form when the value is wrong. */
  checked(key: string, check: (value: string) => string | undefined, value = this.string(key)): string {
    const expected = check(value);
    if (expected) this.fail(key, value, expected);
    return value;
  }
}

/** Review stacks (`pr-<number>`) are short-lived copies of dev made by the review workflow. */
export function isReviewStack(stack: string): boolean {
  return /^pr-\d+$/.test(stack);
}

/**
 * The flag environment a stack serves: dev and prod their namesakes, a review stack dev's (it is a
 * copy of dev's configuration, serving the pull request's branch); other stacks choose freely.
 */
export function environmentOfStack(stack: string): Environment | undefined {
  if (isReviewStack(stack)) return "dev";
  return isEnvironment(stack) ? stack : undefined;
}

/** gitDirectory: a relative directory; one environment's directory, not the flags root that holds them all. */
function gitDirectoryProblem(stack: string, value: string): string | undefined {
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(value) || value.split("/").includes("..")) return `a relative directory such as ${environmentDirectory("dev")}`;
  const choices = ENVIRONMENTS.map((e) => environmentDirectory(e)).join(" or ");
  if (value === FLAGS_ROOT) return `one environment's directory, ${choices} (${FLAGS_ROOT}/ holds one directory per environment)`;
  const environment = environmentOfStack(stack);
  if (environment !== undefined && value !== environmentDirectory(environment)) {
    return `${environmentDirectory(environment)}, the ${environment} environment's flags, for stack ${stack}`;
  }
  return undefined;
}

/** Replaces `{stack}` with the stack name, shaped for the kind of name (Kubernetes or PostgreSQL). */
export function withStack(template: string, stack: string, kind: "kubernetes" | "postgres"): string {
  const lower = stack.toLowerCase();
  const shaped = kind === "kubernetes" ? lower.replace(/[^a-z0-9-]/g, "-") : lower.replace(/[^a-z0-9_]/g, "_");
  return template.split("{stack}").join(shaped);
}

/** A poll interval key: the duration as configured and its seconds (0 when it is no Go duration between 1s and 1h). */
function readPollInterval(r: Reader, key: string): { pollInterval: string; pollIntervalSeconds: number } {
  const pollInterval = r.string(key);
  const seconds = goDurationSeconds(pollInterval);
  if (seconds === undefined || seconds < POLL_INTERVAL_BOUNDS.min || seconds > POLL_INTERVAL_BOUNDS.max) {
    r.fail(key, pollInterval, "a Go duration between 1s and 1h, such as 10s, 30s or 1m30s");
  }
  return { pollInterval, pollIntervalSeconds: seconds ?? 0 };
}

function readGit(r: Reader, stack: string, credential: string): Settings["git"] {
  const repository = r.string("gitRepository");
  const scheme = repositoryScheme(repository);
  if (!scheme) r.fail("gitRepository", repository, "an https://, http://, ssh:// or user@host:path repository URL");
  const { pollInterval, pollIntervalSeconds } = readPollInterval(r, "gitPollInterval");
  const auth = r.oneOf("gitAuth", GIT_AUTHS);
  const git = {
    repository,
    ref: r.checked("gitRef", (v) => (/^[\w./-]+$/.test(v) ? undefined : "a branch name such as main")),
    directory: r.checked("gitDirectory", (v) => gitDirectoryProblem(stack, v)),
    pollInterval,
    pollIntervalSeconds,
    auth,
    username: r.string("gitUsername"),
    sshUser: r.string("gitSshUser"),
    sshKnownHosts: r.string("gitSshKnownHosts"),
  };
  checkGitAuth(r, git, scheme, credential);
  return git;
}

function checkGitAuth(r: Reader, git: Settings["git"], scheme: string | undefined, credential: string): void {
  const overHttp = scheme === "https" || scheme === "http";
  if ((git.auth === "basic" || git.auth === "token") && scheme && !overHttp) {
    r.fail("gitAuth", git.auth, `ssh with the ${scheme} repository URL (basic and token go over HTTPS)`);
  }
  if (git.auth === "ssh" && scheme && scheme !== "ssh") {
    r.fail("gitAuth", git.auth, `basic, token or none with the ${scheme} repository URL`);
  }
  if (git.auth === "basic" && git.username === "") r.fail("gitUsername", "", "a user name with gitAuth=basic");
  if (git.auth !== "none" && credential === "") {
    r.fail("gitCredential", "", `a non-empty secret with gitAuth=${git.auth}`);
  }
  if (git.auth === "ssh" && git.sshKnownHosts.trim() === "") {
    r.fail("gitSshKnownHosts", "", "the Git server's known_hosts lines with gitAuth=ssh (host keys are verified)");
  }
}

/** The relay's image example: the official Node.js image, which carries git and openssh-client. */
const RELAY_IMAGE_EXAMPLE = "node:24.11.1-bookworm";

/** The flags relay, or undefined when it is off. */
function readRelay(r: Reader, stack: string): RelaySettings | undefined {
  // A review stack is a short-lived copy of dev in SQLite mode: Flipt reads the Git host itself, and no volume is left behind.
  if (!r.boolean("flagsRelay") || isReviewStack(stack)) return undefined;
  const storageSize = r.checked("flagsRelayStorageSize", (v) => ((quantityValue(v) ?? 0) > 0 ? undefined : "a Kubernetes quantity such as 1Gi"));
  const storageClass = r.string("flagsRelayStorageClass");
  if (storageClass !== "") r.checked("flagsRelayStorageClass", dnsSubdomain, storageClass);
  const overrideGroups = r.stringArray("flagsOverrideGroups");
  overrideGroups.forEach((group, i) => {
    if (!/^\S+$/.test(group)) r.fail("flagsOverrideGroups", group, "Kubernetes group names without spaces, such as platform-oncall");
    else if (overrideGroups.indexOf(group) !== i) r.fail("flagsOverrideGroups", group, `each group listed once (${group} is listed twice)`);
  });
  return {
    image: r.checked("flagsRelayImage", (v) => pinnedImage(v, RELAY_IMAGE_EXAMPLE)),
    ...readPollInterval(r, "flagsRelayPollInterval"),
    storageSize,
    storageClass: storageClass === "" ? undefined : storageClass,
    overrideGroups,
  };
}

function readDatabase(r: Reader, stack: string, scaling: Scaling): Settings["database"] {
  const mode = r.oneOf("databaseMode", DATABASE_MODES);
  const maxOpenConns = r.integer("dbMaxOpenConns", 1, 100);
  const protect = r.boolean("protectDatabase");
  const postgres: PostgresSettings = {
    host: r.string("postgresHost"),
    port: r.integer("postgresPort", 1, 65535),
    sslmode: r.oneOf("postgresSslmode", SSL_MODES),
    adminUser: r.checked("postgresAdminUser", (v) => (v.trim() ? undefined : "a user name")),
    database: r.checked("postgresDatabase", pgIdentifier, withStack(r.string("postgresDatabase"), stack, "postgres")),
    role: r.checked("postgresRole", pgIdentifier, withStack(r.string("postgresRole"), stack, "postgres")),
    connectionLimit: r.integer("postgresConnectionLimit", 2, 1000),
  };
  const { replicas, autoscaling } = scaling;
  if (mode === "sqlite") {
    if (autoscaling) r.fail("autoscaling", true, "false with databaseMode=sqlite (each pod would have its own database)");
    else if (replicas > 1) r.fail("replicas", replicas, "1 with databaseMode=sqlite (each pod would have its own database)");
    return { mode, maxOpenConns, protect };
  }
  if (!/^[\w.-]+$/.test(postgres.host)) r.fail("postgresHost", postgres.host, "a host name with databaseMode=postgres");
  // The most pods the role must serve at once: the fixed replicas, or the autoscaler's maximum.
  const [mostPods, mostPodsKey] = autoscaling ? [autoscaling.maxReplicas, "autoscalingMaxReplicas"] : [replicas, "replicas"];
  const needed = mostPods * maxOpenConns + 1;
  if (postgres.connectionLimit < needed) {
    r.fail(
      "postgresConnectionLimit",
      postgres.connectionLimit,
      `at least ${mostPodsKey} x dbMaxOpenConns + 1 = ${needed} (one connection for the migration init container)`,
    );
  }
  return { mode, postgres, maxOpenConns, protect };
}

type Scaling = Pick<Settings, "replicas" | "autoscaling" | "podDisruptionMaxUnavailable">;

/** Fixed replicas, or a HorizontalPodAutoscaler's range; the PodDisruptionBudget's allowance either way. */
function readScaling(r: Reader, stack: string, resources: Settings["resources"]): Scaling {
  const replicas = r.integer("replicas", 1, MAX_REPLICAS);
  const podDisruptionMaxUnavailable = r.integer("podDisruptionMaxUnavailable", 0, MAX_REPLICAS);
  if (podDisruptionMaxUnavailable === 0) {
    r.fail("podDisruptionMaxUnavailable", 0, "at least 1 (0 blocks every eviction: a node drain would wait for ever)");
  }
  // A review stack is a copy of dev in SQLite mode with one pod, whatever dev's file says about autoscaling.
  const autoscaled = r.boolean("autoscaling") && !isReviewStack(stack);
  if (!autoscaled) return { replicas, podDisruptionMaxUnavailable };
  if (r.given("replicas")) {
    r.fail("replicas", replicas, "unset with autoscaling on (the HorizontalPodAutoscaler sets the replicas between autoscalingMinReplicas and autoscalingMaxReplicas)");
  }
  const minReplicas = r.integer("autoscalingMinReplicas", 1, MAX_AUTOSCALED_REPLICAS);
  const maxReplicas = r.integer("autoscalingMaxReplicas", 1, MAX_AUTOSCALED_REPLICAS);
  if (minReplicas > maxReplicas) r.fail("autoscalingMinReplicas", minReplicas, `at most autoscalingMaxReplicas (${maxReplicas})`);
  if (maxReplicas < 2) r.fail("autoscalingMaxReplicas", maxReplicas, "at least 2 with autoscaling on (with 1 there is nothing to scale; turn autoscaling off)");
  const targetCpuUtilization = r.integer("autoscalingTargetCpuUtilization", 10, 100);
  const request = quantityValue(resources.requests.cpu);
  const limit = quantityValue(resources.limits.cpu);
  if (request !== undefined && limit !== undefined && (targetCpuUtilization / 100) * request > limit) {
    r.fail(
      "autoscalingTargetCpuUtilization",
      targetCpuUtilization,
      `at most cpuLimit / cpuRequest = ${Math.floor((limit / request) * 100)} % (above it pods are throttled at cpuLimit before the autoscaler adds one)`,
    );
  }
  return {
    replicas: minReplicas,
    autoscaling: { minReplicas, maxReplicas, targetCpuUtilization },
    podDisruptionMaxUnavailable,
  };
}

/** GOMEMLIMIT as a share of the container's memory limit, and GOGC. */
function readGoRuntime(r: Reader, resources: Settings["resources"]): Settings["goRuntime"] {
  const percent = r.integer("goMemoryLimitPercent", 0, 100);
  if (percent > 0 && percent < 10) r.fail("goMemoryLimitPercent", percent, "0 (unset) or a percentage from 10 to 100");
  const limit = quantityValue(resources.limits.memory);
  return {
    memoryLimitBytes: percent > 0 && limit !== undefined ? Math.floor((limit * percent) / 100) : undefined,
    gcPercent: r.integer("goGC", 25, 1000),
  };
}

function readResources(r: Reader): Settings["resources"] {
  const quantity = (key: string) => r.checked(key, (v) => (quantityValue(v) === undefined ? "a Kubernetes quantity such as 100m or 128Mi" : undefined));
  const resources = {
    requests: { cpu: quantity("cpuRequest"), memory: quantity("memoryRequest") },
    limits: { cpu: quantity("cpuLimit"), memory: quantity("memoryLimit") },
  };
  for (const kind of ["cpu", "memory"] as const) {
    const request = quantityValue(resources.requests[kind]);
    const limit = quantityValue(resources.limits[kind]);
    if (request !== undefined && limit !== undefined && limit < request) {
      r.fail(`${kind}Limit`, resources.limits[kind], `at least ${kind}Request (${resources.requests[kind]})`);
    }
  }
  return resources;
}

/** Parses one `services` entry: `<namespace>/<name>[?configMap=<existing>&KEY=value...]`. */
function parseServiceEntry(r: Reader, entry: string, grpcKey: string): ServiceTarget | undefined {
  const match = /^([^/?\s]+)\/([^/?\s]+)(?:\?(.*))?$/.exec(entry);
  const form = "<namespace>/<name>[?configMap=<existing ConfigMap>&KEY=value]";
  if (!match) {
    r.fail("services", entry, form);
    return undefined;
  }
  const [, namespace, name, query] = match;
  const wrong = dnsLabel(namespace) ? "namespace" : dnsLabel(name) ? "name" : undefined;
  if (wrong) {
    r.fail("services", entry, `${form} with a valid ${wrong}: ${dnsLabel(wrong === "name" ? name : namespace)}`);
    return undefined;
  }
  let existingConfigMap: string | undefined;
  const extraKeys: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(query ?? "")) {
    if (key === "configMap") {
      const expected = dnsSubdomain(value);
      if (expected) r.fail("services", entry, `a configMap name that is ${expected}`);
      existingConfigMap = value;
    } else if (envName(key) || key === FLIPT_URL_KEY || key === grpcKey) {
      r.fail("services", entry, `extra keys that are environment variable names other than ${FLIPT_URL_KEY}${grpcKey ? ` and ${grpcKey}` : ""}`);
    } else {
      extraKeys[key] = value;
    }
  }
  return { name, namespace, existingConfigMap, extraKeys };
}

function readServices(r: Reader, stack: string): Settings["services"] {
  const grpcKey = r.string("serviceGrpcKey");
  if (grpcKey !== "") r.checked("serviceGrpcKey", envName, grpcKey);
  const targets: ServiceTarget[] = [];
  const seen = new Set<string>();
  for (const entry of r.stringArray("services")) {
    const target = parseServiceEntry(r, entry, grpcKey);
    if (!target) continue;
    const id = `${target.namespace}/${target.name}`;
    if (seen.has(id)) r.fail("services", entry, `each service listed once (${id} is listed twice)`);
    seen.add(id);
    targets.push(target);
  }
  return {
    // A review stack is a copy of dev: wiring its services would point dev's services at the review Flipt.
    targets: isReviewStack(stack) ? [] : targets,
    grpcKey,
    fieldManager: r.checked("serviceFieldManager", (v) => (/^[\w.-]{1,128}$/.test(v) ? undefined : "a field manager name")),
    forceConflicts: r.boolean("serviceForceConflicts"),
  };
}

function readMonitoring(r: Reader, token: string): MonitoringSettings {
  const extraLabels: Record<string, string> = {};
  for (const pair of r.stringArray("serviceMonitorLabels")) {
    const match = /^([\w./-]+)=([\w.-]{0,63})$/.exec(pair);
    if (match) extraLabels[match[1]] = match[2];
    else r.fail("serviceMonitorLabels", pair, "key=value label pairs such as release=kube-prometheus-stack");
  }
  const ratioText = r.string("alertEvaluationErrorRatio");
  const ratio = Number(ratioText);
  if (!(ratioText.trim() !== "" && ratio > 0 && ratio < 1)) {
    r.fail("alertEvaluationErrorRatio", ratioText, "a number between 0 and 1, such as 0.01");
  }
  const namespace = r.checked("monitoringNamespace", dnsLabel);
  const url = r.string("grafanaUrl");
  if (url !== "") {
    r.checked("grafanaUrl", httpUrl, url);
    if (token === "") r.fail("grafanaToken", "", "a non-empty secret when grafanaUrl is set");
  }
  const dashboardNamespace = r.string("dashboardNamespace");
  if (dashboardNamespace !== "") r.checked("dashboardNamespace", dnsLabel, dashboardNamespace);
  return {
    namespace,
    serviceMonitorEnabled: r.boolean("serviceMonitorEnabled"),
    scrapeInterval: r.checked("serviceMonitorInterval", promDuration),
    extraLabels,
    alerts: {
      evaluationErrorRatio: ratio,
      latencyP99Ms: r.integer("alertLatencyP99Ms", 1, 60_000),
      gitSyncFailingMinutes: r.integer("alertGitSyncFailingMinutes", 1, 1440),
      restartsPerHour: r.integer("alertRestartsPerHour", 1, 1000),
    },
    grafanaApi: url !== "" ? { url: url.replace(/\/+$/, ""), folder: r.string("grafanaFolder") } : undefined,
    sidecarLabel: r.checked("dashboardSidecarLabel", (v) => (/^[\w./-]+$/.test(v) ? undefined : "a label key")),
    dashboardNamespace: dashboardNamespace || namespace,
  };
}

/** Validates a stack's configuration and returns the typed settings, or throws a ConfigError listing every problem. */
export function parseSettings(input: ConfigInput): Settings {
  const r = new Reader(input);
  const { stack } = input;
  const resources = readResources(r);
  const scaling = readScaling(r, stack, resources);
  // Read once, checked here for secrecy, then passed to the parts that check their form.
  const secrets = {
    gitCredential: r.secret("gitCredential"),
    postgresAdminPassword: r.secret("postgresAdminPassword"),
    grafanaToken: r.secret("grafanaToken"),
  };
  const settings: Settings = {
    project: input.project,
    stack,
    namespace: r.checked("namespace", dnsLabel, withStack(r.string("namespace"), stack, "kubernetes")),
    image: r.checked("image", pinnedImage),
    ...scaling,
    resources,
    goRuntime: readGoRuntime(r, resources),
    logLevel: r.oneOf("logLevel", LOG_LEVELS),
    allowedNamespaces: r.stringArray("allowedNamespaces").map((ns) => r.checked("allowedNamespaces", dnsLabel, ns)),
    git: readGit(r, stack, secrets.gitCredential),
    relay: readRelay(r, stack),
    database: readDatabase(r, stack, scaling),
    protectStack: r.boolean("protectStack"),
    services: readServices(r, stack),
    monitoring: readMonitoring(r, secrets.grafanaToken),
    secrets,
  };
  if (r.problems.length > 0) throw new ConfigError([...new Set(r.problems)]);
  return settings;
}
