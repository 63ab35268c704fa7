/**
 * The configuration `deploy:local` deploys: the stack's own file, with only what points at the
 * outside world replaced by this machine's stand-ins for it (the cluster, the Git remote, the
 * cluster's PostgreSQL, Grafana). Pure: the fast tier checks it against each stack file.
 */
import { isSecureValue, readStack, type StackConfig, type StackInput } from "../../settings/stackFiles";
import { Settings } from "../../settings/types";

/** What this machine offers in place of the outside world. */
export interface LocalEndpoints {
  /** The local kubeconfig's context. */
  readonly kubeContext: string;
  /** Clone URL of the loopback Git server that serves this checkout's committed flags/. */
  readonly gitRepository: string;
  /** The credential that Git server accepts. */
  readonly gitCredential: string;
  /** The local PostgreSQL standing in for the cluster's; for stacks with databaseMode postgres. */
  readonly postgres?: { readonly host: string; readonly port: number; readonly adminPassword: string };
}

/** One replaced key: shown to the user as one line. */
export interface Replacement {
  readonly key: string;
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

export interface LocalStackConfig {
  /** The stack file the configuration comes from (a review stack's is dev's). */
  readonly file: string;
  readonly config: StackConfig;
  readonly replacements: readonly Replacement[];
  /** What makes a review stack differ from the file it is copied from (as the review workflow does). */
  readonly reviewOverrides: Readonly<Record<string, unknown>>;
}

const SECRET = "(secret)";

/** The settings of the stack as its file gives them (a review stack's: dev's, in sqlite mode); the settings' own errors when invalid. */
export function stackFileSettings(stack: string): Settings {
  return readStack(stack).settings;
}

/** The value a key has in the stack, as a user reads it: the file's, or the declared default. */
function shown(input: StackInput, key: string): string {
  if (key in input.fileConfig) return isSecureValue(input.fileConfig[key]) ? SECRET : String(input.fileConfig[key]);
  const declared = input.declarations.find((d) => `${input.project}:${d.key}` === key)?.default;
  return declared === undefined ? "(unset)" : `${JSON.stringify(declared)} (default)`;
}

/** Every outward-pointing key of a stack and its local value; secrets are marked so they are set encrypted. */
function outwardKeys(input: StackInput, local: LocalEndpoints) {
  const project = input.project;
  const keys: { key: string; value: unknown; secret?: boolean; why: string }[] = [
    { key: "kubernetes:context", value: local.kubeContext, why: "the local control plane's kubeconfig" },
    { key: `${project}:gitRepository`, value: local.gitRepository, why: "the loopback Git server serving this checkout's committed flags/" },
    { key: `${project}:gitCredential`, value: local.gitCredential, secret: true, why: "the credential that Git server accepts" },
  ];
  if (input.value("databaseMode") === "postgres") {
    if (!local.postgres) throw new Error("a stack with databaseMode postgres needs the local PostgreSQL");
    const pg = local.postgres;
    keys.push(
      { key: `${project}:postgresHost`, value: pg.host, why: "the local PostgreSQL standing in for the cluster's" },
      { key: `${project}:postgresPort`, value: pg.port, why: "its port" },
      { key: `${project}:postgresSslmode`, value: "disable", why: "it listens on loopback without TLS" },
      { key: `${project}:postgresAdminPassword`, value: pg.adminPassword, secret: true, why: `its administrator ${String(input.value("postgresAdminUser"))} (CREATEROLE, CREATEDB, no superuser)` },
    );
  } else if (`${project}:postgresAdminPassword` in input.fileConfig) {
    keys.push({ key: `${project}:postgresAdminPassword`, value: "", secret: true, why: "unused with databaseMode sqlite" });
  }
  if (input.value("grafanaUrl") !== "") {
    keys.push({ key: `${project}:grafanaUrl`, value: "", why: "no Grafana here: the dashboard goes into the sidecar ConfigMap instead" });
  }
  // Its placeholder cannot be decrypted here; sidecar delivery needs none.
  keys.push({ key: `${project}:grafanaToken`, value: "", secret: true, why: "sidecar delivery needs no Grafana token" });
  return keys;
}

/** The stack's own configuration with the outward-pointing keys replaced, and one line's worth of each replacement. */
/** The endpoints from what the local world started: its kube context, the served flags, and its PostgreSQL when there is one. */
export function localEndpoints(
  kubeContext: string,
  flags: { readonly url: string; readonly credential: string },
  postgres?: { readonly server: { readonly host: string; readonly port: number }; readonly adminPassword: string },
): LocalEndpoints {
  return {
    kubeContext,
    gitRepository: flags.url,
    gitCredential: flags.credential,
    postgres: postgres && { host: postgres.server.host, port: postgres.server.port, adminPassword: postgres.adminPassword },
  };
}

export function localStackConfig(stack: string, local: LocalEndpoints): LocalStackConfig {
  const input = readStack(stack);
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  const replacements: Replacement[] = [];
  for (const { key, value, secret, why } of outwardKeys(input, local)) {
    if (secret) secrets[key.slice(key.indexOf(":") + 1)] = String(value);
    else plain[key] = value;
    replacements.push({ key, from: shown(input, key), to: secret ? SECRET : JSON.stringify(value), why });
  }
  return { file: input.file, config: input.engineConfig(secrets, plain), replacements, reviewOverrides: input.overrides };
}

export function describeReplacement(r: Replacement): string {
  return `${r.key}: ${r.from} → ${r.to} (${r.why})`;
}
